#include "checks/creds/credlist.h"

#include <gtest/gtest.h>

namespace mamori::creds {
namespace {

constexpr const char* kHeader = "username\tpassword\tservices\tcategories\tvendors\tnote\n";

CredentialList parse(const std::string& text, bool user = false) {
  auto l = parse_credential_list(text, "test.tsv", user);
  EXPECT_TRUE(l) << (l ? "" : l.error().message);
  return l ? *l : CredentialList{};
}

TEST(CredList, ParsesEntriesWithEmptyPasswordsAndSets) {
  auto l = parse(std::string("# list: mine\n") + kHeader +
                 "root\t\ttelnet,ssh\t*\t*\t\n"
                 "admin\t12345\thttp\tnetwork_camera\tHikvision\tmanual\n");
  EXPECT_EQ(l.name, "mine");
  ASSERT_EQ(l.entries.size(), 2u);
  EXPECT_EQ(l.entries[0].cred.username, "root");
  EXPECT_EQ(l.entries[0].cred.password, "");
  EXPECT_EQ(l.entries[0].services, (std::vector<std::string>{"telnet", "ssh"}));
  EXPECT_TRUE(l.entries[0].categories.empty());
  EXPECT_EQ(l.entries[1].vendors, (std::vector<std::string>{"hikvision"}));
  EXPECT_EQ(l.entries[1].cred.list, "mine");
  EXPECT_EQ(l.entries[1].cred.source, "manual");
}

TEST(CredList, ErrorsNameFileAndLine) {
  auto l = parse_credential_list(std::string(kHeader) + "a\tb\tc\n", "x.tsv");
  ASSERT_FALSE(l);
  EXPECT_NE(l.error().message.find("x.tsv:2:"), std::string::npos) << l.error().message;
  auto u = parse_credential_list("no-colon-here\n", "u.txt", true);
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("u.txt:1:"), std::string::npos);
  auto big = parse_credential_list(std::string(kHeader) + std::string(300, 'a') + "\tb\t*\t*\t*\t\n", "b.tsv");
  EXPECT_FALSE(big);
}

TEST(CredList, UserFilesTakeColonPairs) {
  auto l = parse("alice:s3cret:with:colons\nbob:\n", true);
  ASSERT_EQ(l.entries.size(), 2u);
  EXPECT_EQ(l.entries[0].cred.password, "s3cret:with:colons");
  EXPECT_EQ(l.entries[1].cred.password, "");
  EXPECT_EQ(l.name, "user:test.tsv");
}

CredentialCatalog demo_catalog() {
  CredentialCatalog c;
  c.add(parse(std::string("# list: weak-common\n") + kHeader + "admin\tadmin\t*\t*\t*\t\nroot\troot\t*\t*\t*\t\n"));
  c.add(parse(std::string("# list: mirai\n") + kHeader + "root\txc3511\ttelnet,ssh\t*\t*\t\nadmin\tadmin\ttelnet,ssh\t*\t*\t\n"));
  c.add(parse(std::string("# list: vendor-defaults\n") + kHeader +
              "admin\t12345\thttp,telnet\tnetwork_camera\thikvision\t\n"
              "admin\tpassword\thttp\trouter\tnetgear\t\n"
              "admin\taccess\thttp\tmfp\t*\t\n"));
  c.add(parse(std::string("# list: snmp-communities\n") + kHeader + "\tpublic\tsnmp\t*\t*\t\n"));
  return c;
}

std::vector<std::string> pairs(const std::vector<Credential>& v) {
  std::vector<std::string> out;
  for (auto& c : v) out.push_back(c.username + ":" + c.password);
  return out;
}

TEST(CredList, SelectOrdersVendorThenMiraiThenCommonWithoutDuplicates) {
  auto c = demo_catalog();
  auto got = c.select({"telnet", "login", "network_camera", "Hikvision Digital Technology"});
  EXPECT_EQ(pairs(got), (std::vector<std::string>{"admin:12345", "root:xc3511", "admin:admin", "root:root"}));
  // HTTP: no Mirai (telnet/ssh only), other vendors' defaults left out
  got = c.select({"http", "login", "network_camera", "hikvision"});
  EXPECT_EQ(pairs(got), (std::vector<std::string>{"admin:12345", "admin:admin", "root:root"}));
  // unknown vendor: category defaults, no vendor-specific ones
  got = c.select({"http", "login", "mfp", ""});
  EXPECT_EQ(pairs(got), (std::vector<std::string>{"admin:access", "admin:admin", "root:root"}));
  // limit
  EXPECT_EQ(c.select({"telnet", "login", "unknown", ""}, 2).size(), 2u);
}

TEST(CredList, CommunitiesOnlyForCommunityQueries) {
  auto c = demo_catalog();
  EXPECT_EQ(pairs(c.select({"snmp", "community", "unknown", ""})), (std::vector<std::string>{":public"}));
  for (auto& p : pairs(c.select({"telnet", "login", "unknown", ""}))) EXPECT_NE(p, ":public");
}

TEST(CredList, UserListsComeFirst) {
  auto c = demo_catalog();
  c.add(parse("ops:Hunter2!\n", true));
  auto got = c.select({"ssh", "login", "unknown", ""});
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front().username, "ops");
  EXPECT_EQ(got.front().list, "user:test.tsv");
}

TEST(CredList, ShippedListsLoadAndCiteSources) {
  auto c = CredentialCatalog::load(std::string(MAMORI_SOURCE_DIR) + "/data/creds");
  ASSERT_TRUE(c) << c.error().message;
  bool mirai = false;
  for (const auto& l : c->lists()) {
    if (l.name == "mirai") {
      mirai = true;
      EXPECT_EQ(l.entries.size(), 61u);
    }
    if (l.name == "vendor-defaults") {
      for (const auto& e : l.entries) EXPECT_FALSE(e.cred.source.empty()) << e.cred.username;
    }
  }
  EXPECT_TRUE(mirai);
  auto got = c->select({"telnet", "login", "unknown", ""});
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front().username + ":" + got.front().password, "root:xc3511");
}

}  // namespace
}  // namespace mamori::creds
