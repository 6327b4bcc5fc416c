#include "report/chromium.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

extern char** environ;

namespace mamori {

std::string find_chromium() {
  const char* path = std::getenv("PATH");
  if (!path) return "";
  for (const char* name : {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (dir.empty()) continue;
      std::string p = dir + "/" + name;
      if (::access(p.c_str(), X_OK) == 0) return p;
    }
  }
  return "";
}

Expected<std::string> render_png(const std::string& chromium, const std::string& html, int width, int height) {
  char tmpl[] = "/tmp/mamori-png-XXXXXX";
  if (!::mkdtemp(tmpl)) return make_error("cannot create a temporary directory");
  const std::string dir = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  const std::string page = dir + "/page.html", png = dir + "/page.png";
  {
    std::ofstream out(page, std::ios::binary);
    out << html;
    if (!out) return make_error("cannot write " + page);
  }
  std::vector<std::string> args = {chromium,
                                   "--headless",
                                   "--disable-gpu",
                                   "--hide-scrollbars",
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--disable-extensions",
                                   "--host-resolver-rules=MAP * ~NOTFOUND",
                                   "--proxy-server=127.0.0.1:9",
                                   "--user-data-dir=" + dir + "/profile",
                                   "--window-size=" + std::to_string(width) + "," + std::to_string(height),
                                   "--screenshot=" + png,
                                   "file://" + page};
  // Chromium refuses its sandbox as root.
  if (::geteuid() == 0) args.insert(args.begin() + 2, "--no-sandbox");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, chromium.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return make_error("cannot run " + chromium);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0) return make_error("lost the browser process");
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);  // our own child, by PID
      ::waitpid(pid, &status, 0);
      return make_error(chromium + " did not finish within 60 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return make_error(chromium + " failed to render the page");
  std::ifstream in(png, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string out = bytes.str();
  if (out.size() < 8 || out.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
    return make_error(chromium + " wrote no PNG");
  }
  return out;
}

}  // namespace mamori
