#include "ident/catalog.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "ident/evidence_keys.h"

namespace mamori::ident {
namespace {

Expected<FingerprintCatalog> one(const std::string& text, const std::string& name = "cameras.yaml") {
  return FingerprintCatalog::parse({{name, text}});
}

std::string err(const std::string& text) {
  auto c = one(text);
  return c ? std::string("(loaded)") : c.error().message;
}

TEST(Catalog, ParsesRulesInOrder) {
  auto c = one(R"(description: cameras
id_prefixes: [hik]
rules:
  - id: hik-server
    match:
      http.server: '^App-webs/'
      port: "80|8080"
    vendor: Hikvision
    category: network_camera
    weight: 0.8
    source: Shodan banners
  - id: hik-rtsp
    match: {rtsp.server: 'Hikvision (\S+)'}
    product: Hikvision RTSP
    version: $1
    source: x
)");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->rules().size(), 2u);
  const Rule& r = c->rules()[0];
  EXPECT_EQ(r.id, "hik-server");
  EXPECT_EQ(r.file, "cameras.yaml");
  EXPECT_EQ(r.line, 4);
  ASSERT_EQ(r.match.size(), 2u);
  EXPECT_EQ(r.match[0].key, "http.server");
  EXPECT_EQ(r.match[1].key, "port");
  EXPECT_EQ(r.category, "network_camera");
  EXPECT_DOUBLE_EQ(r.weight, 0.8);
  EXPECT_FALSE(r.port_only());
  EXPECT_EQ(c->rules()[1].match[0].groups, 1);
  EXPECT_EQ(c->rules()[1].order, 1u);
  ASSERT_EQ(c->files().size(), 1u);
  EXPECT_EQ(c->files()[0].id_prefixes, std::vector<std::string>{"hik"});
  EXPECT_EQ(c->find("hik-rtsp"), &c->rules()[1]);
  EXPECT_EQ(c->find("nope"), nullptr);
}

TEST(Catalog, BadRegexNamesFileLineAndField) {
  EXPECT_EQ(err("rules:\n"
                "  - id: a-b\n"
                "    match:\n"
                "      http.title: 'NET(Surveillance'\n"
                "    source: s\n"),
            "cameras.yaml:4: rules[0].match.http.title: bad regex: missing )");
}

TEST(Catalog, RefusesWhatWouldMisclassify) {
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.titel: x}\n"),
            "cameras.yaml:3: rules[0].match.http.titel: unknown evidence key (see docs/fingerprints.md)");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.title: x}\n    categroy: dvr\n"),
            "cameras.yaml:4: rules[0].categroy: unknown field (known: id, match, service, vendor, product, version, "
            "model, firmware, category, weight, source, note)");
  EXPECT_NE(err("rules:\n  - id: a\n    match: {http.title: x}\n    category: webcam\n    weight: 0.5\n")
                .find("cameras.yaml:4: rules[0].category: webcam is not a category (network_camera, dvr,"),
            std::string::npos);
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.title: x}\n    category: dvr\n    weight: 1.5\n"),
            "cameras.yaml:5: rules[0].weight: 1.5 is not in 0..1");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.title: x}\n    category: dvr\n    weight: high\n"),
            "cameras.yaml:5: rules[0].weight: high is not a number");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.title: x}\n    category: dvr\n"),
            "cameras.yaml:2: rules[0].weight: missing (a category needs a weight 0..1)");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.title: x}\n    weight: 0.2\n"),
            "cameras.yaml:4: rules[0].weight: a weight needs a category");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {}\n"),
            "cameras.yaml:3: rules[0].match: expected a map of evidence key to pattern");
  EXPECT_EQ(err("rules:\n  - match: {http.title: x}\n"), "cameras.yaml:2: rules[0].id: missing");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.title: x}\n    service: HTTP\n"),
            "cameras.yaml:4: rules[0].service: a service name is lower-case letters, digits, - and _");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.title: ''}\n"), "cameras.yaml:3: rules[0].match.http.title: empty pattern");
  EXPECT_EQ(err("rules: [\n"), "cameras.yaml:2: not YAML: end of sequence flow not found");
  EXPECT_EQ(err("rulez: []\n"), "cameras.yaml:1: rulez: unknown field (known: description, id_prefixes, rules)");
}

TEST(Catalog, CaptureReferencesMustExist) {
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {ssh.version: 'OpenSSH_(\\S+)'}\n    product: OpenSSH\n    version: $2\n"),
            "cameras.yaml:5: rules[0].version: $2: the pattern of ssh.version has 1 capturing group(s)");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {ssh.version: 'OpenSSH'}\n    product: OpenSSH\n    version: $1\n"),
            "cameras.yaml:5: rules[0].version: $1: no pattern of this rule has a capturing group");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.title: '(a)', http.server: '(b)'}\n    product: x\n    version: $1\n"),
            "cameras.yaml:5: rules[0].version: $1 is ambiguous: patterns of http.title and http.server have groups; "
            "write ${http.title:1}");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.title: '(a)'}\n    model: '${http.server:1}'\n"),
            "cameras.yaml:4: rules[0].model: ${http.server:1}: the rule does not match on http.server");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.title: '(a)'}\n    model: 'US$ 5'\n"),
            "cameras.yaml:4: rules[0].model: stray $ before ' ' (write $$ for a dollar sign)");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.title: '(a)'}\n    version: '$1'\n"),
            "cameras.yaml:4: rules[0].version: a version needs a product");
  EXPECT_EQ(err("rules:\n  - id: a\n    match: {http.title: '(a)', http.server: '(b)(c)'}\n    model: '${http.server:2}-$$'\n"),
            "(loaded)");
}

TEST(Catalog, DuplicateIdsAcrossFiles) {
  auto c = FingerprintCatalog::parse({{"a.yaml", "rules:\n  - id: x\n    match: {port: '1'}\n"},
                                      {"b.yaml", "\n\nrules:\n  - id: x\n    match: {port: '2'}\n"}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "b.yaml:4: id: x is already used at a.yaml:2");
}

TEST(Catalog, ParseTemplate) {
  auto t = parse_template("v$1 (${http.server:12}) $$");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->size(), 5u);
  EXPECT_EQ((*t)[0].literal, "v");
  EXPECT_EQ((*t)[1].group, 1);
  EXPECT_EQ((*t)[2].literal, " (");
  EXPECT_EQ((*t)[3].key, "http.server");
  EXPECT_EQ((*t)[3].group, 12);
  EXPECT_EQ((*t)[4].literal, ") $");
  EXPECT_FALSE(parse_template("$"));
  EXPECT_FALSE(parse_template("${x}"));
  EXPECT_FALSE(parse_template("${x:0}"));
  EXPECT_FALSE(parse_template("${x:1"));
}

TEST(Catalog, LoadReadsYamlFilesOfADirectoryInNameOrder) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("ident-catalog-" + std::to_string(::getpid()));
  fs::create_directories(dir / "tests");
  std::ofstream(dir / "b.yaml") << "rules:\n  - id: b-1\n    match: {port: '2'}\n    service: bee\n";
  std::ofstream(dir / "a.yaml") << "rules:\n  - id: a-1\n    match: {port: '1'}\n    service: ay\n";
  std::ofstream(dir / "notes.txt") << "not yaml [";
  std::ofstream(dir / "tests" / "c.yaml") << "fixtures: []\n";
  auto c = FingerprintCatalog::load(dir.string());
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->rules().size(), 2u);
  EXPECT_EQ(c->rules()[0].id, "a-1");
  EXPECT_EQ(c->rules()[1].id, "b-1");
  std::ofstream(dir / "c.yaml") << "rules:\n  - id: c\n    match: {port: '(1'}\n";
  auto bad = FingerprintCatalog::load(dir.string());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "c.yaml:3: rules[0].match.port: bad regex: missing )");
  fs::remove_all(dir);
  EXPECT_FALSE(FingerprintCatalog::load(dir.string()));
}

TEST(EvidenceKeys, MirrorTheObservationComment) {
  // Every key named in src/engine/observation.h's comment on ServiceObservation::fields.
  for (const char* k : {"banner", "ssh.version", "ftp.greeting", "telnet.banner", "http.status", "http.server",
                        "http.title", "http.realm", "http.auth", "http.location", "http.favicon_md5", "rtsp.server",
                        "rtsp.public", "rtsp.auth", "mqtt.connack", "snmp.sysdescr", "snmp.sysobjectid",
                        "upnp.manufacturer", "upnp.model", "upnp.device_type", "upnp.friendly_name", "upnp.udn",
                        "upnp.serial", "echonet.manufacturer", "echonet.classes", "coap.resources", "wsd.types",
                        "wsd.scopes", "mdns.services", "pjl.id"}) {
    auto i = evidence_key_index(k);
    ASSERT_TRUE(i) << k;
    EXPECT_EQ(evidence_keys()[*i].scope, KeyScope::field) << k;
  }
  EXPECT_EQ(evidence_keys()[*evidence_key_index("port")].match, KeyMatch::whole);
  EXPECT_EQ(evidence_keys()[*evidence_key_index("mac.vendor")].scope, KeyScope::host);
  EXPECT_FALSE(evidence_key_index("http.body"));
}

}  // namespace
}  // namespace mamori::ident
