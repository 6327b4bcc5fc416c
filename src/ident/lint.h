// Catalog conventions and fixtures: what the tests check on data/fingerprints beyond what
// FingerprintCatalog::load() already refuses (bad YAML, unknown fields and evidence keys, bad
// regexes, categories outside the closed set, weights outside 0..1, dangling $N references,
// duplicate ids).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/expected.h"
#include "engine/observation.h"
#include "ident/catalog.h"

namespace mamori::ident {

// Convention problems, one message each ("file:line: id: what"); empty when clean:
//   ids are kebab-case and start with one of their file's `id_prefixes` and a dash; no prefix is
//   declared by two files; every rule has a `source`; a rule says something (category, service,
//   vendor or product); port-only hints weigh at most kMaxPortOnlyWeight; no pattern on a free-text
//   key matches the empty string (it would match any value).
std::vector<std::string> lint_catalog(const FingerprintCatalog& catalog);
inline constexpr double kMaxPortOnlyWeight = 0.3;

// Fixtures (data/fingerprints/tests/*.yaml, format in docs/fingerprints.md): positive devices
// that must match named rules with expected results, and "yes-to-everything" negative devices
// on which no category rule of weight >= kStrongWeight may fire.
struct FixtureService {
  ServiceObservation service;
  std::map<std::string, std::string> expect;  // service, vendor, product, version
};
struct Fixture {
  std::string file;
  int line = 0;
  std::string name;
  bool negative = false;
  std::vector<std::string> rules;  // must all be in the evidence
  std::string mac_vendor;
  std::vector<FixtureService> services;
  std::map<std::string, std::string> expect;  // category, vendor, model, firmware
  double min_confidence = -1;                 // < 0: not checked
};
inline constexpr double kStrongWeight = 0.5;

Expected<std::vector<Fixture>> parse_fixtures(const std::string& text, const std::string& file);
Expected<std::vector<Fixture>> load_fixtures(const std::string& dir);

// Runs every fixture; problems as messages. Also: every rule is named by a positive fixture, and
// for a rule with a category (or vendor) one of its fixtures expects that category (and vendor).
std::vector<std::string> check_fixtures(const FingerprintCatalog& catalog, const std::vector<Fixture>& fixtures);

}  // namespace mamori::ident
