#include "core/target_spec.h"

#include <gtest/gtest.h>

namespace mamori {
namespace {

TargetParseOptions fake_options() {
  TargetParseOptions o;
  o.resolver = [](const std::string& name) -> Expected<std::vector<Ip>> {
    if (name == "cam.lab") return std::vector<Ip>{*Ip::parse("127.0.0.9"), *Ip::parse("::1")};
    if (name == "gone.lab") return std::vector<Ip>{};
    return make_error("Name or service not known");
  };
  o.file_reader = [](const std::string& path) -> Expected<std::string> {
    if (path == "list.txt") return std::string("# lab devices\n127.0.0.1, 127.0.0.2 # two\n\n198.18.0.0/30\n");
    if (path == "bad.txt") return std::string("127.0.0.1\n127.0.0.999\n");
    if (path == "nested.txt") return std::string("@list.txt\n");
    return make_error("no such file");
  };
  return o;
}

Expected<Targets> parse(std::vector<std::string> args, TargetParseOptions o = fake_options()) {
  Targets t;
  auto r = parse_targets(args, o, t);
  if (!r) return r.error();
  return t;
}

std::string error_of(std::vector<std::string> args) {
  auto t = parse(std::move(args));
  return t ? std::string("(no error)") : t.error().message;
}

TEST(Targets, SingleAddressesAndCidr) {
  auto t = parse({"198.18.0.0/24", "198.18.1.7", "2001:db8::/126"});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->set.size(), u128{256 + 1 + 4});
  EXPECT_EQ(t->set.at(0).str(), "198.18.0.0");
  EXPECT_EQ(t->set.at(256).str(), "198.18.1.7");
  EXPECT_EQ(t->set.at(257).str(), "2001:db8::");
}

TEST(Targets, CidrIgnoresHostBits) {
  auto t = parse({"198.18.3.77/30"});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->set.size(), u128{4});
  EXPECT_EQ(t->set.at(0).str(), "198.18.3.76");
  auto all = parse({"0.0.0.0/0"});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->set.size(), u128{1} << 32);
}

TEST(Targets, RangesFullAndShort) {
  auto t = parse({"198.18.0.250-198.18.1.3", "127.0.0.5-7", "::1-::3"});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->set.size(), u128{10 + 3 + 3});
}

TEST(Targets, OverlapsMerge) {
  auto t = parse({"198.18.0.0/24", "198.18.0.10", "198.18.0.100-198.18.1.0"});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->set.size(), u128{257});
  EXPECT_EQ(t->set.ranges().size(), 1u);
}

TEST(Targets, HostNamesKeepTheName) {
  auto t = parse({"cam.lab"});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->set.size(), u128{1});
  EXPECT_EQ(t->names.at(Ip::parse("127.0.0.9")->value()), "cam.lab");
  auto o = fake_options();
  o.resolve_all = true;
  auto all = parse({"cam.lab"}, o);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->set.size(), u128{2});
}

TEST(Targets, FilesWithCommentsAndCommas) {
  auto t = parse({"@list.txt", "127.0.0.3,127.0.0.4"});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->set.size(), u128{2 + 4 + 2});
}

TEST(Targets, ErrorsNameTheBadToken) {
  EXPECT_NE(error_of({"127.0.0.1", "1.2.3.256"}).find("'1.2.3.256'"), std::string::npos);
  EXPECT_NE(error_of({"198.18.0.0/33"}).find("'198.18.0.0/33'"), std::string::npos);
  EXPECT_NE(error_of({"198.18.0.0/x"}).find("prefix length 'x'"), std::string::npos);
  EXPECT_NE(error_of({"198.18.0.9-198.18.0.1"}).find("ends before it starts"), std::string::npos);
  EXPECT_NE(error_of({"127.0.0.1-::1"}).find("mixes IPv4 and IPv6"), std::string::npos);
  EXPECT_NE(error_of({"127.0.0.1-300"}).find("'300'"), std::string::npos);
  EXPECT_NE(error_of({"no.such.lab"}).find("cannot resolve 'no.such.lab'"), std::string::npos);
  EXPECT_NE(error_of({"gone.lab"}).find("no addresses"), std::string::npos);
  EXPECT_NE(error_of({"bad!host"}).find("'bad!host'"), std::string::npos);
  EXPECT_NE(error_of({"fe80::1%eth0"}).find("zone"), std::string::npos);
  EXPECT_NE(error_of({"@missing.txt"}).find("missing.txt"), std::string::npos);
  EXPECT_NE(error_of({"@bad.txt"}).find("bad.txt:2"), std::string::npos);
  EXPECT_NE(error_of({"@bad.txt"}).find("'127.0.0.999'"), std::string::npos);
  EXPECT_NE(error_of({"@nested.txt"}).find("another @file"), std::string::npos);
  EXPECT_NE(error_of({"2001:db8::/32"}).find("more than"), std::string::npos);
}

TEST(Targets, ExclusionSubtracts) {
  auto t = parse({"198.18.0.0/24"});
  auto x = parse({"198.18.0.0/26", "198.18.0.100", "198.18.0.250-198.18.1.20"});
  ASSERT_TRUE(t && x);
  t->set.subtract(x->set);
  EXPECT_EQ(t->set.size(), u128{256 - 64 - 1 - 6});
  EXPECT_FALSE(t->set.contains(*Ip::parse("198.18.0.100")));
  EXPECT_TRUE(t->set.contains(*Ip::parse("198.18.0.101")));
  EXPECT_FALSE(t->set.contains(*Ip::parse("198.18.0.5")));
  auto everything = parse({"198.18.0.0/16"});
  t->set.subtract(everything->set);
  EXPECT_TRUE(t->set.empty());
}

TEST(Targets, NoResolverMeansNoNames) {
  TargetParseOptions o;
  EXPECT_FALSE(parse({"cam.lab"}, o));
  EXPECT_FALSE(parse({"@list.txt"}, o));
}

}  // namespace
}  // namespace mamori
