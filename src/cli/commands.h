// The `mamori` subcommands. Each registers its options on the app and returns the function that
// runs it; that function returns the process exit code (0 done, 1 runtime failure, 2 usage,
// 130 interrupted).
#pragma once

#include <functional>
#include <memory>

#include <CLI/CLI.hpp>

#include "core/expected.h"

namespace mamori {

class RecordSink;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

struct Command {
  CLI::App* app;             // the subcommand
  std::function<int()> run;  // runs it once parsed
};
Command add_scan_command(CLI::App& app);
Command add_ports_command(CLI::App& app);
Command add_creds_command(CLI::App& app);
Command add_password_check_command(CLI::App& app);
Command add_store_commands(CLI::App& app);  // scans devices findings diff report notify import
// --db PATH / --no-db on a command that writes results; open_result_store() opens the store of
// the parsed command (nullptr with --no-db) for its RecordFanout.
void add_result_store_options(CLI::App* cmd);
Expected<std::unique_ptr<RecordSink>> open_result_store();
Command add_evaluate_command(CLI::App& app);
Command add_catalog_command(CLI::App& app);
Command add_label_command(CLI::App& app);
Command add_exposure_command(CLI::App& app);

}  // namespace mamori
