// The first-boot password rule of the JEITA paper (2018), usable by makers in their own tooling:
// at least 8 characters, at least two of the classes letters / digits / symbols, compared
// case-sensitively (so case is never folded here). Also flags what the standards forbid beyond
// the rule: a password equal to (or containing) the username, a known default from Mamori's
// credential lists (EN 303 645 5.1-1, JC-STAR S1.1-02), and one character repeated or a simple
// sequence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mamori {

struct PasswordVerdict {
  bool ok = false;               // meets the JEITA rule and none of the extra problems
  bool meets_jeita_rule = false; // length and classes only
  unsigned length = 0;           // in code points (UTF-8)
  bool has_letter = false, has_digit = false, has_symbol = false;
  std::vector<std::string> problems;  // English, one sentence each
};

// `known_defaults`: passwords from the credential lists (may be empty).
PasswordVerdict check_password(std::string_view password, std::string_view username = {},
                               const std::vector<std::string>& known_defaults = {});

}  // namespace mamori
