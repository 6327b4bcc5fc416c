#include "ident/catalog.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "ident/catalog_internal.h"
#include "ident/evidence_keys.h"

namespace mamori::ident {
namespace {

// Thrown inside this file only; load()/parse() turn it into an Error.
struct ParseFailure {
  std::string message;
};

constexpr std::size_t kMaxFileBytes = 4 << 20;
constexpr std::size_t kMaxPatternBytes = 2048;
constexpr int64_t kSetMaxMem = 64 << 20;

RE2::Options re2_options() {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(8 << 20);
  return o;
}

// RE2 appends ": <pattern>" to its messages; the file already shows the pattern.
std::string short_re2_error(const std::string& error, const std::string& pattern) {
  std::string suffix = ": " + pattern;
  if (error.size() > suffix.size() && error.compare(error.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return error.substr(0, error.size() - suffix.size());
  }
  return error;
}

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& n, const std::string& path, const std::string& what) const {
    int line = n.IsDefined() && n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
    fail_at(line, path, what);
  }
  [[noreturn]] void fail_at(int line, const std::string& path, const std::string& what) const {
    std::string msg = file_ + ":" + std::to_string(line) + ": ";
    if (!path.empty()) msg += path + ": ";
    throw ParseFailure{msg + what};
  }
  std::string str(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, "expected a string");
    return n.Scalar();
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

const std::set<std::string, std::less<>> kRuleFields = {"id",      "match",    "service",  "vendor", "product",
                                                        "version", "model",    "firmware", "category",
                                                        "weight",  "source",   "note"};
const std::set<std::string, std::less<>> kFileFields = {"description", "id_prefixes", "rules"};

double parse_weight(const Reader& r, const YAML::Node& n, const std::string& path) {
  std::string s = r.str(n, path);
  try {
    size_t used = 0;
    double v = std::stod(s, &used);
    if (used != s.size()) throw std::invalid_argument("trailing");
    if (!(v >= 0.0 && v <= 1.0)) r.fail(n, path, s + " is not in 0..1");
    return v;
  } catch (const std::exception&) {
    r.fail(n, path, s + " is not a number");
  }
}

void parse_rule(const Reader& r, const YAML::Node& n, const std::string& path, Rule& rule) {
  if (!n.IsMap()) r.fail(n, path, "expected a map (id, match, ...)");
  for (const auto& kv : n) {
    std::string k = r.str(kv.first, path);
    if (!kRuleFields.count(k)) r.fail(kv.first, path + "." + k, "unknown field (known: id, match, service, vendor, product, version, model, firmware, category, weight, source, note)");
  }
  rule.line = n.Mark().line + 1;
  if (!n["id"]) r.fail(n, path + ".id", "missing");
  rule.id = r.str(n["id"], path + ".id");
  if (rule.id.empty()) r.fail(n["id"], path + ".id", "empty");
  const YAML::Node m = n["match"];
  if (!m) r.fail(n, path + ".match", "missing");
  if (!m.IsMap() || m.size() == 0) r.fail(m, path + ".match", "expected a map of evidence key to pattern");
  std::set<std::string> seen;
  for (const auto& kv : m) {
    std::string key = r.str(kv.first, path + ".match");
    std::string cpath = path + ".match." + key;
    auto idx = evidence_key_index(key);
    if (!idx) r.fail(kv.first, cpath, "unknown evidence key (see docs/fingerprints.md)");
    if (!seen.insert(key).second) r.fail(kv.first, cpath, "key given twice");
    Clause c;
    c.key = key;
    c.key_index = *idx;
    c.pattern = r.str(kv.second, cpath);
    if (c.pattern.empty()) r.fail(kv.second, cpath, "empty pattern");
    if (c.pattern.size() > kMaxPatternBytes) r.fail(kv.second, cpath, "pattern longer than 2048 bytes");
    RE2 re(c.pattern, re2_options());
    if (!re.ok()) r.fail(kv.second, cpath, "bad regex: " + short_re2_error(re.error(), c.pattern));
    c.groups = re.NumberOfCapturingGroups();
    rule.match.push_back(std::move(c));
  }
  auto opt = [&](const char* name, std::string& out) {
    if (n[name]) out = r.str(n[name], path + "." + name);
  };
  opt("service", rule.service);
  opt("vendor", rule.vendor);
  opt("product", rule.product);
  opt("version", rule.version);
  opt("model", rule.model);
  opt("firmware", rule.firmware);
  opt("source", rule.source);
  opt("note", rule.note);
  opt("category", rule.category);
  if (!rule.category.empty() && !is_device_category(rule.category)) {
    std::string known;
    for (const auto& c : device_categories()) known += (known.empty() ? "" : ", ") + c;
    r.fail(n["category"], path + ".category", rule.category + " is not a category (" + known + ")");
  }
  if (n["weight"]) {
    if (rule.category.empty()) r.fail(n["weight"], path + ".weight", "a weight needs a category");
    rule.weight = parse_weight(r, n["weight"], path + ".weight");
  } else if (!rule.category.empty()) {
    r.fail(n, path + ".weight", "missing (a category needs a weight 0..1)");
  }
  for (char ch : rule.service) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) {
      r.fail(n["service"], path + ".service", "a service name is lower-case letters, digits, - and _");
    }
  }
}

// Resolves a template's pieces against the rule's clauses.
std::vector<TemplatePiece> resolve_template(const Reader& r, const YAML::Node& node, const std::string& path,
                                            const Rule& rule, const std::string& text) {
  auto parsed = parse_template(text);
  if (!parsed) r.fail(node, path, parsed.error().message);
  std::vector<const Clause*> with_groups;
  for (const auto& c : rule.match) {
    if (c.groups > 0) with_groups.push_back(&c);
  }
  for (auto& p : *parsed) {
    if (p.group == 0) continue;
    const Clause* target = nullptr;
    if (p.key.empty()) {
      if (with_groups.empty()) r.fail(node, path, "$" + std::to_string(p.group) + ": no pattern of this rule has a capturing group");
      if (with_groups.size() > 1) {
        r.fail(node, path, "$" + std::to_string(p.group) + " is ambiguous: patterns of " + with_groups[0]->key + " and " +
                               with_groups[1]->key + " have groups; write ${" + with_groups[0]->key + ":" +
                               std::to_string(p.group) + "}");
      }
      target = with_groups[0];
      p.key = target->key;
    } else {
      for (const auto& c : rule.match) {
        if (c.key == p.key) target = &c;
      }
      if (!target) r.fail(node, path, "${" + p.key + ":" + std::to_string(p.group) + "}: the rule does not match on " + p.key);
    }
    if (p.group > target->groups) {
      r.fail(node, path, "$" + std::to_string(p.group) + ": the pattern of " + target->key + " has " +
                             std::to_string(target->groups) + " capturing group(s)");
    }
  }
  return std::move(*parsed);
}

void parse_file(const std::string& name, const std::string& text, FingerprintCatalog::Compiled& out) {
  Reader r(name);
  if (text.size() > kMaxFileBytes) r.fail_at(0, "", "file larger than 4 MiB");
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    r.fail_at(e.mark.line + 1, "", "not YAML: " + e.msg);
  }
  if (root.IsNull()) return;  // an empty file has no rules
  if (!root.IsMap()) r.fail(root, "", "expected a map with description, id_prefixes and rules");
  for (const auto& kv : root) {
    std::string k = r.str(kv.first, "");
    if (!kFileFields.count(k)) r.fail(kv.first, k, "unknown field (known: description, id_prefixes, rules)");
  }
  CatalogFile file;
  file.name = name;
  if (root["description"]) file.description = r.str(root["description"], "description");
  if (root["id_prefixes"]) {
    const YAML::Node p = root["id_prefixes"];
    if (!p.IsSequence()) r.fail(p, "id_prefixes", "expected a list of strings");
    for (size_t i = 0; i < p.size(); ++i) file.id_prefixes.push_back(r.str(p[i], "id_prefixes[" + std::to_string(i) + "]"));
  }
  out.files.push_back(file);
  const YAML::Node rules = root["rules"];
  if (!rules) return;
  if (!rules.IsSequence()) r.fail(rules, "rules", "expected a list of rules");
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string path = "rules[" + std::to_string(i) + "]";
    Rule rule;
    rule.file = name;
    parse_rule(r, rules[i], path, rule);
    CompiledRule cr;
    const char* names[kTemplateFields] = {"service", "vendor", "product", "version", "model", "firmware"};
    const std::string* values[kTemplateFields] = {&rule.service, &rule.vendor, &rule.product,
                                                  &rule.version, &rule.model,  &rule.firmware};
    for (int f = 0; f < kTemplateFields; ++f) {
      if (values[f]->empty()) continue;
      cr.has[f] = true;
      cr.templates[f] = resolve_template(r, rules[i][names[f]], path + "." + names[f], rule, *values[f]);
      for (const auto& p : cr.templates[f]) cr.has_captures |= p.group > 0;
    }
    if (cr.has[kVersion] && !cr.has[kProduct]) r.fail(rules[i]["version"], path + ".version", "a version needs a product");
    for (const auto& c : rule.match) {
      const bool whole = evidence_keys()[c.key_index].match == KeyMatch::whole;
      // Whole-value keys are anchored here, so "554|8554" means ^(?:554|8554)$.
      std::string pat = whole ? "^(?:" + c.pattern + ")$" : c.pattern;
      cr.clause_re.push_back(std::make_unique<RE2>(pat, re2_options()));
    }
    cr.clause_count = static_cast<uint16_t>(rule.match.size());
    rule.order = out.rules.size();
    out.rules.push_back(std::move(rule));
    out.compiled.push_back(std::move(cr));
  }
}

void build_sets(FingerprintCatalog::Compiled& c) {
  auto keys = evidence_keys();
  c.keys.clear();
  c.keys.resize(keys.size());
  for (uint32_t ri = 0; ri < c.rules.size(); ++ri) {
    const Rule& rule = c.rules[ri];
    for (uint16_t ci = 0; ci < rule.match.size(); ++ci) {
      const Clause& cl = rule.match[ci];
      KeyMatcher& km = c.keys[cl.key_index];
      if (!km.set) {
        RE2::Options o = re2_options();
        o.set_max_mem(kSetMaxMem);
        const bool whole = keys[cl.key_index].match == KeyMatch::whole;
        km.set = std::make_unique<RE2::Set>(o, whole ? RE2::ANCHOR_BOTH : RE2::UNANCHORED);
      }
      std::string err;
      int idx = km.set->Add(cl.pattern, &err);
      if (idx < 0) {  // compiled alone already; cannot happen short of a RE2 difference
        throw ParseFailure{rule.file + ":" + std::to_string(rule.line) + ": " + rule.id + ": bad regex: " + err};
      }
      km.refs.push_back(ClauseRef{ri, ci});
    }
  }
  for (auto& km : c.keys) {
    if (km.set && !km.set->Compile()) km.set.reset();  // out of memory: classify() loops instead
  }
}

}  // namespace

const std::vector<std::string>& device_categories() {
  static const std::vector<std::string> k = {"network_camera", "dvr",         "router",       "smart_speaker",
                                             "tv_stb",         "medical",     "mfp",          "car_gateway",
                                             "game_console",   "smart_meter", "nfc",          "other"};
  return k;
}

bool is_device_category(std::string_view name) {
  const auto& c = device_categories();
  return std::find(c.begin(), c.end(), name) != c.end();
}

bool Rule::port_only() const {
  for (const auto& c : match) {
    if (evidence_keys()[c.key_index].scope == KeyScope::field) return false;
  }
  return true;
}

int Rule::specificity() const {
  int n = 0;
  for (const auto& c : match) n += evidence_keys()[c.key_index].scope == KeyScope::field ? 2 : 1;
  return n;
}

Expected<std::vector<TemplatePiece>> parse_template(std::string_view t) {
  std::vector<TemplatePiece> out;
  auto literal = [&](char ch) {
    if (out.empty() || out.back().group != 0) out.push_back({});
    out.back().literal += ch;
  };
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '$') {
      literal(t[i]);
      continue;
    }
    if (i + 1 >= t.size()) return make_error("stray $ at the end (write $$ for a dollar sign)");
    char nx = t[i + 1];
    if (nx == '$') {
      literal('$');
      ++i;
    } else if (nx >= '1' && nx <= '9') {
      out.push_back(TemplatePiece{"", "", nx - '0'});
      ++i;
    } else if (nx == '{') {
      size_t close = t.find('}', i);
      if (close == std::string_view::npos) return make_error("${ without }");
      std::string_view body = t.substr(i + 2, close - i - 2);
      size_t colon = body.rfind(':');
      if (colon == std::string_view::npos || colon == 0 || colon + 1 >= body.size()) {
        return make_error("${" + std::string(body) + "}: write ${key:N}");
      }
      int g = 0;
      for (char ch : body.substr(colon + 1)) {
        if (ch < '0' || ch > '9' || g > 99) return make_error("${" + std::string(body) + "}: N must be 1..99");
        g = g * 10 + (ch - '0');
      }
      if (g < 1 || g > 99) return make_error("${" + std::string(body) + "}: N must be 1..99");
      out.push_back(TemplatePiece{"", std::string(body.substr(0, colon)), g});
      i = close;
    } else {
      return make_error(std::string("stray $ before '") + nx + "' (write $$ for a dollar sign)");
    }
  }
  return out;
}

FingerprintCatalog::FingerprintCatalog() {
  auto c = std::make_shared<Compiled>();
  c->keys.resize(evidence_keys().size());
  compiled_ = std::move(c);
}

const std::vector<Rule>& FingerprintCatalog::rules() const { return compiled_->rules; }
const std::vector<CatalogFile>& FingerprintCatalog::files() const { return compiled_->files; }

const Rule* FingerprintCatalog::find(std::string_view id) const {
  for (const auto& r : compiled_->rules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

Expected<FingerprintCatalog> FingerprintCatalog::parse(const std::vector<std::pair<std::string, std::string>>& files) {
  auto c = std::make_shared<Compiled>();
  try {
    std::map<std::string, std::string> ids;  // id -> "file:line"
    for (const auto& [name, text] : files) {
      size_t first = c->rules.size();
      parse_file(name, text, *c);
      for (size_t i = first; i < c->rules.size(); ++i) {
        const Rule& r = c->rules[i];
        std::string where = r.file + ":" + std::to_string(r.line);
        auto [it, fresh] = ids.emplace(r.id, where);
        if (!fresh) throw ParseFailure{where + ": id: " + r.id + " is already used at " + it->second};
      }
    }
    build_sets(*c);
  } catch (const ParseFailure& f) {
    return make_error(f.message);
  }
  FingerprintCatalog cat;
  cat.compiled_ = std::move(c);
  return cat;
}

Expected<FingerprintCatalog> FingerprintCatalog::load(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return make_error(dir + ": not a directory");
  std::vector<fs::path> paths;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".yaml" && it->is_regular_file(ec)) paths.push_back(it->path());
  }
  if (ec) return make_error(dir + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return make_error(p.string() + ": cannot read");
    std::string text;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      text.append(buf, static_cast<size_t>(in.gcount()));
      if (text.size() > kMaxFileBytes) return make_error(p.filename().string() + ":0: file larger than 4 MiB");
    }
    files.emplace_back(p.filename().string(), std::move(text));
  }
  return parse(files);
}

}  // namespace mamori::ident
