#include "cli/data_dir.h"

#include <cstdlib>
#include <filesystem>

namespace mamori {

std::string data_dir() {
  if (const char* env = std::getenv("MAMORI_DATA_DIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto installed = exe.parent_path().parent_path() / "share" / "mamori";
    if (std::filesystem::is_directory(installed / "ports", ec)) return installed.string();
  }
  return MAMORI_SOURCE_DATA_DIR;
}

}  // namespace mamori
