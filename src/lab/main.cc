// mamori-lab: serves emulated IoT devices from a scenario file. See docs/lab.md.
//   run SCENARIO [--ready-file PATH]   exit 0 after SIGINT/SIGTERM, 1 bind failure, 2 bad scenario
//   check SCENARIO                      validate only
//   truth SCENARIO                      ground truth, JSON Lines
//   gen --devices N [--base A] [--seed S] -o FILE
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <boost/asio/signal_set.hpp>
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/ip.h"
#include "lab/lab.h"
#include "lab/truth.h"

namespace {
constexpr int kExitOk = 0, kExitRuntime = 1, kExitScenario = 2, kExitUsage = 64;

int load(const std::string& path, mamori::lab::Scenario& out) {
  auto sc = mamori::lab::load_scenario(path);
  if (!sc) {
    std::fprintf(stderr, "mamori-lab: %s\n", sc.error().message.c_str());
    return kExitScenario;
  }
  out = std::move(*sc);
  return kExitOk;
}

int run(const std::string& path, const std::string& ready_file, mamori::lab::RunOptions opt) {
  mamori::lab::Scenario sc;
  if (int rc = load(path, sc)) return rc;
  mamori::lab::Lab lab(sc, opt);
  auto stats = lab.start();
  if (!stats) {
    std::fprintf(stderr, "mamori-lab: %s\n", stats.error().message.c_str());
    return kExitRuntime;
  }
  boost::asio::signal_set signals(lab.io(), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) lab.stop();
  });
  std::signal(SIGPIPE, SIG_IGN);
  nlohmann::ordered_json ready{{"ready", true}, {"devices", stats->devices}, {"services", stats->services}};
  std::string line = ready.dump() + "\n";
  if (!ready_file.empty()) {
    std::string tmp = ready_file + ".tmp";
    std::ofstream f(tmp);
    f << line;
    f.close();
    if (!f || std::rename(tmp.c_str(), ready_file.c_str()) != 0) {
      std::fprintf(stderr, "mamori-lab: cannot write %s\n", ready_file.c_str());
      return kExitRuntime;
    }
  }
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
  std::fprintf(stderr, "mamori-lab: %zu devices, %zu services, %zu listeners (%s)\n", stats->devices,
               stats->services, stats->listeners, stats->bind_mode.c_str());
  lab.run();
  return kExitOk;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mamori-lab: emulated IoT devices for trying and testing Mamori (loopback only)."};
  app.require_subcommand(1);

  std::string scenario, ready_file, out_file, base = "127.66.0.0";
  mamori::lab::RunOptions opt;
  size_t devices = 0;
  uint64_t seed = 1;
  int idle_ms = 30000;

  auto* run_cmd = app.add_subcommand("run", "serve the scenario's devices until SIGINT/SIGTERM");
  run_cmd->add_option("scenario", scenario, "scenario YAML")->required();
  run_cmd->add_option("--ready-file", ready_file, "also write the ready line to this file");
  run_cmd->add_option("--bind", opt.bind_mode, "listeners: auto, per-address or per-port")
      ->check(CLI::IsMember({"auto", "per-address", "per-port"}));
  run_cmd->add_option("--idle-timeout-ms", idle_ms, "drop a connection idle this long");
  run_cmd->add_option("--max-connections", opt.max_connections, "concurrent connections");

  auto* check_cmd = app.add_subcommand("check", "validate a scenario");
  check_cmd->add_option("scenario", scenario, "scenario YAML")->required();

  auto* truth_cmd = app.add_subcommand("truth", "print the ground truth as JSON Lines");
  truth_cmd->add_option("scenario", scenario, "scenario YAML")->required();

  auto* gen_cmd = app.add_subcommand("gen", "generate a scale scenario");
  gen_cmd->add_option("--devices", devices, "number of devices")->required();
  gen_cmd->add_option("--base", base, "addresses start after this one (127.66.0.0)");
  gen_cmd->add_option("--seed", seed, "random seed");
  gen_cmd->add_option("-o,--output", out_file, "output file")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  opt.limits.idle = std::chrono::milliseconds(idle_ms);

  if (run_cmd->parsed()) return run(scenario, ready_file, opt);
  if (check_cmd->parsed()) {
    mamori::lab::Scenario sc;
    if (int rc = load(scenario, sc)) return rc;
    std::printf("%s: ok, %zu devices, %zu services\n", scenario.c_str(), sc.devices.size(), sc.service_count());
    return kExitOk;
  }
  if (truth_cmd->parsed()) {
    mamori::lab::Scenario sc;
    if (int rc = load(scenario, sc)) return rc;
    for (const auto& d : sc.devices) std::cout << mamori::lab::device_truth(sc, d).dump() << "\n";
    return kExitOk;
  }
  if (gen_cmd->parsed()) {
    auto ip = mamori::Ip::parse(base);
    if (!ip || !ip->is_v4() || (ip->v4() >> 24) != 127) {
      std::fprintf(stderr, "mamori-lab: --base %s is not an address in 127.0.0.0/8\n", base.c_str());
      return kExitUsage;
    }
    mamori::lab::GenOptions g{devices, ip->v4(), seed};
    auto text = mamori::lab::generate_scenario(g);
    if (!text) {
      std::fprintf(stderr, "mamori-lab: %s\n", text.error().message.c_str());
      return kExitUsage;
    }
    std::ofstream f(out_file);
    f << *text;
    if (!f) {
      std::fprintf(stderr, "mamori-lab: cannot write %s\n", out_file.c_str());
      return kExitRuntime;
    }
    return kExitOk;
  }
  return kExitUsage;
}
