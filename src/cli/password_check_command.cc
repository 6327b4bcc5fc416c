// `mamori password-check`: the JEITA first-boot password rule (checks/password_policy.h) for
// makers' tooling. The password comes from stdin (one per line) so it stays out of shell history
// and `ps`; exit 0 when every password passes, 1 when one fails, 2 on usage errors.
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "checks/creds/credlist.h"
#include "checks/password_policy.h"
#include "cli/commands.h"
#include "cli/data_dir.h"

namespace mamori {
namespace {

struct PasswordArgs {
  std::string username;
  bool json = false;
  bool no_lists = false;
};

int run_password_check(const PasswordArgs& a) {
  std::vector<std::string> defaults;
  if (!a.no_lists) {
    auto cat = creds::CredentialCatalog::load(data_dir() + "/creds");
    if (!cat) {
      std::fprintf(stderr, "mamori password-check: %s\n", cat.error().message.c_str());
      return kExitFailure;
    }
    for (const auto& l : cat->lists()) {
      for (const auto& e : l.entries) defaults.push_back(e.cred.password);
    }
  }
  bool all_ok = true;
  size_t n = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > 4096) {
      std::fprintf(stderr, "mamori password-check: line %zu: longer than 4096 bytes\n", n + 1);
      return kExitUsage;
    }
    ++n;
    PasswordVerdict v = check_password(line, a.username, defaults);
    all_ok = all_ok && v.ok;
    if (a.json) {
      nlohmann::json j = {{"line", n},
                          {"ok", v.ok},
                          {"meets_jeita_rule", v.meets_jeita_rule},
                          {"length", v.length},
                          {"classes", {{"letters", v.has_letter}, {"digits", v.has_digit}, {"symbols", v.has_symbol}}},
                          {"problems", v.problems}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("line %zu: %s", n, v.ok ? "ok" : "FAIL");
      for (size_t i = 0; i < v.problems.size(); ++i) {
        std::printf("%s%s", i == 0 ? ": " : "; ", v.problems[i].c_str());
      }
      std::printf("\n");
    }
  }
  if (n == 0) {
    std::fprintf(stderr, "mamori password-check: no password on standard input\n");
    return kExitUsage;
  }
  return all_ok ? kExitOk : kExitFailure;
}

}  // namespace

Command add_password_check_command(CLI::App& app) {
  auto a = std::make_shared<PasswordArgs>();
  auto* cmd = app.add_subcommand(
      "password-check",
      "Check passwords (one per line on stdin) against the JEITA first-boot rule: 8+ characters, "
      "2+ of letters/digits/symbols; also flags known defaults and the username inside");
  cmd->add_option("--username", a->username, "The account's username (a password containing it fails)");
  cmd->add_flag("--json", a->json, "One JSON object per password");
  cmd->add_flag("--no-lists", a->no_lists, "Do not compare with Mamori's credential lists");
  return {cmd, [a]() { return run_password_check(*a); }};
}

}  // namespace mamori
