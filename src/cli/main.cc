// mamori: assess IoT devices from the network. See README.md.
#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.h"
#include "report/records.h"

int main(int argc, char** argv) {
  CLI::App app{
      "Mamori assesses IoT devices from the network: which ports they expose, and (in later\n"
      "stages) what they are, whether they accept default passwords, and which security\n"
      "requirements they meet for their category and connection form."};
  app.set_version_flag("--version", std::string("mamori ") + mamori::kMamoriVersion);
  app.require_subcommand(1);
  const mamori::Command commands[] = {mamori::add_scan_command(app),
                                      mamori::add_ports_command(app),
                                      mamori::add_creds_command(app),
                                      mamori::add_password_check_command(app),
                                      mamori::add_evaluate_command(app),
                                      mamori::add_catalog_command(app),
                                      mamori::add_label_command(app),
                                      mamori::add_exposure_command(app),
                                      mamori::add_store_commands(app)};  // last: see store_commands.cc
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? mamori::kExitOk : mamori::kExitUsage;
  }
  try {
    for (const auto& cmd : commands) {
      if (cmd.app->parsed()) return cmd.run();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mamori: internal error: %s\n", e.what());
    return mamori::kExitFailure;
  }
  return mamori::kExitUsage;
}
