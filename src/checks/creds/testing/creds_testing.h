// Test helpers for credential checkers (header-only, tests only).
//   LabProcess: runs `mamori-lab run SCENARIO` (MAMORI_LAB_BIN) for the test and stops it (by
//               its PID) at the end; the scenario should use its own 127.x.y.0/24 addresses.
//   daemons_manifest(): the real-daemons lab (scripts/lab/daemons.sh), when one is up and
//               MAMORI_DAEMONS_MANIFEST names its manifest.jsonl; tests GTEST_SKIP otherwise.
//   run_sync(): runs one coroutine to completion on a fresh io_context.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include "checks/creds/checker.h"

extern char** environ;

namespace mamori::creds::testing {

template <class T>
T run_sync(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  auto fut = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.restart();
  io.run();
  return fut.get();
}

// A running mamori-lab. ok() is false (with why()) when the binary is not built or did not
// become ready within 20 s.
class LabProcess {
 public:
  explicit LabProcess(const std::string& scenario_path) {
#ifdef MAMORI_LAB_BIN
    std::string bin = MAMORI_LAB_BIN;
    ready_ = std::filesystem::temp_directory_path() /
             ("mamori-creds-lab-" + std::to_string(::getpid()) + "-" +
              std::to_string(counter()++) + ".ready");
    std::filesystem::remove(ready_);
    std::vector<std::string> args = {bin, "run", scenario_path, "--ready-file", ready_.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, bin.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      why_ = "cannot start " + bin;
      pid_ = 0;
      return;
    }
    for (int i = 0; i < 200; ++i) {
      if (std::filesystem::exists(ready_) && std::filesystem::file_size(ready_) > 0) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        why_ = "mamori-lab exited before it was ready";
        pid_ = 0;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    why_ = "mamori-lab not ready after 20 s";
#else
    why_ = "mamori-lab is not built (MAMORI_WITH_LAB=OFF)";
#endif
  }
  ~LabProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (!ready_.empty()) std::filesystem::remove(ready_);
  }
  LabProcess(const LabProcess&) = delete;
  LabProcess& operator=(const LabProcess&) = delete;
  bool ok() const { return pid_ > 0 && why_.empty(); }
  const std::string& why() const { return why_; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  pid_t pid_ = 0;
  std::filesystem::path ready_;
  std::string why_;
};

// The devices of a running real-daemons lab, or nullopt (then GTEST_SKIP).
inline std::optional<std::vector<nlohmann::json>> daemons_manifest() {
  const char* p = std::getenv("MAMORI_DAEMONS_MANIFEST");
  if (!p || !*p) return std::nullopt;
  std::ifstream in(p);
  if (!in) return std::nullopt;
  std::vector<nlohmann::json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

// The manifest entry named `name` (e.g. "telnet-weak"), or an empty object.
inline nlohmann::json daemon(const std::vector<nlohmann::json>& manifest, const std::string& name) {
  for (const auto& d : manifest) {
    if (d.value("name", "") == name) return d;
  }
  return nlohmann::json::object();
}

}  // namespace mamori::creds::testing
