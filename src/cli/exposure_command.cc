// `mamori exposure --inside A --outside B`: the connection form of every device, measured by
// correlating a scan from inside the network with a scan of it from outside, plus the port
// mappings its gateway listed (policy/correlate.h). A and B are JSON Lines files or scan ids
// in the store. Writes `device` records (connection_form, connection_form_reason,
// reachable_from, exposure evidence) and `port-forwarded-service` findings; with --judge, the
// whole inside scan re-judged in those forms (findings re-scored, verdicts).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "checks/findings.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "pipeline/judge_stage.h"
#include "policy/catalog.h"
#include "policy/correlate.h"
#include "report/writers.h"
#include "store/store.h"

namespace mamori {
namespace {

constexpr size_t kMaxLine = 1 << 20;

struct ExposureArgs {
  std::string inside, outside, db, output, format;
  bool judge = false;
};

int usage(const std::string& msg) {
  std::fprintf(stderr, "mamori exposure: %s\n", msg.c_str());
  return kExitUsage;
}

// A JSON Lines file ("-": stdin), or else a scan id in the store.
Expected<std::vector<nlohmann::json>> load_records(const std::string& what, const std::string& db) {
  std::vector<nlohmann::json> out;
  std::error_code ec;
  if (what == "-" || std::filesystem::is_regular_file(what, ec)) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (what != "-") {
      file.open(what);
      if (!file) return make_error("cannot read '" + what + "'");
      in = &file;
    }
    std::string line;
    size_t n = 0;
    while (std::getline(*in, line)) {
      ++n;
      if (line.empty()) continue;
      auto rec = line.size() > kMaxLine ? nlohmann::json() : nlohmann::json::parse(line, nullptr, false);
      if (rec.is_discarded() || !rec.is_object() || !rec.contains("type")) {
        return make_error(fmt::format("'{}' line {}: not a results record", what, n));
      }
      out.push_back(std::move(rec));
    }
    return out;
  }
  const std::string path = db.empty() ? store::default_db_path() : db;
  if (path.empty() || !std::filesystem::exists(path, ec)) {
    return make_error("'" + what + "' is neither a file nor a scan in a store (no database at '" + path + "')");
  }
  auto st = store::Store::open(path, true);
  if (!st) return make_error(st.error().message);
  if (!(*st)->has_scan(what)) return make_error("'" + what + "' is neither a file nor a scan id in " + path);
  return (*st)->records(what);
}

std::string join(const nlohmann::json& arr) {
  std::string s;
  if (!arr.is_array()) return s;
  for (const auto& x : arr) {
    if (x.is_string()) s += (s.empty() ? "" : ",") + x.get<std::string>();
  }
  return s;
}

int run_exposure(const ExposureArgs& a) {
  if (a.inside.empty() && a.outside.empty()) return usage("give --inside and/or --outside (files or scan ids)");
  if (!a.format.empty() && a.format != "jsonl" && a.format != "table") {
    return usage("invalid --format '" + a.format + "' (jsonl or table)");
  }
  auto checks = CheckCatalog::load(data_dir() + "/checks");
  if (!checks) return usage(checks.error().message);
  policy::ExposureInput in;
  if (!a.inside.empty()) {
    auto r = load_records(a.inside, a.db);
    if (!r) return usage("--inside: " + r.error().message);
    in.inside = std::move(*r);
  }
  if (!a.outside.empty()) {
    auto r = load_records(a.outside, a.db);
    if (!r) return usage("--outside: " + r.error().message);
    in.outside = std::move(*r);
  }
  auto result = policy::correlate_exposure(in, *checks);

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  if (!a.output.empty()) {
    file.reset(std::fopen(a.output.c_str(), "w"));
    if (!file) return usage("cannot write '" + a.output + "'");
  }
  std::FILE* sink = file ? file.get() : stdout;
  const bool table = a.format == "table" || (a.format.empty() && !file && isatty(STDOUT_FILENO));
  if (table) {
    std::fprintf(sink, "%-16s %-16s %-15s %-18s %s\n", "DEVICE", "FORM", "CATEGORY", "REACHABLE FROM", "WHY");
    for (const auto& d : result.devices) {
      std::fprintf(sink, "%-16s %-16s %-15s %-18s %s\n", d.value("ip", "").c_str(),
                   d.value("connection_form", "").c_str(), d.value("category", "").c_str(),
                   join(d.value("reachable_from", nlohmann::json::array())).c_str(),
                   d.value("connection_form_reason", "").c_str());
    }
    for (const auto& f : result.findings) {
      const auto& e = f["evidence"];
      std::fprintf(sink, "  forwarded: %s:%d <- %s:%d (%s)\n", f.value("ip", "").c_str(), f.value("port", 0),
                   e.value("external_ip", "?").c_str(), e.value("external_port", 0), e.value("via", "").c_str());
    }
    return kExitOk;
  }
  JsonlWriter out(sink);
  if (!a.judge) {
    for (const auto& d : result.devices) out.write(d);
    for (const auto& f : result.findings) out.write(f);
    return kExitOk;
  }
  // --judge: the inside scan again, each device judged in its measured form.
  auto pol = policy::PolicyCatalog::load(data_dir() + "/policy");
  if (!pol) return usage(pol.error().message);
  policy::EvalOptions opt;
  for (const auto& r : in.inside) {
    if (r.value("type", "") == "scan" && r.value("phase", "") == "start" && r.contains("stages") && r["stages"].is_array()) {
      bool audit = false;
      for (const auto& st : r["stages"]) audit = audit || st == "audit";
      opt.audit_ran = opt.posture_ran = audit;
    }
  }
  JudgeStageOptions jopt;
  jopt.hold = true;
  JudgeStage judge(out, *pol, *checks, opt, jopt);
  std::vector<std::string> order;
  std::vector<nlohmann::json> end;
  for (const auto& r : in.inside) {
    if (r.value("type", "") == "scan" && r.value("phase", "") == "end") {
      end.push_back(r);
      continue;
    }
    judge.write(r);
  }
  for (const auto& d : result.devices) {
    judge.write(d);  // the later device record wins: it carries the measured form
    order.push_back(d.value("ip", ""));
  }
  for (const auto& f : result.findings) judge.write(f);
  for (const auto& ip : order) judge.device_done(ip);
  judge.finish();
  judge.flush_incomplete();
  for (const auto& r : end) out.write(r);
  return kExitOk;
}

}  // namespace

Command add_exposure_command(CLI::App& app) {
  auto a = std::make_shared<ExposureArgs>();
  auto* cmd = app.add_subcommand(
      "exposure",
      "Measure each device's connection form (direct, port_forwarded, nat_unreachable) from an inside and an "
      "outside scan of the same network and the gateway's UPnP port mappings");
  cmd->add_option("--inside", a->inside, "The scan run from inside the network: a JSON Lines file or a scan id in the store");
  cmd->add_option("--outside", a->outside, "The scan of the same network from outside: a JSON Lines file or a scan id");
  cmd->add_option("--db", a->db, "Store to look scan ids up in (default: $MAMORI_DB or the user's data directory)");
  cmd->add_option("-o,--output", a->output, "Write here instead of stdout");
  cmd->add_option("--format", a->format, "jsonl or table (default: table on a terminal, else jsonl)");
  cmd->add_flag("--judge", a->judge,
                "Write the inside scan re-judged in the measured forms (findings re-scored, verdicts) instead");
  return {cmd, [a] { return run_exposure(*a); }};
}

}  // namespace mamori
