#include "ident/lint.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include "ident/classify.h"
#include "ident/evidence_keys.h"

namespace mamori::ident {
namespace {

std::string where(const Rule& r) { return r.file + ":" + std::to_string(r.line) + ": " + r.id + ": "; }

bool kebab(const std::string& id) {
  static const RE2 re("[a-z0-9]+(?:-[a-z0-9]+)*");
  return RE2::FullMatch(id, re);
}

struct Failure {
  std::string message;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}
  [[noreturn]] void fail(const YAML::Node& n, const std::string& path, const std::string& what) const {
    int line = n.IsDefined() && n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
    throw Failure{file_ + ":" + std::to_string(line) + ": " + path + ": " + what};
  }
  std::string str(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, "expected a string");
    return n.Scalar();
  }
  void only(const YAML::Node& n, const std::string& path, std::initializer_list<const char*> known) const {
    if (!n.IsMap()) fail(n, path, "expected a map");
    for (const auto& kv : n) {
      std::string k = str(kv.first, path);
      if (std::none_of(known.begin(), known.end(), [&](const char* x) { return k == x; })) {
        fail(kv.first, path + "." + k, "unknown field");
      }
    }
  }
  std::map<std::string, std::string> strmap(const YAML::Node& n, const std::string& path,
                                            std::initializer_list<const char*> known) const {
    only(n, path, known);
    std::map<std::string, std::string> out;
    for (const auto& kv : n) out[kv.first.Scalar()] = str(kv.second, path + "." + kv.first.Scalar());
    return out;
  }

 private:
  std::string file_;
};

Fixture parse_one(const Reader& r, const YAML::Node& n, const std::string& path, bool negative) {
  r.only(n, path, {"name", "rules", "host", "services", "expect"});
  Fixture f;
  f.negative = negative;
  f.line = n.Mark().line + 1;
  if (!n["name"]) r.fail(n, path + ".name", "missing");
  f.name = r.str(n["name"], path + ".name");
  if (n["rules"]) {
    if (negative) r.fail(n["rules"], path + ".rules", "a negative fixture names no rules");
    const YAML::Node rs = n["rules"];
    if (!rs.IsSequence()) r.fail(rs, path + ".rules", "expected a list of rule ids");
    for (size_t i = 0; i < rs.size(); ++i) f.rules.push_back(r.str(rs[i], path + ".rules[" + std::to_string(i) + "]"));
  } else if (!negative) {
    r.fail(n, path + ".rules", "missing (the rule ids this device must match)");
  }
  if (n["host"]) {
    auto h = r.strmap(n["host"], path + ".host", {"mac.vendor"});
    f.mac_vendor = h["mac.vendor"];
  }
  const YAML::Node ss = n["services"];
  if (!ss || !ss.IsSequence()) r.fail(n, path + ".services", "expected a list of services");
  for (size_t i = 0; i < ss.size(); ++i) {
    std::string sp = path + ".services[" + std::to_string(i) + "]";
    const YAML::Node s = ss[i];
    r.only(s, sp, {"port", "proto", "service", "tls", "fields", "expect"});
    FixtureService fs;
    if (!s["port"]) r.fail(s, sp + ".port", "missing");
    std::string port = r.str(s["port"], sp + ".port");
    int pv = 0;
    for (char ch : port) pv = (ch >= '0' && ch <= '9' && pv < 100000) ? pv * 10 + (ch - '0') : 1 << 20;
    if (pv < 1 || pv > 65535) r.fail(s["port"], sp + ".port", port + " is not a port");
    fs.service.port = static_cast<uint16_t>(pv);
    if (s["proto"]) {
      std::string p = r.str(s["proto"], sp + ".proto");
      if (p != "tcp" && p != "udp") r.fail(s["proto"], sp + ".proto", "tcp or udp");
      fs.service.proto = p == "udp" ? Proto::udp : Proto::tcp;
    }
    if (s["service"]) fs.service.service = r.str(s["service"], sp + ".service");
    if (s["tls"]) fs.service.tls = r.str(s["tls"], sp + ".tls") == "true";
    if (s["fields"]) {
      const YAML::Node fl = s["fields"];
      if (!fl.IsMap()) r.fail(fl, sp + ".fields", "expected a map of evidence key to value");
      for (const auto& kv : fl) {
        std::string k = r.str(kv.first, sp + ".fields");
        auto idx = evidence_key_index(k);
        if (!idx || evidence_keys()[*idx].scope != KeyScope::field) {
          r.fail(kv.first, sp + ".fields." + k, "not an evidence field key");
        }
        fs.service.fields[k] = r.str(kv.second, sp + ".fields." + k);
      }
    }
    if (s["expect"]) fs.expect = r.strmap(s["expect"], sp + ".expect", {"service", "vendor", "product", "version"});
    f.services.push_back(std::move(fs));
  }
  if (n["expect"]) {
    r.only(n["expect"], path + ".expect", {"category", "vendor", "model", "firmware", "min_confidence"});
    for (const auto& kv : n["expect"]) {
      std::string k = kv.first.Scalar();
      std::string v = r.str(kv.second, path + ".expect." + k);
      if (k == "min_confidence") {
        try {
          f.min_confidence = std::stod(v);
        } catch (const std::exception&) {
          r.fail(kv.second, path + ".expect.min_confidence", v + " is not a number");
        }
      } else {
        f.expect[k] = v;
      }
    }
  }
  return f;
}

}  // namespace

std::vector<std::string> lint_catalog(const FingerprintCatalog& catalog) {
  std::vector<std::string> out;
  std::map<std::string, std::string> prefix_owner;
  std::map<std::string, const CatalogFile*> files;
  for (const auto& f : catalog.files()) {
    files[f.name] = &f;
    if (f.id_prefixes.empty()) out.push_back(f.name + ": declares no id_prefixes");
    for (const auto& p : f.id_prefixes) {
      if (!kebab(p)) out.push_back(f.name + ": id prefix " + p + " is not kebab-case");
      auto [it, fresh] = prefix_owner.emplace(p, f.name);
      if (!fresh) out.push_back(f.name + ": id prefix " + p + " is already declared by " + it->second);
    }
  }
  for (const auto& r : catalog.rules()) {
    if (!kebab(r.id)) out.push_back(where(r) + "id is not kebab-case (a-z, 0-9, single dashes)");
    const CatalogFile* f = files.count(r.file) ? files[r.file] : nullptr;
    if (f) {
      bool ok = std::any_of(f->id_prefixes.begin(), f->id_prefixes.end(),
                            [&](const std::string& p) { return r.id.rfind(p + "-", 0) == 0; });
      if (!ok) out.push_back(where(r) + "id does not start with one of " + r.file + "'s id_prefixes and a dash");
    }
    if (r.source.empty()) out.push_back(where(r) + "no source (say where the pattern comes from)");
    if (r.category.empty() && r.service.empty() && r.vendor.empty() && r.product.empty()) {
      out.push_back(where(r) + "says nothing (no category, service, vendor or product)");
    }
    if (r.port_only() && r.weight > kMaxPortOnlyWeight) {
      out.push_back(where(r) + "a port-only hint weighs at most 0.3");
    }
    for (const auto& c : r.match) {
      if (evidence_keys()[c.key_index].match != KeyMatch::search) continue;
      RE2 re(c.pattern);
      if (re.ok() && RE2::FullMatch("", re)) {
        out.push_back(where(r) + "match." + c.key + " matches the empty string, so it matches any value");
      }
    }
  }
  return out;
}

Expected<std::vector<Fixture>> parse_fixtures(const std::string& text, const std::string& file) {
  Reader r(file);
  std::vector<Fixture> out;
  try {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      return make_error(file + ":" + std::to_string(e.mark.line + 1) + ": not YAML: " + e.msg);
    }
    if (root.IsNull()) return out;
    r.only(root, "", {"fixtures", "negatives"});
    for (const char* list : {"fixtures", "negatives"}) {
      const YAML::Node l = root[list];
      if (!l) continue;
      if (!l.IsSequence()) r.fail(l, list, "expected a list");
      for (size_t i = 0; i < l.size(); ++i) {
        Fixture f = parse_one(r, l[i], std::string(list) + "[" + std::to_string(i) + "]", std::string(list) == "negatives");
        f.file = file;
        out.push_back(std::move(f));
      }
    }
  } catch (const Failure& f) {
    return make_error(f.message);
  } catch (const YAML::Exception& e) {
    return make_error(file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return out;
}

Expected<std::vector<Fixture>> load_fixtures(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> paths;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".yaml") paths.push_back(it->path());
  }
  if (ec) return make_error(dir + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  std::vector<Fixture> all;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto f = parse_fixtures(ss.str(), (p.parent_path().filename() / p.filename()).string());
    if (!f) return f.error();
    for (auto& x : *f) all.push_back(std::move(x));
  }
  return all;
}

std::vector<std::string> check_fixtures(const FingerprintCatalog& catalog, const std::vector<Fixture>& fixtures) {
  std::vector<std::string> out;
  std::map<std::string, std::vector<const Fixture*>> naming;  // rule id -> positive fixtures naming it
  std::set<std::string> names;
  for (const auto& f : fixtures) {
    std::string at = f.file + ":" + std::to_string(f.line) + ": " + f.name + ": ";
    if (!names.insert(f.name).second) out.push_back(at + "fixture name used twice");
    std::vector<ServiceObservation> services;
    for (const auto& s : f.services) services.push_back(s.service);
    DeviceObservation d = classify(catalog, Ip{}, services, HostFacts{f.mac_vendor});
    std::string got = "got " + d.category + " " + std::to_string(d.confidence) + " from [";
    for (size_t i = 0; i < d.evidence.size(); ++i) got += (i ? ", " : "") + d.evidence[i];
    got += "]";
    if (f.negative) {
      for (const auto& id : d.evidence) {
        const Rule* r = catalog.find(id);
        if (r && !r->category.empty() && r->weight >= kStrongWeight) {
          out.push_back(at + "rule " + id + " (" + r->category + ", weight " + std::to_string(r->weight) +
                        ") fires on a yes-to-everything device");
        }
      }
      if (d.confidence >= kStrongWeight) out.push_back(at + "the negative device is judged with confidence >= 0.5: " + got);
      continue;
    }
    for (const auto& id : f.rules) {
      if (!catalog.find(id)) {
        out.push_back(at + "names rule " + id + ", which the catalog does not have");
        continue;
      }
      naming[id].push_back(&f);
      if (std::find(d.evidence.begin(), d.evidence.end(), id) == d.evidence.end()) {
        out.push_back(at + "rule " + id + " did not match; " + got);
      }
    }
    auto expect = [&](const std::string& what, const std::string& want, const std::string& have) {
      if (want != have) out.push_back(at + what + ": expected \"" + want + "\", got \"" + have + "\"; " + got);
    };
    for (const auto& [k, v] : f.expect) {
      if (k == "category") expect("category", v, d.category);
      if (k == "vendor") expect("vendor", v, d.vendor);
      if (k == "model") expect("model", v, d.model);
      if (k == "firmware") expect("firmware", v, d.firmware);
    }
    if (f.min_confidence >= 0 && d.confidence + 1e-9 < f.min_confidence) {
      out.push_back(at + "confidence below " + std::to_string(f.min_confidence) + "; " + got);
    }
    for (size_t i = 0; i < f.services.size(); ++i) {
      for (const auto& [k, v] : f.services[i].expect) {
        const ServiceObservation& s = services[i];
        const std::string& have = k == "service" ? s.service : k == "vendor" ? s.vendor : k == "product" ? s.product : s.version;
        expect("services[" + std::to_string(i) + "]." + k, v, have);
      }
    }
  }
  // Every rule proves itself: named by a positive fixture that shows what it yields.
  for (const auto& r : catalog.rules()) {
    auto it = naming.find(r.id);
    if (it == naming.end()) {
      out.push_back(where(r) + "no positive fixture names this rule");
      continue;
    }
    const auto& fs = it->second;
    if (!r.category.empty() && std::none_of(fs.begin(), fs.end(), [&](const Fixture* f) {
          auto e = f->expect.find("category");
          return e != f->expect.end() && e->second == r.category;
        })) {
      out.push_back(where(r) + "no fixture naming it expects category " + r.category);
    }
    auto literal = [](const std::string& v) { return v.find('$') == std::string::npos; };
    if (!r.vendor.empty() && literal(r.vendor) && std::none_of(fs.begin(), fs.end(), [&](const Fixture* f) {
          auto e = f->expect.find("vendor");
          if (e != f->expect.end() && e->second == r.vendor) return true;
          return std::any_of(f->services.begin(), f->services.end(), [&](const FixtureService& s) {
            auto v = s.expect.find("vendor");
            return v != s.expect.end() && v->second == r.vendor;
          });
        })) {
      out.push_back(where(r) + "no fixture naming it expects vendor " + r.vendor);
    }
    if (!r.product.empty() && literal(r.product) && std::none_of(fs.begin(), fs.end(), [&](const Fixture* f) {
          return std::any_of(f->services.begin(), f->services.end(), [&](const FixtureService& s) {
            auto v = s.expect.find("product");
            return v != s.expect.end() && v->second == r.product;
          });
        })) {
      out.push_back(where(r) + "no fixture naming it expects product " + r.product);
    }
  }
  return out;
}

}  // namespace mamori::ident
