#include "core/units.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace mamori {
namespace {

// Splits "1.5ms" into 1.5 and "ms"; false if the number part is not a plain decimal.
bool split_number(std::string_view text, double& value, std::string_view& suffix) {
  size_t i = 0;
  bool digits = false, dot = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!digits || i > 20) return false;
  value = std::strtod(std::string(text.substr(0, i)).c_str(), nullptr);
  suffix = text.substr(i);
  return std::isfinite(value);
}

}  // namespace

Expected<std::chrono::milliseconds> parse_duration(std::string_view text) {
  double v;
  std::string_view unit;
  auto bad = [&](const char* why) {
    return make_error("invalid duration '" + std::string(text) + "': " + why);
  };
  if (!split_number(text, v, unit)) return bad("expected a number with an optional unit ms, s or m");
  double ms;
  if (unit.empty() || unit == "ms") ms = v;
  else if (unit == "s") ms = v * 1000;
  else if (unit == "m") ms = v * 60000;
  else return bad("unit must be ms, s or m");
  if (ms < 1 || ms > 3600 * 1000.0) return bad("must be between 1ms and 1 hour");
  return std::chrono::milliseconds(static_cast<long long>(std::llround(ms)));
}

Expected<double> parse_rate(std::string_view text) {
  double v;
  std::string_view unit;
  auto bad = [&](const char* why) {
    return make_error("invalid rate '" + std::string(text) + "': " + why);
  };
  if (!split_number(text, v, unit)) return bad("expected a number such as 500, 10k or 1M");
  if (unit == "k" || unit == "K") v *= 1e3;
  else if (unit == "M" || unit == "m") v *= 1e6;
  else if (!unit.empty()) return bad("suffix must be k or M");
  if (v > 1e8) return bad("more than 100M per second");
  return v;
}

}  // namespace mamori
