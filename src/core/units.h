// Parsing of human-friendly numbers on the command line: durations ("500ms", "2s", "1.5s",
// "1m"; a bare number is milliseconds) and rates ("500", "10k", "1.5M").
#pragma once

#include <chrono>
#include <string_view>

#include "core/expected.h"

namespace mamori {

Expected<std::chrono::milliseconds> parse_duration(std::string_view text);
Expected<double> parse_rate(std::string_view text);

}  // namespace mamori
