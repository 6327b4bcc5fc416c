#include "checks/password_policy.h"

#include <algorithm>
#include <cctype>

namespace mamori {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_sequence(std::string_view p) {
  if (p.size() < 4) return false;
  bool up = true, down = true, same = true;
  for (size_t i = 1; i < p.size(); ++i) {
    int d = static_cast<unsigned char>(p[i]) - static_cast<unsigned char>(p[i - 1]);
    up = up && d == 1;
    down = down && d == -1;
    same = same && d == 0;
  }
  return up || down || same;
}

}  // namespace

PasswordVerdict check_password(std::string_view password, std::string_view username,
                               const std::vector<std::string>& known_defaults) {
  PasswordVerdict v;
  for (unsigned char c : password) {
    if ((c & 0xC0) != 0x80) ++v.length;  // count UTF-8 lead bytes only
    if (c >= 0x80 || std::isalpha(c)) {
      v.has_letter = true;  // non-ASCII letters count as letters
    } else if (std::isdigit(c)) {
      v.has_digit = true;
    } else if (std::isgraph(c) || c == ' ') {
      v.has_symbol = true;
    }
  }
  unsigned classes = v.has_letter + v.has_digit + v.has_symbol;
  if (v.length < 8) {
    v.problems.push_back("shorter than 8 characters (" + std::to_string(v.length) + ")");
  }
  if (classes < 2) {
    v.problems.push_back("uses only one of letters, digits and symbols (needs two or more)");
  }
  v.meets_jeita_rule = v.problems.empty();
  if (!username.empty() && !password.empty()) {
    std::string lp = lower(password), lu = lower(username);
    if (lp == lu) {
      v.problems.push_back("equals the username");
    } else if (lu.size() >= 3 && lp.find(lu) != std::string::npos) {
      v.problems.push_back("contains the username");
    }
  }
  if (is_sequence(password)) v.problems.push_back("is one repeated character or a simple sequence");
  if (std::find(known_defaults.begin(), known_defaults.end(), std::string(password)) !=
      known_defaults.end()) {
    v.problems.push_back("is a known default or weak password (Mamori's credential lists)");
  }
  v.ok = v.problems.empty();
  return v;
}

}  // namespace mamori
