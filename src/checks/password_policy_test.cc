#include "checks/password_policy.h"

#include <gtest/gtest.h>

namespace mamori {
namespace {

TEST(PasswordPolicy, JeitaRuleLengthAndClasses) {
  EXPECT_FALSE(check_password("abc12").meets_jeita_rule);        // short
  EXPECT_FALSE(check_password("abcdefghij").meets_jeita_rule);   // one class
  EXPECT_FALSE(check_password("1234567890").meets_jeita_rule);   // one class
  EXPECT_TRUE(check_password("tomato42").meets_jeita_rule);      // letters + digits, 8
  EXPECT_TRUE(check_password("tomato!?").meets_jeita_rule);      // letters + symbols
  EXPECT_TRUE(check_password("1234-5678").meets_jeita_rule);     // digits + symbols
  EXPECT_FALSE(check_password("tomat42").meets_jeita_rule);      // 7
}

TEST(PasswordPolicy, CountsCodePointsNotBytes) {
  auto v = check_password("パスワード12");  // 7 code points, 17 bytes
  EXPECT_EQ(v.length, 7u);
  EXPECT_FALSE(v.meets_jeita_rule);
}

TEST(PasswordPolicy, ExtraProblems) {
  EXPECT_FALSE(check_password("Admin2024", "admin").ok);   // contains the username
  EXPECT_FALSE(check_password("admin", "admin").ok);
  EXPECT_FALSE(check_password("abcdefgh1", "", {"abcdefgh1"}).ok);  // known default
  EXPECT_TRUE(check_password("abcdefgh1", "", {"abcdefgh1"}).meets_jeita_rule);
  EXPECT_FALSE(check_password("11111111").ok);
  auto good = check_password("Kite7-Harbour", "admin", {"admin", "12345"});
  EXPECT_TRUE(good.ok);
  EXPECT_TRUE(good.problems.empty());
}

}  // namespace
}  // namespace mamori
