#include "policy/profile.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace mamori::policy {

Expected<Profile> load_profile(const std::filesystem::path& dir, const std::string& name) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    return make_error("unknown profile '" + name + "' (profiles: " + list + ")");
  }
  const auto path = dir / (name + ".yaml");
  Profile p;
  try {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    YAML::Node root = YAML::Load(ss.str());
    if (!root.IsMap()) return make_error(path.string() + ": expected a mapping");
    for (const auto& kv : root) {
      const std::string k = kv.first.Scalar();
      static const char* kKeys[] = {"name", "title", "ports", "stages", "standards", "connection_form", "max_attempts"};
      if (std::none_of(std::begin(kKeys), std::end(kKeys), [&](const char* x) { return k == x; })) {
        return make_error(path.string() + ": unknown field '" + k + "'");
      }
      if (!kv.second.IsScalar()) return make_error(path.string() + ": '" + k + "' must be a single value");
    }
    auto get = [&](const char* k) { return root[k] ? root[k].Scalar() : std::string(); };
    p.name = get("name");
    if (p.name != name) return make_error(path.string() + ": name must be '" + name + "' (the file name)");
    p.title = get("title");
    p.ports = get("ports");
    p.stages = get("stages");
    p.standards = get("standards");
    p.connection_form = get("connection_form");
    if (root["max_attempts"]) {
      long v = root["max_attempts"].as<long>();
      if (v < 2 || v > 1000) return make_error(path.string() + ": max_attempts must be 2..1000");
      p.max_attempts = static_cast<unsigned>(v);
    }
  } catch (const YAML::Exception& e) {
    return make_error(path.string() + ": " + e.what());
  }
  return p;
}

}  // namespace mamori::policy
