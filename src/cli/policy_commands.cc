// `mamori evaluate FILE.jsonl...`: re-runs the policy over stored JSON Lines results without
// rescanning (a newer catalog re-judges old scans). `mamori catalog list|show|lint`: the
// requirement catalogs, category profiles and risk table of data/policy/.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/target_spec.h"
#include "pipeline/judge_stage.h"
#include "policy/catalog.h"
#include "policy/evaluate.h"
#include "report/chromium.h"
#include "report/label.h"
#include "report/records.h"
#include "report/writers.h"
#include "store/store.h"

namespace mamori {
namespace {

struct EvaluateArgs {
  std::vector<std::string> inputs;
  std::string output;
  std::string connection_form = "unknown";
  std::string manifest;
  std::string declarations;
  std::string standards;
  bool audit_ran = true;
};

// Bounds on what we read: stored results are ours, but a file may be anything.
constexpr size_t kMaxLine = 1 << 20;

int usage(const char* cmd, const std::string& msg) {
  std::fprintf(stderr, "mamori %s: %s\n", cmd, msg.c_str());
  return kExitUsage;
}

Expected<std::pair<policy::PolicyCatalog, CheckCatalog>> load_catalogs() {
  auto pol = policy::PolicyCatalog::load(data_dir() + "/policy");
  if (!pol) return pol.error();
  auto checks = CheckCatalog::load(data_dir() + "/checks");
  if (!checks) return checks.error();
  return std::make_pair(std::move(*pol), std::move(*checks));
}

int run_evaluate(const EvaluateArgs& a) {
  const auto& forms = policy::connection_forms();
  if (std::find(forms.begin(), forms.end(), a.connection_form) == forms.end()) {
    return usage("evaluate", "invalid connection form '" + a.connection_form +
                                 "': expected direct, nat_unreachable, port_forwarded or unknown");
  }
  auto cats = load_catalogs();
  if (!cats) return usage("evaluate", cats.error().message);
  auto& [pol, checks] = *cats;
  policy::EvalOptions opt;
  opt.connection_form = a.connection_form;
  opt.audit_ran = a.audit_ran;
  opt.posture_ran = a.audit_ran;
  std::optional<policy::Manifest> manifest;
  std::optional<policy::Declarations> decl;
  if (!a.manifest.empty()) {
    auto m = policy::Manifest::load(a.manifest);
    if (!m) return usage("evaluate", "--manifest: " + m.error().message);
    manifest = std::move(*m);
    opt.manifest = &*manifest;
  }
  if (!a.declarations.empty()) {
    auto d = policy::Declarations::load(a.declarations);
    if (!d) return usage("evaluate", "--declarations: " + d.error().message);
    decl = std::move(*d);
    opt.declarations = &*decl;
  }
  for (const std::string& t : split_target_tokens(a.standards)) {
    bool known = false;
    for (const auto& st : pol.standards()) known = known || st.id == t;
    if (!known) return usage("evaluate", "unknown standard '" + t + "'");
    opt.standards.insert(t);
  }

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  if (!a.output.empty()) {
    file.reset(std::fopen(a.output.c_str(), "w"));
    if (!file) return usage("evaluate", "cannot write '" + a.output + "'");
  }
  JsonlWriter out(file ? file.get() : stdout);

  int status = kExitOk;
  for (const std::string& path : a.inputs) {
    std::ifstream in_file;
    std::istream* in = &std::cin;
    if (path != "-") {
      in_file.open(path);
      if (!in_file) {
        std::fprintf(stderr, "mamori evaluate: cannot read '%s'\n", path.c_str());
        return kExitFailure;
      }
      in = &in_file;
    }
    // Built at the first record: a scan's start record says which stages ran (no audit stage:
    // credential evidence was never gathered, so those verdicts cannot pass).
    std::optional<JudgeStage> judge;
    std::vector<std::string> order;  // devices in the order they appeared
    std::set<std::string> seen;
    std::vector<nlohmann::json> held_end;  // the scan's end record goes after the verdicts
    std::string line;
    size_t n = 0, bad = 0;
    while (std::getline(*in, line)) {
      ++n;
      if (line.empty()) continue;
      if (line.size() > kMaxLine) {
        ++bad;
        continue;
      }
      auto rec = nlohmann::json::parse(line, nullptr, false);
      if (rec.is_discarded() || !rec.is_object() || !rec.contains("type")) {
        if (bad++ < 5) std::fprintf(stderr, "mamori evaluate: %s:%zu: not a results record; skipped\n", path.c_str(), n);
        continue;
      }
      if (rec.value("type", "") == "scan" && rec.value("phase", "") == "end") {
        held_end.push_back(std::move(rec));
        continue;
      }
      if (rec.contains("ip") && rec["ip"].is_string()) {
        std::string ip = rec["ip"].get<std::string>();
        if (seen.insert(ip).second) order.push_back(ip);
      }
      if (!judge) {
        policy::EvalOptions o = opt;
        if (rec.value("type", "") == "scan" && rec.contains("stages") && rec["stages"].is_array()) {
          bool audit = false;
          for (const auto& st : rec["stages"]) audit = audit || st == "audit";
          o.audit_ran = o.audit_ran && audit;
          o.posture_ran = o.audit_ran;
        }
        judge.emplace(out, pol, checks, o);
      }
      judge->write(rec);
    }
    if (judge) {
      for (const auto& ip : order) judge->device_done(ip);
      judge->finish();
    }
    for (const auto& r : held_end) out.write(r);
    if (bad > 0) {
      std::fprintf(stderr, "mamori evaluate: %s: %zu line(s) were not results records\n", path.c_str(), bad);
      status = kExitFailure;
    }
  }
  return status;
}

void print_requirement(const policy::Requirement& q) {
  std::printf("%s  [%s]%s\n", q.id.c_str(), q.clause.c_str(), q.confirmed ? "" : "  (not confirmed)");
  std::printf("  %s\n  %s\n", q.title.c_str(), q.title_ja.c_str());
  std::printf("  verification: %s", policy::to_string(q.verification));
  if (q.verification == policy::Verification::network) std::printf(", evidence: %s", policy::to_string(q.evidence));
  std::printf("\n");
  if (!q.level.empty()) std::printf("  level: %s\n", q.level.c_str());
  if (!q.fail_on.empty()) {
    std::string f;
    for (const auto& c : q.fail_on) f += (f.empty() ? "" : ", ") + c;
    std::printf("  fails on: %s\n", f.c_str());
  }
  if (!q.not_for.empty()) {
    std::string f;
    for (const auto& c : q.not_for) f += (f.empty() ? "" : ", ") + c;
    std::printf("  not for: %s\n", f.c_str());
  }
  if (!q.declaration.empty()) std::printf("  declared by: %s\n", q.declaration.c_str());
  if (!q.note.empty()) std::printf("  note: %s\n", q.note.c_str());
}

int run_catalog(const std::string& action, const std::string& arg, const std::string& standard) {
  auto cats = load_catalogs();
  if (!cats) {
    std::fprintf(stderr, "mamori catalog: %s\n", cats.error().message.c_str());
    return action == "lint" ? kExitFailure : kExitUsage;
  }
  auto& [pol, checks] = *cats;
  if (action == "lint") {
    auto problems = pol.lint(checks);
    for (const auto& p : problems) std::printf("%s\n", p.c_str());
    if (!problems.empty()) {
      std::fprintf(stderr, "mamori catalog lint: %zu problem(s)\n", problems.size());
      return kExitFailure;
    }
    std::printf("catalog OK: %zu standards, %zu requirements, %zu checks, %zu category profiles\n",
                pol.standards().size(), pol.requirements().size(), checks.all().size(), pol.categories().size());
    return kExitOk;
  }
  if (action == "list") {
    bool any = false;
    for (const auto& st : pol.standards()) {
      if (!standard.empty() && st.id != standard) continue;
      any = true;
      std::printf("== %s: %s\n   %s\n", st.id.c_str(), st.title.c_str(), st.source.c_str());
      for (const auto& q : pol.requirements()) {
        if (q.standard != st.id) continue;
        std::printf("  %-18s %-31s %s%s\n", q.id.c_str(), policy::to_string(q.verification), q.title.c_str(),
                    q.confirmed ? "" : " (not confirmed)");
      }
    }
    if (!any) return usage("catalog", "unknown standard '" + standard + "'");
    return kExitOk;
  }
  // show
  if (arg == "risk") {
    std::printf("severity = clamp(base + exposure[connection form] + category shift, info, critical);\n"
                "category shift: +1 if the check's C/I/A touches a dimension the category weighs 3,\n"
                "-1 if all it touches weigh 1; then the first matching override wins.\n\nexposure:\n");
    for (const auto& [f, v] : pol.risk().exposure) std::printf("  %-16s %+d\n", f.c_str(), v);
    std::printf("overrides:\n");
    for (const auto& o : pol.risk().overrides) {
      std::printf("  %s%s%s%s -> %s: %s\n", o.check.c_str(),
                  o.connection_form.empty() ? "" : (" form=" + o.connection_form).c_str(),
                  o.category.empty() ? "" : (" category=" + o.category).c_str(),
                  o.service.empty() ? "" : (" service=" + o.service).c_str(), o.severity.c_str(), o.reason.c_str());
    }
    return kExitOk;
  }
  if (const auto* q = pol.requirement(arg)) {
    print_requirement(*q);
    std::string by;
    for (const auto& [id, c] : checks.all()) {
      if (std::find(c.requirements.begin(), c.requirements.end(), arg) != c.requirements.end()) {
        by += (by.empty() ? "" : ", ") + id;
      }
    }
    if (!by.empty()) std::printf("  checks that bear on it: %s\n", by.c_str());
    return kExitOk;
  }
  if (const auto* c = checks.find(arg)) {
    std::string cia, reqs;
    for (const auto& x : c->cia) cia += x;
    for (const auto& r : c->requirements) reqs += (reqs.empty() ? "" : ", ") + r;
    std::printf("%s (check)\n  %s\n  %s\n  base severity: %s  C/I/A: %s\n  requirements: %s\n", c->id.c_str(),
                c->title.c_str(), c->title_ja.c_str(), c->severity.c_str(), cia.c_str(), reqs.c_str());
    return kExitOk;
  }
  if (const auto* cat = pol.category(arg)) {
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
      return s;
    };
    std::printf("%s (category): %s / %s\n  needs: %s\n  unneeded: %s\n  weights: C=%d I=%d A=%d\n", cat->id.c_str(),
                cat->title.c_str(), cat->title_ja.c_str(), list(cat->needs).c_str(), list(cat->unneeded).c_str(),
                cat->weights.at("C"), cat->weights.at("I"), cat->weights.at("A"));
    return kExitOk;
  }
  return usage("catalog", "no requirement, check or category named '" + arg + "' (or 'risk')");
}

struct LabelArgs {
  std::string ip;  // an address, or (from the store) a store device id
  std::string input;
  std::string db, scan;  // without --input: the store, and a scan in it
  std::string format = "html";
  std::string lang = "en";
  std::string output;
};

std::string catalog_version() {
  std::ifstream in(data_dir() + "/policy/VERSION");
  std::string v;
  std::getline(in, v);
  return v.empty() ? "unversioned" : v;
}

int run_label(const LabelArgs& a) {
  if (a.format != "html" && a.format != "svg" && a.format != "png") {
    return usage("label", "invalid format '" + a.format + "': expected html, svg or png");
  }
  // PNG: the label rendered by a headless Chromium from PATH (Mamori ships none).
  const std::string chromium = a.format == "png" ? find_chromium() : "";
  if (a.format == "png" && chromium.empty()) {
    return usage("label", "--format png needs Chromium on PATH (chromium, chromium-browser or google-chrome); "
                          "use --format html or svg");
  }
  if (a.lang != "en" && a.lang != "ja") return usage("label", "invalid language '" + a.lang + "': expected en or ja");
  // The records: from the JSON Lines file, else from the store (the latest scan that saw the
  // device, or --scan).
  std::vector<nlohmann::json> stored;
  std::string ip = a.ip, source = a.input;
  if (a.input.empty()) {
    std::string db = a.db.empty() ? store::default_db_path() : a.db;
    if (db.empty()) return usage("label", "no database: give -i FILE.jsonl, --db or MAMORI_DB");
    auto st = store::Store::open(db, true);
    if (!st) {
      std::fprintf(stderr, "mamori label: %s\n", st.error().message.c_str());
      return kExitFailure;
    }
    auto where = (*st)->locate(a.ip, a.scan);
    if (!where) {
      std::fprintf(stderr, "mamori label: %s\n", where.error().message.c_str());
      return kExitFailure;
    }
    ip = where->second;
    source = "scan " + where->first;
    stored = (*st)->records(where->first);
  } else if (!a.scan.empty() || !a.db.empty()) {
    return usage("label", "--scan and --db read the store: not with -i");
  }
  std::ifstream in;
  if (!a.input.empty()) {
    in.open(a.input);
    if (!in) return usage("label", "cannot read '" + a.input + "'");
  }
  LabelInput li;
  li.lang = a.lang;
  li.mamori_version = kMamoriVersion;
  li.catalog_version = catalog_version();
  std::string line;
  size_t n = 0, next_stored = 0;
  for (;;) {
    nlohmann::json r;
    if (a.input.empty()) {
      if (next_stored >= stored.size()) break;
      r = std::move(stored[next_stored++]);
    } else {
      if (!std::getline(in, line)) break;
      ++n;
      if (line.empty() || line.size() > kMaxLine) continue;
      r = nlohmann::json::parse(line, nullptr, false);
    }
    if (r.is_discarded() || !r.is_object()) continue;
    const std::string type = r.value("type", "");
    if (type == "scan" && r.value("phase", "") == "start") {
      li.scan_time = r.value("time", "");
      if (r.contains("vantage") && r["vantage"].is_string()) li.vantage = r["vantage"].get<std::string>();
      continue;
    }
    if (!r.contains("ip") || !r["ip"].is_string() || r["ip"].get<std::string>() != ip) continue;
    if (type == "device") li.device = r;
    if (type == "verdict" && r.contains("requirement") && r["requirement"].is_string()) {
      li.verdicts[r["requirement"].get<std::string>()] = r;
    }
  }
  if (li.device.is_null()) return usage("label", "no device " + ip + " in '" + source + "'");
  bool any = false;
  for (const auto& m : label_measures()) any = any || li.verdicts.count(m);
  if (!any) {
    return usage("label", "no verdicts for " + ip + " in '" + source +
                              "': scan with the judge stage, or run `mamori evaluate` on it first");
  }
  std::string text;
  if (a.format == "png") {
    auto png = render_png(chromium, label_bare_html(li), label_width(), label_height());
    if (!png) {
      std::fprintf(stderr, "mamori label: %s\n", png.error().message.c_str());
      return kExitFailure;
    }
    text = std::move(*png);
  } else {
    text = a.format == "svg" ? label_svg(li) : label_html(li);
  }
  if (a.output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    std::ofstream out(a.output, std::ios::binary);
    out << text;
    if (!out) {
      std::fprintf(stderr, "mamori label: cannot write '%s'\n", a.output.c_str());
      return kExitFailure;
    }
  }
  return kExitOk;
}

}  // namespace

Command add_label_command(CLI::App& app) {
  auto a = std::make_shared<LabelArgs>();
  CLI::App* cmd = app.add_subcommand(
      "label", "A one-page label of a device: each measure of the JEITA paper as verified, failed or not verifiable");
  cmd->add_option("DEVICE", a->ip, "The device's address, or its device id in the store (mamori devices)")
      ->required();
  cmd->add_option("-i,--input", a->input,
                  "JSON Lines results with verdicts (mamori scan -o, or mamori evaluate); default: the store");
  cmd->add_option("--db", a->db, "The store (a file or postgresql://...; default: $MAMORI_DB, else the user's)");
  cmd->add_option("--scan", a->scan, "A scan in the store (default: the latest that saw the device)");
  cmd->add_option("--format", a->format, "html, svg or png (png: rendered by a Chromium on PATH)")
      ->capture_default_str();
  cmd->add_option("--lang", a->lang, "en or ja")->capture_default_str();
  cmd->add_option("-o,--output", a->output, "Write the label here (default: standard output)");
  return {cmd, [a] { return run_label(*a); }};
}

Command add_evaluate_command(CLI::App& app) {
  auto a = std::make_shared<EvaluateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "evaluate", "Re-judge stored JSON Lines results with the current policy catalog, without rescanning");
  cmd->add_option("inputs", a->inputs, "JSON Lines files written by mamori scan (- for standard input)")->required();
  cmd->add_option("-o,--output", a->output, "Write the re-judged JSON Lines here (default: standard output)");
  cmd->add_option("--connection-form", a->connection_form,
                  "Connection form of devices whose record has none: direct, nat_unreachable, port_forwarded, unknown")
      ->capture_default_str();
  cmd->add_option("--manifest", a->manifest, "A maker's per-model manifest (YAML `ports:` list)");
  cmd->add_option("--declarations", a->declarations, "A maker's declarations (YAML)");
  cmd->add_option("--standards", a->standards, "Judge only these standards (default: all)");
  cmd->add_flag("!--no-audit", a->audit_ran,
                "The results come from a scan without the audit stage (credential verdicts cannot pass)");
  return {cmd, [a] { return run_evaluate(*a); }};
}

Command add_catalog_command(CLI::App& app) {
  auto action = std::make_shared<std::string>();
  auto arg = std::make_shared<std::string>();
  auto standard = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("catalog", "The requirement catalogs, category profiles and risk table");
  cmd->require_subcommand(1);
  CLI::App* list = cmd->add_subcommand("list", "List requirements by standard");
  list->add_option("--standard", *standard, "Only this standard (JEITA, EN303645, JCSTAR, JPGL2016, PSTI, ...)");
  list->callback([action] { *action = "list"; });
  CLI::App* show = cmd->add_subcommand("show", "Show a requirement, a check, a category, or 'risk'");
  show->add_option("id", *arg, "Requirement id, check id, category or 'risk'")->required();
  show->callback([action] { *action = "show"; });
  CLI::App* lint = cmd->add_subcommand("lint", "Check the catalogs' ids, enums and cross-references (exit 1 on problems)");
  lint->callback([action] { *action = "lint"; });
  return {cmd, [action, arg, standard] { return run_catalog(*action, *arg, *standard); }};
}

}  // namespace mamori
