// The compiled form of a catalog, shared by catalog.cc and classify.cc. Not a public header.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include <re2/re2.h>
#include <re2/set.h>

#include "ident/catalog.h"

namespace mamori::ident {

// The rule's value templates, resolved: every piece names the key it reads.
enum TemplateField : uint8_t { kService, kVendor, kProduct, kVersion, kModel, kFirmware, kTemplateFields };

struct CompiledRule {
  std::array<std::vector<TemplatePiece>, kTemplateFields> templates;
  std::array<bool, kTemplateFields> has{};  // the rule sets this field
  bool has_captures = false;                // some template reads a group
  std::vector<std::unique_ptr<RE2>> clause_re;  // one per Rule::match entry
  uint16_t clause_count = 0;
};

struct ClauseRef {
  uint32_t rule;
  uint16_t clause;
};

struct KeyMatcher {
  std::unique_ptr<RE2::Set> set;  // null when no rule matches on this key
  std::vector<ClauseRef> refs;    // set pattern index -> clause
};

struct FingerprintCatalog::Compiled {
  std::vector<Rule> rules;
  std::vector<CatalogFile> files;
  std::vector<CompiledRule> compiled;  // parallel to rules
  std::vector<KeyMatcher> keys;        // indexed by evidence key index
};

}  // namespace mamori::ident
