// The shipped catalog (data/fingerprints) against its conventions and fixtures, and the linter
// itself against catalogs that break each convention.
#include "ident/lint.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "ident/classify.h"
#include "ident/evidence_keys.h"

namespace mamori::ident {
namespace {

const std::string kDir = MAMORI_FINGERPRINTS_DIR;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

TEST(ShippedCatalog, LoadsAndFollowsTheConventions) {
  auto c = FingerprintCatalog::load(kDir);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_GE(c->rules().size(), 100u);
  auto problems = lint_catalog(*c);
  EXPECT_TRUE(problems.empty()) << join(problems);
}

TEST(ShippedCatalog, EveryRuleProvesItselfAndNegativesStaySilent) {
  auto c = FingerprintCatalog::load(kDir);
  ASSERT_TRUE(c) << c.error().message;
  auto f = load_fixtures(kDir + "/tests");
  ASSERT_TRUE(f) << f.error().message;
  size_t negatives = 0;
  for (const auto& x : *f) negatives += x.negative;
  EXPECT_GE(negatives, 1u);
  auto problems = check_fixtures(*c, *f);
  EXPECT_TRUE(problems.empty()) << problems.size() << " problem(s):\n" << join(problems);
}

TEST(ShippedCatalog, RulesPerCategory) {
  auto c = FingerprintCatalog::load(kDir);
  ASSERT_TRUE(c) << c.error().message;
  std::map<std::string, int> n;
  for (const auto& r : c->rules()) n[r.category.empty() ? "(service only)" : r.category]++;
  std::string s;
  for (const auto& [k, v] : n) s += k + "=" + std::to_string(v) + " ";
  std::cout << "rules per category: " << s << "\n";
  // Each category of the closed set but `other` has rules.
  for (const auto& cat : device_categories()) {
    if (cat != "other") {
      EXPECT_GT(n[cat], 0) << cat;
    }
  }
}

// The evidence keys of src/engine/observation.h's comment are all known here (the list is kept
// in evidence_keys.cc; this test notices when the comment grows).
TEST(ShippedCatalog, EvidenceKeysMirrorObservationH) {
  std::ifstream in(kDir + "/../../src/engine/observation.h");
  ASSERT_TRUE(in) << "src/engine/observation.h not found";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  size_t a = text.find("dotted keys that fingerprint rules match on");
  size_t b = text.find("Keys are persistent");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  re2::StringPiece comment(text.data() + a, b - a);
  static const RE2 key(R"(//\s+([a-z0-9]+\.[a-z0-9_]+|banner)\b|\s{2,}([a-z0-9]+\.[a-z0-9_]+)\s)");
  std::set<std::string> found;
  std::string k1, k2;
  while (RE2::FindAndConsume(&comment, key, &k1, &k2)) found.insert(k1.empty() ? k2 : k1);
  EXPECT_GE(found.size(), 25u);
  for (const auto& k : found) EXPECT_TRUE(evidence_key_index(k)) << k << " is named in observation.h but unknown here";
}

// ---- the linter can fail --------------------------------------------------------------------

std::vector<std::string> lint(const std::string& text) {
  auto c = FingerprintCatalog::parse({{"cams.yaml", text}});
  EXPECT_TRUE(c) << c.error().message;
  return c ? lint_catalog(*c) : std::vector<std::string>{"(did not load)"};
}

TEST(Lint, Conventions) {
  EXPECT_EQ(join(lint("id_prefixes: [cam]\nrules:\n"
                      "  - id: cam-ok\n    match: {http.title: 'IP Camera'}\n    category: network_camera\n"
                      "    weight: 0.5\n    source: s\n")),
            "");
  EXPECT_EQ(join(lint("id_prefixes: [cam]\nrules:\n"
                      "  - id: cam_Bad\n    match: {http.title: x}\n    vendor: V\n    source: s\n"
                      "  - id: other-x\n    match: {http.title: x}\n    vendor: V\n    source: s\n"
                      "  - id: cam-nosrc\n    match: {http.title: x}\n    vendor: V\n"
                      "  - id: cam-mute\n    match: {http.title: x}\n    source: s\n"
                      "  - id: cam-port\n    match: {port: '37777'}\n    category: dvr\n    weight: 0.4\n    source: s\n"
                      "  - id: cam-empty\n    match: {http.title: 'a*'}\n    vendor: V\n    source: s\n")),
            "cams.yaml:3: cam_Bad: id is not kebab-case (a-z, 0-9, single dashes)\n"
            "cams.yaml:3: cam_Bad: id does not start with one of cams.yaml's id_prefixes and a dash\n"
            "cams.yaml:7: other-x: id does not start with one of cams.yaml's id_prefixes and a dash\n"
            "cams.yaml:11: cam-nosrc: no source (say where the pattern comes from)\n"
            "cams.yaml:14: cam-mute: says nothing (no category, service, vendor or product)\n"
            "cams.yaml:17: cam-port: a port-only hint weighs at most 0.3\n"
            "cams.yaml:22: cam-empty: match.http.title matches the empty string, so it matches any value\n");
  auto two = FingerprintCatalog::parse({{"a.yaml", "id_prefixes: [x]\n"}, {"b.yaml", "id_prefixes: [x]\n"}, {"c.yaml", ""}});
  ASSERT_TRUE(two);
  EXPECT_EQ(join(lint_catalog(*two)), "b.yaml: id prefix x is already declared by a.yaml\n");
}

const char* kTiny = R"(id_prefixes: [t]
rules:
  - id: t-cam
    match: {http.title: '^IP Camera$'}
    vendor: Acme
    category: network_camera
    weight: 0.6
    source: s
  - id: t-ssh
    match: {ssh.version: 'OpenSSH_(\S+)'}
    product: OpenSSH
    version: $1
    source: s
  - id: t-generic
    match: {http.server: 'Apache'}
    category: other
    weight: 0.5
    source: s
)";

TEST(Lint, FixturesProveEachRule) {
  auto c = FingerprintCatalog::parse({{"t.yaml", kTiny}});
  ASSERT_TRUE(c) << c.error().message;
  auto f = parse_fixtures(R"(fixtures:
  - name: cam
    rules: [t-cam]
    services:
      - {port: 80, service: http, fields: {http.title: IP Camera}}
    expect: {category: network_camera, vendor: Acme}
  - name: ssh-wrong
    rules: [t-ssh]
    services:
      - port: 22
        service: ssh
        fields: {ssh.version: SSH-2.0-OpenSSH_9.2p1}
        expect: {product: OpenSSH, version: '9.3'}
  - name: cam-no-match
    rules: [t-cam, t-gone]
    services:
      - {port: 80, service: http, fields: {http.title: IP Camera 2}}
    expect: {category: dvr}
negatives:
  - name: yes-to-everything
    services:
      - {port: 80, service: http, fields: {http.server: Apache/2.4.57 (Debian), http.title: Index of /}}
)", "f.yaml");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(join(check_fixtures(*c, *f)),
            "f.yaml:7: ssh-wrong: services[0].version: expected \"9.3\", got \"9.2p1\"; got unknown 0.000000 from [t-ssh]\n"
            "f.yaml:14: cam-no-match: rule t-cam did not match; got unknown 0.000000 from []\n"
            "f.yaml:14: cam-no-match: names rule t-gone, which the catalog does not have\n"
            "f.yaml:14: cam-no-match: category: expected \"dvr\", got \"unknown\"; got unknown 0.000000 from []\n"
            "f.yaml:20: yes-to-everything: rule t-generic (other, weight 0.500000) fires on a yes-to-everything device\n"
            "f.yaml:20: yes-to-everything: the negative device is judged with confidence >= 0.5: got other 0.500000 from [t-generic]\n"
            "t.yaml:14: t-generic: no positive fixture names this rule\n");
}

TEST(Lint, FixtureFileErrors) {
  EXPECT_EQ(parse_fixtures("fixtures:\n  - name: a\n    services: [{port: 80, fields: {http.titel: x}}]\n    rules: [x]\n", "f.yaml")
                .error()
                .message,
            "f.yaml:3: fixtures[0].services[0].fields.http.titel: not an evidence field key");
  EXPECT_EQ(parse_fixtures("fixtures:\n  - name: a\n    services: [{port: 80}]\n", "f.yaml").error().message,
            "f.yaml:2: fixtures[0].rules: missing (the rule ids this device must match)");
  EXPECT_EQ(parse_fixtures("negatives:\n  - name: a\n    rules: [x]\n    services: []\n", "f.yaml").error().message,
            "f.yaml:3: negatives[0].rules: a negative fixture names no rules");
  EXPECT_EQ(parse_fixtures("fixtures:\n  - name: a\n    rules: [x]\n    services: [{port: 70000}]\n", "f.yaml").error().message,
            "f.yaml:4: fixtures[0].services[0].port: 70000 is not a port");
}

}  // namespace
}  // namespace mamori::ident
