// The ground truth of a scenario and the scale-scenario generator.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/expected.h"
#include "lab/scenario.h"

namespace mamori::lab {

// One JSON object per device: identity, services (with credentials) and the findings a correct
// assessment reports (check ids of spec/results.md). Format: docs/lab.md "Ground truth".
nlohmann::json device_truth(const Scenario& sc, const Device& d);

struct GenOptions {
  size_t devices = 100;
  uint32_t base = (127u << 24) | (66u << 16);  // 127.66.0.0
  uint64_t seed = 1;
};
// YAML text of a generated scenario: a deterministic (per seed) mix of categories and services.
Expected<std::string> generate_scenario(const GenOptions& opt);

}  // namespace mamori::lab
