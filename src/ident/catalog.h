// The fingerprint catalog: rules loaded from data/fingerprints/*.yaml (format in
// docs/fingerprints.md) and compiled into one RE2::Set per evidence key, so a service is matched
// against every rule with one pass over each of its fields.
//
// A FingerprintCatalog is immutable once loaded; copies share the compiled patterns. All const
// member functions are thread-safe (RE2 and RE2::Set matching are).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"

namespace mamori::ident {

// The closed category set of spec/results.md, without `unknown` (no rule may vote for it), in
// the order that breaks the last ties.
const std::vector<std::string>& device_categories();
bool is_device_category(std::string_view name);

struct Clause {
  std::string key;       // an evidence key (evidence_keys.h)
  std::string pattern;   // RE2 syntax, as written in the file
  uint16_t key_index = 0;
  int groups = 0;        // capturing groups in `pattern`
};

struct Rule {
  std::string id;
  std::string file;  // base name, e.g. "cameras.yaml"
  int line = 0;      // 1-based line of the rule in `file`
  std::vector<Clause> match;  // all must match; at least one
  // What the rule says about the service it matched (empty: says nothing).
  std::string service, vendor, product, version;
  // What it says about the device (templates like vendor/product/version: "$1", "${key:2}").
  std::string model, firmware;
  std::string category;  // empty, or one of device_categories()
  double weight = 0;     // 0..1, with a category
  std::string source;
  std::string note;
  std::size_t order = 0;  // position in the catalog (files by name, then rules in file order)

  // Clauses that only look at the port/service/proto/tls or the MAC vendor: a rule made of
  // these alone is a hint, not evidence from the device's own words.
  bool port_only() const;
  // Clauses on what the device itself said (fields), used to rank rules.
  int specificity() const;
};

// One file's header: which id prefixes its rules use.
struct CatalogFile {
  std::string name;  // base name
  std::vector<std::string> id_prefixes;
  std::string description;
};

class FingerprintCatalog {
 public:
  FingerprintCatalog();  // empty catalog: classifies everything as unknown

  // Loads every *.yaml directly in `dir` (not its subfolders), in file-name order. Fails on the
  // first problem with "file:line: path: what", e.g.
  //   cameras.yaml:31: rules[4].match.http.title: bad regex: missing )
  static Expected<FingerprintCatalog> load(const std::string& dir);
  // Parses documents given as (file name, text) pairs, as load() does with files. For tests.
  static Expected<FingerprintCatalog> parse(const std::vector<std::pair<std::string, std::string>>& files);

  const std::vector<Rule>& rules() const;
  const std::vector<CatalogFile>& files() const;
  const Rule* find(std::string_view id) const;

  struct Compiled;  // the RE2 sets, private to the implementation
  const Compiled& compiled() const { return *compiled_; }

 private:
  std::shared_ptr<const Compiled> compiled_;
};

// A value template: literal text with capture references. `$1`..`$9` name a group of the one
// pattern of the rule that has capturing groups; `${http.server:2}` names a group of the pattern
// on that key; `$$` is a literal `$`.
struct TemplatePiece {
  std::string literal;  // when group == 0
  std::string key;      // "" until resolved to the rule's one capturing pattern
  int group = 0;
};
Expected<std::vector<TemplatePiece>> parse_template(std::string_view text);

// Rendered template values are cut to this many bytes.
inline constexpr std::size_t kMaxRenderedValue = 128;

}  // namespace mamori::ident
