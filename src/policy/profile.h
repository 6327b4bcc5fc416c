// Scan profiles (data/profiles/NAME.yaml): what a scan does for a purpose (lan-audit, notice,
// pre-shipment). A profile sets defaults; options given on the command line win.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/expected.h"

namespace mamori::policy {

struct Profile {
  std::string name;
  std::string title;
  std::string ports;            // port spec (mamori ports syntax)
  std::string stages;           // comma list
  std::string standards;        // comma list; empty: all
  std::string connection_form;  // empty: unknown
  std::optional<unsigned> max_attempts;  // credential attempts per service
};

// Loads `dir`/`name`.yaml. A name that is not a profile lists the ones there are.
Expected<Profile> load_profile(const std::filesystem::path& dir, const std::string& name);

}  // namespace mamori::policy
