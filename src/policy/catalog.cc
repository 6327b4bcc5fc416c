#include "policy/catalog.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace mamori::policy {
namespace {

const std::set<std::string> kSeverities = {"critical", "high", "medium", "low", "info"};
const std::set<std::string> kDeclarations = {"vulnerability_contact", "support_period", "update_mechanism"};

struct Reader {
  std::string file;
  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw std::runtime_error(file + ": " + where + ": " + what);
  }
  std::string str(const YAML::Node& n, const char* key, const std::string& where, bool required) const {
    YAML::Node v = n[key];
    if (!v) {
      if (required) fail(where, std::string("missing '") + key + "'");
      return "";
    }
    if (!v.IsScalar()) fail(where + "." + key, "expected a string");
    return v.Scalar();
  }
  std::vector<std::string> list(const YAML::Node& n, const char* key, const std::string& where) const {
    std::vector<std::string> out;
    YAML::Node v = n[key];
    if (!v) return out;
    if (!v.IsSequence()) fail(where + "." + key, "expected a list");
    for (const auto& x : v) {
      if (!x.IsScalar()) fail(where + "." + key, "expected a list of strings");
      out.push_back(x.Scalar());
    }
    return out;
  }
  void only(const YAML::Node& n, const std::string& where, std::initializer_list<const char*> keys) const {
    if (!n.IsMap()) fail(where, "expected a mapping");
    for (const auto& kv : n) {
      const std::string& k = kv.first.Scalar();
      if (std::none_of(keys.begin(), keys.end(), [&](const char* a) { return k == a; })) {
        fail(where + "." + k, "unknown field");
      }
    }
  }
};

YAML::Node load_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return YAML::Load(ss.str());
}

Verification parse_verification(const Reader& r, const std::string& v, const std::string& where) {
  if (v == "network") return Verification::network;
  if (v == "network-with-owner-credentials") return Verification::network_with_owner_credentials;
  if (v == "documentation") return Verification::documentation;
  r.fail(where, "verification '" + v + "' is not network, network-with-owner-credentials or documentation");
}

Evidence parse_evidence(const Reader& r, const std::string& v, const std::string& where) {
  for (Evidence e : {Evidence::none, Evidence::credential_audit, Evidence::authentication, Evidence::lockout,
                     Evidence::tls_analysis, Evidence::port_inventory}) {
    if (v == to_string(e)) return e;
  }
  r.fail(where, "evidence '" + v +
                    "' is not one of none, credential-audit, authentication, lockout, tls-analysis, port-inventory");
}

}  // namespace

const char* to_string(Verification v) {
  switch (v) {
    case Verification::network: return "network";
    case Verification::network_with_owner_credentials: return "network-with-owner-credentials";
    case Verification::documentation: return "documentation";
  }
  return "?";
}

const char* to_string(Evidence e) {
  switch (e) {
    case Evidence::none: return "none";
    case Evidence::credential_audit: return "credential-audit";
    case Evidence::authentication: return "authentication";
    case Evidence::lockout: return "lockout";
    case Evidence::tls_analysis: return "tls-analysis";
    case Evidence::port_inventory: return "port-inventory";
  }
  return "?";
}

const std::vector<std::string>& device_categories() {
  static const std::vector<std::string> v = {"network_camera", "dvr",         "router",       "smart_speaker", "tv_stb",
                                             "medical",        "mfp",         "car_gateway",  "game_console",  "smart_meter",
                                             "nfc",            "other",       "unknown"};
  return v;
}

const std::vector<std::string>& connection_forms() {
  static const std::vector<std::string> v = {"direct", "nat_unreachable", "port_forwarded", "unknown"};
  return v;
}

Expected<PolicyCatalog> PolicyCatalog::load(const std::filesystem::path& dir) {
  PolicyCatalog cat;
  try {
    // requirements/*.yaml, in name order
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir / "requirements", ec)) {
      if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
    }
    if (ec || files.empty()) return make_error("no requirement catalogs in " + (dir / "requirements").string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      Reader r{f.string()};
      YAML::Node root = load_file(f);
      r.only(root, "(top)", {"standard", "requirements", "threats"});
      YAML::Node sn = root["standard"];
      if (!sn) r.fail("(top)", "missing 'standard'");
      r.only(sn, "standard", {"id", "title", "title_ja", "source"});
      Standard st{r.str(sn, "id", "standard", true), r.str(sn, "title", "standard", true),
                  r.str(sn, "title_ja", "standard", true), r.str(sn, "source", "standard", true), f.filename().string()};
      YAML::Node reqs = root["requirements"];
      if (!reqs || !reqs.IsSequence()) r.fail("requirements", "expected a list");
      for (size_t i = 0; i < reqs.size(); ++i) {
        YAML::Node n = reqs[i];
        std::string where = "requirements[" + std::to_string(i) + "]";
        r.only(n, where, {"id", "clause", "level", "title", "title_ja", "verification", "evidence", "fail_on",
                          "not_for", "declaration", "confirmed", "note"});
        Requirement q;
        q.id = r.str(n, "id", where, true);
        where = q.id;
        q.standard = st.id;
        q.clause = r.str(n, "clause", where, true);
        q.level = r.str(n, "level", where, false);
        q.title = r.str(n, "title", where, true);
        q.title_ja = r.str(n, "title_ja", where, true);
        q.verification = parse_verification(r, r.str(n, "verification", where, true), where + ".verification");
        std::string ev = r.str(n, "evidence", where, false);
        if (!ev.empty()) q.evidence = parse_evidence(r, ev, where + ".evidence");
        q.fail_on = r.list(n, "fail_on", where);
        q.not_for = r.list(n, "not_for", where);
        q.declaration = r.str(n, "declaration", where, false);
        if (!q.declaration.empty() && !kDeclarations.count(q.declaration)) {
          r.fail(where + ".declaration", "'" + q.declaration +
                                             "' is not vulnerability_contact, support_period or update_mechanism");
        }
        std::string conf = r.str(n, "confirmed", where, false);
        if (!conf.empty() && conf != "true" && conf != "false") r.fail(where + ".confirmed", "expected true or false");
        q.confirmed = conf != "false";
        q.note = r.str(n, "note", where, false);
        if (q.id.rfind(st.id + "-", 0) != 0) r.fail(where, "id must start with the standard id '" + st.id + "-'");
        if (cat.by_id_.count(q.id)) r.fail(where, "requirement defined twice");
        cat.by_id_[q.id] = cat.requirements_.size();
        cat.requirements_.push_back(std::move(q));
      }
      if (YAML::Node th = root["threats"]) {
        if (!th.IsSequence()) r.fail("threats", "expected a list");
        for (const auto& n : th) {
          r.only(n, "threats", {"id", "title", "title_ja", "cia"});
          Threat t{r.str(n, "id", "threats", true), r.str(n, "title", "threats", true),
                   r.str(n, "title_ja", "threats", true), r.list(n, "cia", "threats")};
          for (const auto& c : t.cia) {
            if (c != "C" && c != "I" && c != "A") r.fail(t.id + ".cia", "'" + c + "' is not C, I or A");
          }
          cat.threats_.push_back(std::move(t));
        }
      }
      cat.standards_.push_back(std::move(st));
    }

    {
      Reader r{(dir / "categories.yaml").string()};
      YAML::Node root = load_file(dir / "categories.yaml");
      r.only(root, "(top)", {"categories"});
      YAML::Node cs = root["categories"];
      if (!cs || !cs.IsMap()) r.fail("categories", "expected a mapping");
      for (const auto& kv : cs) {
        Category c;
        c.id = kv.first.Scalar();
        YAML::Node n = kv.second;
        std::string where = "categories." + c.id;
        r.only(n, where, {"title", "title_ja", "needs", "unneeded", "weights"});
        c.title = r.str(n, "title", where, true);
        c.title_ja = r.str(n, "title_ja", where, true);
        c.needs = r.list(n, "needs", where);
        c.unneeded = r.list(n, "unneeded", where);
        YAML::Node w = n["weights"];
        if (!w || !w.IsMap()) r.fail(where + ".weights", "expected {C: n, I: n, A: n}");
        for (const char* d : {"C", "I", "A"}) {
          if (!w[d] || !w[d].IsScalar()) r.fail(where + ".weights", std::string("missing ") + d);
          int v = w[d].as<int>();
          if (v < 1 || v > 3) r.fail(where + ".weights." + d, "expected 1, 2 or 3");
          c.weights[d] = v;
        }
        cat.categories_[c.id] = std::move(c);
      }
    }

    {
      Reader r{(dir / "risk.yaml").string()};
      YAML::Node root = load_file(dir / "risk.yaml");
      r.only(root, "(top)", {"exposure", "overrides", "udp_amplification_min_ratio"});
      if (YAML::Node am = root["udp_amplification_min_ratio"]) {
        double v = am.as<double>();
        if (!(v >= 1.0 && v <= 1000.0)) r.fail("udp_amplification_min_ratio", "expected a ratio from 1 to 1000");
        cat.risk_.amplification_min_ratio = v;
      }
      YAML::Node ex = root["exposure"];
      if (!ex || !ex.IsMap()) r.fail("exposure", "expected a mapping of connection form to a shift");
      for (const auto& kv : ex) {
        int v = kv.second.as<int>();
        if (v < -2 || v > 2) r.fail("exposure." + kv.first.Scalar(), "expected a shift from -2 to 2");
        cat.risk_.exposure[kv.first.Scalar()] = v;
      }
      if (YAML::Node ov = root["overrides"]) {
        if (!ov.IsSequence()) r.fail("overrides", "expected a list");
        for (size_t i = 0; i < ov.size(); ++i) {
          YAML::Node n = ov[i];
          std::string where = "overrides[" + std::to_string(i) + "]";
          r.only(n, where, {"check", "connection_form", "category", "service", "severity", "reason"});
          RiskOverride o{r.str(n, "check", where, true),    r.str(n, "connection_form", where, false),
                         r.str(n, "category", where, false), r.str(n, "service", where, false),
                         r.str(n, "severity", where, true), r.str(n, "reason", where, true)};
          if (!kSeverities.count(o.severity)) r.fail(where + ".severity", "'" + o.severity + "' is not a severity");
          cat.risk_.overrides.push_back(std::move(o));
        }
      }
    }
  } catch (const YAML::Exception& e) {
    return make_error(std::string("policy catalog: ") + e.what());
  } catch (const std::exception& e) {
    return make_error(e.what());
  }
  return cat;
}

const Requirement* PolicyCatalog::requirement(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &requirements_[it->second];
}

const Category* PolicyCatalog::category(const std::string& id) const {
  auto it = categories_.find(id);
  return it == categories_.end() ? nullptr : &it->second;
}

std::vector<std::string> PolicyCatalog::lint(const CheckCatalog& checks) const {
  std::vector<std::string> out;
  const auto& cats = device_categories();
  auto known_category = [&](const std::string& c) { return std::find(cats.begin(), cats.end(), c) != cats.end(); };
  for (const auto& q : requirements_) {
    for (const auto& c : q.fail_on) {
      if (!checks.find(c)) out.push_back(q.id + ": fail_on names unknown check '" + c + "'");
    }
    for (const auto& c : q.not_for) {
      if (!known_category(c)) out.push_back(q.id + ": not_for names unknown category '" + c + "'");
    }
    if (q.verification == Verification::network && q.evidence == Evidence::none && q.fail_on.empty()) {
      out.push_back(q.id + ": a network requirement needs evidence or fail_on");
    }
    if (q.verification != Verification::network && q.evidence != Evidence::none) {
      out.push_back(q.id + ": evidence is only for network requirements");
    }
  }
  for (const auto& [id, c] : checks.all()) {
    for (const auto& r : c.requirements) {
      if (!requirement(r)) out.push_back("check " + id + ": names unknown requirement '" + r + "'");
    }
  }
  for (const auto& c : cats) {
    if (!categories_.count(c)) out.push_back("categories.yaml: no profile for category '" + c + "'");
  }
  for (const auto& [id, c] : categories_) {
    if (!known_category(id)) out.push_back("categories.yaml: '" + id + "' is not a category of spec/results.md");
    for (const auto& s : c.needs) {
      if (std::find(c.unneeded.begin(), c.unneeded.end(), s) != c.unneeded.end()) {
        out.push_back("categories.yaml: " + id + ": '" + s + "' is both needed and unneeded");
      }
    }
  }
  for (const auto& f : connection_forms()) {
    if (!risk_.exposure.count(f)) out.push_back("risk.yaml: exposure has no shift for '" + f + "'");
  }
  for (const auto& [f, v] : risk_.exposure) {
    const auto& forms = connection_forms();
    if (std::find(forms.begin(), forms.end(), f) == forms.end()) out.push_back("risk.yaml: unknown connection form '" + f + "'");
  }
  for (const auto& o : risk_.overrides) {
    if (!checks.find(o.check)) out.push_back("risk.yaml: override for unknown check '" + o.check + "'");
    if (!o.category.empty() && !known_category(o.category)) out.push_back("risk.yaml: unknown category '" + o.category + "'");
    if (!o.connection_form.empty() && !risk_.exposure.count(o.connection_form)) {
      out.push_back("risk.yaml: unknown connection form '" + o.connection_form + "'");
    }
  }
  return out;
}

}  // namespace mamori::policy
