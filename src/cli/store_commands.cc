// The store's subcommands: `mamori scans`, `devices`, `findings`, `diff`, `report`, `notify`,
// `import`, `keys`. Each opens the database given by --db (default: store::default_db_path()).
//
// Registration: add_store_commands() returns one Command whose `app` is the top-level app and
// whose `run` dispatches to whichever store subcommand was parsed. main() tries its commands in
// order and the top-level app is always parsed, so this entry must stay last in main's list.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "checks/findings.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "store/backend.h"
#include "store/report.h"
#include "store/store.h"

namespace mamori {
namespace {

using nlohmann::json;

struct StoreArgs {
  std::string db;
  bool json = false;
  store::Filter filter;
  std::vector<std::string> scans;  // diff: A B
  std::string format = "html", lang = "en", input, output, owners, out_dir = ".";
  std::string file;                // import
  bool shared = false;             // keys --shared
};

int fail(const std::string& cmd, const std::string& msg, int code = kExitFailure) {
  std::fprintf(stderr, "mamori %s: %s\n", cmd.c_str(), msg.c_str());
  return code;
}

std::string db_path(const StoreArgs& a) { return a.db.empty() ? store::default_db_path() : a.db; }

Expected<std::unique_ptr<store::Store>> open_store(const StoreArgs& a, bool must_exist) {
  std::string path = db_path(a);
  if (path.empty()) return make_error("no database path: give --db PATH (or postgresql://...) or set MAMORI_DB");
  return store::Store::open(path, must_exist);
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

int run_scans(const StoreArgs& a) {
  auto st = open_store(a, true);
  if (!st) return fail("scans", st.error().message);
  auto rows = (*st)->scans();
  if (a.json) {
    for (const auto& r : rows) {
      json j = {{"scan_id", r.scan_id}, {"started", r.started}, {"ended", r.ended}, {"vantage", r.vantage},
                {"targets", r.targets}, {"hosts", r.hosts}, {"devices", r.devices}, {"open_ports", r.open_ports},
                {"findings", r.findings}};
      j["complete"] = r.complete ? json(*r.complete) : json(nullptr);
      fmt::print("{}\n", j.dump());
    }
    return kExitOk;
  }
  fmt::print("{:<28} {:<20} {:<10} {:>5} {:>7} {:>5} {:>8}  {}\n", "SCAN", "STARTED", "STATE", "HOSTS", "DEVICES",
             "OPEN", "FINDINGS", "TARGETS");
  for (const auto& r : rows) {
    std::string state = !r.complete ? "no end" : (*r.complete ? "complete" : "partial");
    fmt::print("{:<28} {:<20} {:<10} {:>5} {:>7} {:>5} {:>8}  {}{}\n", r.scan_id, or_dash(r.started), state, r.hosts,
               r.devices, r.open_ports, r.findings, r.targets, r.vantage.empty() ? "" : " (" + r.vantage + ")");
  }
  return kExitOk;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string o;
  for (const auto& s : v) o += (o.empty() ? "" : sep) + s;
  return o;
}

json device_json(const store::DeviceRow& d) {
  return {{"device_id", d.device_id}, {"ip", d.ip}, {"category", d.category}, {"vendor", d.vendor},
          {"model", d.model}, {"first_seen", d.first_seen}, {"last_seen", d.last_seen}, {"keys", d.keys},
          {"scans", d.scans}};
}

int run_devices(const StoreArgs& a) {
  auto st = open_store(a, true);
  if (!st) return fail("devices", st.error().message);
  if (!a.filter.scan_id.empty() && !(*st)->has_scan(a.filter.scan_id)) {
    return fail("devices", "no scan '" + a.filter.scan_id + "' in the store (see: mamori scans)");
  }
  auto rows = (*st)->devices(a.filter);
  if (!rows) return fail("devices", rows.error().message, kExitUsage);
  if (a.json) {
    for (const auto& d : *rows) fmt::print("{}\n", device_json(d).dump());
    return kExitOk;
  }
  fmt::print("{:>6} {:<16} {:<15} {:<24} {:>5} {:<20}  {}\n", "DEVICE", "ADDRESS", "CATEGORY", "VENDOR MODEL", "SCANS",
             "LAST SEEN", "STABLE KEYS");
  for (const auto& d : *rows) {
    std::string name = d.vendor + (d.model.empty() ? "" : " " + d.model);
    fmt::print("{:>6} {:<16} {:<15} {:<24} {:>5} {:<20}  {}\n", d.device_id, d.ip, or_dash(d.category), or_dash(name),
               d.scans, or_dash(d.last_seen), join(d.keys, " "));
  }
  return kExitOk;
}

int run_findings(const StoreArgs& a) {
  auto st = open_store(a, true);
  if (!st) return fail("findings", st.error().message);
  if (!a.filter.scan_id.empty() && !(*st)->has_scan(a.filter.scan_id)) {
    return fail("findings", "no scan '" + a.filter.scan_id + "' in the store (see: mamori scans)");
  }
  auto rows = (*st)->findings(a.filter);
  if (!rows) return fail("findings", rows.error().message, kExitUsage);
  if (a.json) {
    for (const auto& f : *rows) {
      json j = {{"scan_id", f.scan_id}, {"device_id", f.device_id}, {"ip", f.ip}, {"check_id", f.check_id},
                {"severity", f.severity}, {"service", f.service}, {"category", f.category}, {"title", f.title},
                {"title_ja", f.title_ja}, {"evidence", json::parse(f.evidence, nullptr, false)}};
      if (f.port) j["port"] = *f.port;
      fmt::print("{}\n", j.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    return kExitOk;
  }
  fmt::print("{:<9} {:<22} {:<16} {:>6} {:<15} {}\n", "SEVERITY", "CHECK", "ADDRESS", "PORT", "CATEGORY", "TITLE");
  for (const auto& f : *rows) {
    fmt::print("{:<9} {:<22} {:<16} {:>6} {:<15} {}\n", f.severity, f.check_id, f.ip,
               f.port ? std::to_string(*f.port) : "-", or_dash(f.category), f.title);
  }
  return kExitOk;
}

int run_diff(const StoreArgs& a) {
  auto st = open_store(a, true);
  if (!st) return fail("diff", st.error().message);
  std::string sa, sb;
  if (a.scans.size() >= 2) {
    sa = a.scans[0];
    sb = a.scans[1];
  } else {
    auto latest = (*st)->latest_scan(0);
    if (a.scans.size() == 1) {
      sa = a.scans[0];
      if (latest) sb = *latest;
    } else {
      auto before = (*st)->latest_scan(1);
      if (!before) return fail("diff", "the store holds fewer than two scans (see: mamori scans)");
      sa = *before;
      sb = *latest;
    }
  }
  auto d = (*st)->diff(sa, sb);
  if (!d) return fail("diff", d.error().message);
  if (a.json) {
    json j = {{"scan_a", d->scan_a}, {"scan_b", d->scan_b}};
    auto devs = [](const std::vector<store::DeviceRow>& v) {
      json out = json::array();
      for (const auto& x : v) out.push_back(device_json(x));
      return out;
    };
    auto ports = [](const std::vector<store::DiffPort>& v) {
      json out = json::array();
      for (const auto& p : v)
        out.push_back({{"device_id", p.device_id}, {"ip", p.ip}, {"port", p.port}, {"proto", p.proto},
                       {"service", p.service}});
      return out;
    };
    auto finds = [](const std::vector<store::DiffFinding>& v) {
      json out = json::array();
      for (const auto& f : v) {
        json x = {{"device_id", f.device_id}, {"ip", f.ip}, {"check_id", f.check_id}, {"severity", f.severity}};
        if (f.port) x["port"] = *f.port;
        out.push_back(x);
      }
      return out;
    };
    j["new_devices"] = devs(d->new_devices);
    j["gone_devices"] = devs(d->gone_devices);
    j["opened_ports"] = ports(d->opened);
    j["closed_ports"] = ports(d->closed);
    j["new_findings"] = finds(d->new_findings);
    j["fixed_findings"] = finds(d->fixed_findings);
    fmt::print("{}\n", j.dump(2));
    return kExitOk;
  }
  fmt::print("diff {} -> {}\n", d->scan_a, d->scan_b);
  auto dev_line = [](const char* sign, const store::DeviceRow& x) {
    fmt::print("  {} device {} {} {} {}\n", sign, x.device_id, x.ip, or_dash(x.category),
               x.vendor + (x.model.empty() ? "" : " " + x.model));
  };
  fmt::print("new devices: {}\n", d->new_devices.size());
  for (const auto& x : d->new_devices) dev_line("+", x);
  fmt::print("gone devices: {}\n", d->gone_devices.size());
  for (const auto& x : d->gone_devices) dev_line("-", x);
  fmt::print("opened ports: {}\n", d->opened.size());
  for (const auto& p : d->opened) fmt::print("  + {}:{}/{} {}\n", p.ip, p.port, p.proto, p.service);
  fmt::print("closed ports: {}\n", d->closed.size());
  for (const auto& p : d->closed) fmt::print("  - {}:{}/{} {}\n", p.ip, p.port, p.proto, p.service);
  fmt::print("new findings: {}\n", d->new_findings.size());
  for (const auto& f : d->new_findings)
    fmt::print("  + {} {} {}{}\n", f.severity, f.check_id, f.ip, f.port ? ":" + std::to_string(*f.port) : "");
  fmt::print("fixed findings: {}\n", d->fixed_findings.size());
  for (const auto& f : d->fixed_findings)
    fmt::print("  - {} {} {}{}\n", f.severity, f.check_id, f.ip, f.port ? ":" + std::to_string(*f.port) : "");
  return kExitOk;
}

Expected<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The records of one scan: from --input (a JSONL file) or the store (--scan, default latest).
// `trend`, when given and reading the store: findings per scan up to that one (the last 12).
Expected<std::vector<json>> scan_records(const StoreArgs& a, const char* cmd,
                                         std::vector<std::pair<std::string, int64_t>>* trend = nullptr) {
  if (!a.input.empty()) {
    auto text = read_file(a.input);
    if (!text) return text.error();
    auto p = store::parse_jsonl(*text);
    for (const auto& e : p.errors) std::fprintf(stderr, "mamori %s: %s: %s (skipped)\n", cmd, a.input.c_str(), e.c_str());
    return std::move(p.records);
  }
  auto st = open_store(a, true);
  if (!st) return st.error();
  std::string scan = a.filter.scan_id;
  if (scan.empty()) {
    auto l = (*st)->latest_scan();
    if (!l) return make_error("the store holds no scan (run mamori scan, or give --input FILE.jsonl)");
    scan = *l;
  }
  if (!(*st)->has_scan(scan)) return make_error("no scan '" + scan + "' in the store (see: mamori scans)");
  if (trend) {
    for (const auto& s : (*st)->scans()) {
      trend->emplace_back(s.started.empty() ? s.scan_id : s.started, s.findings);
      if (s.scan_id == scan) break;
    }
    if (trend->size() > 12) trend->erase(trend->begin(), trend->end() - 12);
  }
  return (*st)->records(scan);
}

int write_output(const std::string& path, const std::string& text, const char* cmd) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(text.data(), static_cast<std::streamsize>(text.size()))) {
    return fail(cmd, "cannot write '" + path + "'");
  }
  return kExitOk;
}

int run_report(const StoreArgs& a) {
  if (!store::known_report_format(a.format)) {
    return fail("report", "invalid format '" + a.format + "': expected html, json, csv, md or nmap-xml", kExitUsage);
  }
  if (a.lang != "en" && a.lang != "ja") return fail("report", "invalid --lang '" + a.lang + "': expected en or ja", kExitUsage);
  if (!a.input.empty() && !a.filter.scan_id.empty()) return fail("report", "give --scan or --input, not both", kExitUsage);
  store::ReportOptions o;
  auto recs = scan_records(a, "report", &o.trend);
  if (!recs) return fail("report", recs.error().message);
  o.lang = a.lang;
  if (auto cat = CheckCatalog::load(data_dir() + "/checks")) {
    for (const auto& [id, c] : cat->all()) o.titles[id] = {c.title, c.title_ja};
  }
  return write_output(a.output, store::render_report(*recs, a.format, o), "report");
}

std::string safe_file_name(const std::string& owner) {
  std::string o;
  for (char c : owner) o += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  if (o.empty() || o[0] == '.') o = "_" + o;
  return o.substr(0, 100);
}

int run_notify(const StoreArgs& a) {
  auto text = read_file(a.owners);
  if (!text) return fail("notify", text.error().message, kExitUsage);
  // prefix,owner per line; '#' comments and a header line are skipped.
  std::vector<std::pair<store::Network, std::string>> owners;
  std::istringstream in(*text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto comma = line.find(',');
    std::string prefix = line.substr(0, comma);
    std::string owner = comma == std::string::npos ? "" : line.substr(comma + 1);
    auto trim = [](std::string& s) {
      while (!s.empty() && (s.back() == ' ' || s.back() == '"')) s.pop_back();
      while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.erase(0, 1);
    };
    trim(prefix);
    trim(owner);
    auto c = store::Network::parse(prefix);
    if (!c) {
      if (n == 1) continue;  // a header
      return fail("notify", fmt::format("{}:{}: '{}' is not a network prefix", a.owners, n, prefix), kExitUsage);
    }
    if (owner.empty()) return fail("notify", fmt::format("{}:{}: no owner after the prefix", a.owners, n), kExitUsage);
    owners.emplace_back(*c, owner);
  }
  auto recs = scan_records(a, "notify");
  if (!recs) return fail("notify", recs.error().message);
  std::string date;
  for (const auto& r : *recs)
    if (r.value("type", "") == "scan" && r.value("phase", "") == "start" && r.contains("time") && r["time"].is_string())
      date = r["time"].get<std::string>();
  // owner -> CSV lines; longest matching prefix wins.
  std::map<std::string, std::string> files;
  size_t unassigned = 0, total = 0;
  for (const auto& r : *recs) {
    if (r.value("type", "") != "finding" || !r.contains("ip") || !r["ip"].is_string()) continue;
    const std::string ip = r["ip"].get<std::string>();
    const std::pair<store::Network, std::string>* best = nullptr;
    for (const auto& o : owners)
      if (o.first.contains(ip) && (!best || o.first.span() < best->first.span())) best = &o;
    if (!best) {
      ++unassigned;
      continue;
    }
    std::string port = r.contains("port") && r["port"].is_number_integer() ? std::to_string(r["port"].get<int64_t>()) : "";
    auto s = [&](const char* k) { return r.contains(k) && r[k].is_string() ? r[k].get<std::string>() : std::string(); };
    // No evidence column: the evidence may hold a (redacted) password; owners get the facts only.
    std::string& f = files[best->second];
    if (f.empty()) f = "address,port,service,check,severity,date\n";
    f += store::csv_field(ip) + "," + port + "," + store::csv_field(s("service")) + "," + store::csv_field(s("check_id")) +
         "," + store::csv_field(s("severity")) + "," + store::csv_field(date) + "\n";
    ++total;
  }
  std::error_code ec;
  std::filesystem::create_directories(a.out_dir, ec);
  std::set<std::string> used;
  for (const auto& [owner, body] : files) {
    std::string name = safe_file_name(owner);
    for (int i = 2; used.count(name); ++i) name = safe_file_name(owner) + "-" + std::to_string(i);
    used.insert(name);
    std::string path = (std::filesystem::path(a.out_dir) / (name + ".csv")).string();
    if (int rc = write_output(path, body, "notify"); rc != kExitOk) return rc;
    std::fprintf(stderr, "mamori notify: %s: %s\n", owner.c_str(), path.c_str());
  }
  std::fprintf(stderr, "mamori notify: %zu findings for %zu owners; %zu findings outside every prefix\n", total,
               files.size(), unassigned);
  return kExitOk;
}

int run_import(const StoreArgs& a) {
  auto text = read_file(a.file);
  if (!text) return fail("import", text.error().message);
  auto p = store::parse_jsonl(*text);
  for (const auto& e : p.errors) std::fprintf(stderr, "mamori import: %s: %s (skipped)\n", a.file.c_str(), e.c_str());
  auto st = open_store(a, false);
  if (!st) return fail("import", st.error().message);
  std::set<std::string> seen, refused;
  size_t stored = 0, bad = p.errors.size();
  for (const auto& r : p.records) {
    std::string scan = r.contains("scan_id") && r["scan_id"].is_string() ? r["scan_id"].get<std::string>() : "";
    if (!scan.empty() && !seen.count(scan) && !refused.count(scan)) {
      // A scan already in the store is not imported twice.
      if ((*st)->has_scan(scan)) {
        refused.insert(scan);
        std::fprintf(stderr, "mamori import: scan %s is already in the store (skipped)\n", scan.c_str());
      } else {
        seen.insert(scan);
      }
    }
    if (refused.count(scan)) continue;
    auto ok = (*st)->ingest(r);
    if (!ok) {
      ++bad;
      std::fprintf(stderr, "mamori import: %s: %s (skipped)\n", a.file.c_str(), ok.error().message.c_str());
      continue;
    }
    ++stored;
  }
  std::fprintf(stderr, "mamori import: %zu records of %zu scans into %s; %zu skipped\n", stored, seen.size(),
               store::display_name(db_path(a)).c_str(), bad);
  // The fleet view across scans: keys of the imported scans that other devices of the store
  // carried in earlier scans become shared-private-key findings of the imported scan (unless its
  // file already names them across scans).
  std::set<std::pair<std::string, std::string>> named;  // (ip, key) already found across scans
  for (const auto& r : p.records) {
    if (r.value("type", "") != "finding" || r.value("check_id", "") != "shared-private-key") continue;
    const auto ev = r.find("evidence");
    if (ev == r.end() || !ev->is_object() || !ev->value("across_scans", false)) continue;
    named.emplace(r.value("ip", ""), ev->value("key_sha256", ""));
  }
  if (!seen.empty()) {
    auto checks = CheckCatalog::load(data_dir() + "/checks");
    if (!checks) return fail("import", "fleet view: " + checks.error().message);
    size_t fleet = 0;
    for (const auto& scan : seen) {
      auto hits = (*st)->shared_keys_across_scans(scan);
      std::erase_if(hits, [&](const store::SharedKeyHit& h) { return named.count({h.ip, h.value}) > 0; });
      for (const auto& f : store::fleet_finding_records(scan, hits, *checks)) {
        auto ok = (*st)->ingest(f);
        if (!ok) return fail("import", "fleet view: " + ok.error().message);
        ++fleet;
      }
    }
    if (fleet > 0) {
      std::fprintf(stderr, "mamori import: %zu shared-private-key finding(s) with devices of earlier scans added "
                           "(mamori keys --shared)\n", fleet);
    }
  }
  return bad == 0 ? kExitOk : kExitFailure;
}

// `mamori keys`: the TLS public keys and SSH host keys in the store and the devices that
// presented them (the fleet view over every scan).
int run_keys(const StoreArgs& a) {
  auto st = open_store(a, true);
  if (!st) return fail("keys", st.error().message);
  auto rows = (*st)->keys(a.shared);
  auto kind_name = [](const std::string& k) { return k == "ssh" ? std::string("ssh-host-key") : std::string("tls-spki"); };
  if (a.json) {
    for (const auto& r : rows) {
      json devs = json::array();
      for (const auto& d : r.devices) {
        json j = {{"device_id", d.device_id}, {"ip", d.ip}, {"port", d.port}, {"scan_id", d.scan_id},
                  {"seen", d.seen}, {"identity", d.identity}};
        if (!d.vendor.empty()) j["vendor"] = d.vendor;
        if (!d.model.empty()) j["model"] = d.model;
        devs.push_back(std::move(j));
      }
      fmt::print("{}\n", json({{"key_kind", kind_name(r.kind)}, {"key_sha256", r.value}, {"devices", devs}})
                             .dump(-1, ' ', false, json::error_handler_t::replace));
    }
    return kExitOk;
  }
  fmt::print("{:<13} {:<64} {:>7}\n", "KIND", "SHA256", "DEVICES");
  for (const auto& r : rows) {
    fmt::print("{:<13} {:<64} {:>7}\n", kind_name(r.kind), r.value, r.devices.size());
    for (const auto& d : r.devices) {
      std::string name = d.vendor + (d.model.empty() ? "" : " " + d.model);
      fmt::print("  device {:<6} {:<22} {:<20} {:<28} {} {}\n", d.device_id, d.ip + ":" + std::to_string(d.port),
                 or_dash(d.seen), d.scan_id, or_dash(join(d.identity, " ")), name);
    }
  }
  if (a.shared && rows.empty()) fmt::print("(no key on two or more devices)\n");
  return kExitOk;
}

void add_db(CLI::App* cmd, StoreArgs* a) {
  cmd->add_option("--db", a->db, "SQLite database file, or postgresql://user:password@host/db (default: $MAMORI_DB, "
                                 "else $XDG_DATA_HOME/mamori/mamori.db, else ~/.local/share/mamori/mamori.db)");
}
void add_filters(CLI::App* cmd, StoreArgs* a, bool severity_and_check) {
  cmd->add_option("--scan", a->filter.scan_id, "Only this scan");
  cmd->add_option("--category", a->filter.category, "Device category, e.g. network_camera");
  cmd->add_option("--network", a->filter.network, "Addresses in this CIDR block");
  if (severity_and_check) {
    cmd->add_option("--severity", a->filter.severity, "critical, high, medium, low or info");
    cmd->add_option("--check", a->filter.check_id, "Check id, e.g. default-credential");
  }
}

// --db/--no-db of the commands that write results (scan, creds), by command.
struct ResultStoreArgs {
  std::string db;
  bool no_db = false;
};
std::vector<std::pair<CLI::App*, std::shared_ptr<ResultStoreArgs>>>& result_store_args() {
  static std::vector<std::pair<CLI::App*, std::shared_ptr<ResultStoreArgs>>> v;
  return v;
}

}  // namespace

void add_result_store_options(CLI::App* cmd) {
  auto a = std::make_shared<ResultStoreArgs>();
  result_store_args().emplace_back(cmd, a);
  cmd->add_option("--db", a->db, "Also record the results in this SQLite file or postgresql://user:password@host/db "
                                 "(default: $MAMORI_DB, else $XDG_DATA_HOME/mamori/mamori.db, else "
                                 "~/.local/share/mamori/mamori.db)");
  cmd->add_flag("--no-db", a->no_db, "Do not record the results in the database");
}

Expected<std::unique_ptr<RecordSink>> open_result_store() {
  for (const auto& [cmd, a] : result_store_args()) {
    if (!cmd->parsed()) continue;
    if (a->no_db) return std::unique_ptr<RecordSink>();
    std::string path = a->db.empty() ? store::default_db_path() : a->db;
    if (path.empty()) return make_error("no database path (HOME unset): give --db PATH or --no-db");
    auto st = store::Store::open(path);
    if (!st) return make_error(st.error().message + " (or run with --no-db)");
    return std::unique_ptr<RecordSink>(std::make_unique<store::StoreWriter>(std::move(*st)));
  }
  return std::unique_ptr<RecordSink>();
}

Command add_store_commands(CLI::App& app) {
  struct Sub {
    CLI::App* app;
    std::function<int()> run;
  };
  auto subs = std::make_shared<std::vector<Sub>>();
  auto add = [&](const char* name, const char* help, auto setup, int (*run)(const StoreArgs&)) {
    auto a = std::make_shared<StoreArgs>();
    auto* cmd = app.add_subcommand(name, help);
    add_db(cmd, a.get());
    setup(cmd, a.get());
    subs->push_back({cmd, [a, run]() { return run(*a); }});
  };
  add("scans", "List the scans in the store", [](CLI::App* c, StoreArgs* a) { c->add_flag("--json", a->json, "JSON Lines"); },
      run_scans);
  add("devices", "List the devices in the store (identified across scans by stable evidence)",
      [](CLI::App* c, StoreArgs* a) {
        add_filters(c, a, false);
        c->add_flag("--json", a->json, "JSON Lines");
      },
      run_devices);
  add("findings", "List the findings of a scan in the store (default: the latest)",
      [](CLI::App* c, StoreArgs* a) {
        add_filters(c, a, true);
        c->add_flag("--json", a->json, "JSON Lines");
      },
      run_findings);
  add("diff", "What changed between two scans (default: the last two): devices, ports, findings",
      [](CLI::App* c, StoreArgs* a) {
        c->add_option("SCANS", a->scans, "SCAN_A [SCAN_B] (SCAN_B defaults to the latest)")->expected(0, 2);
        c->add_flag("--json", a->json, "One JSON object");
      },
      run_diff);
  add("report", "Render a scan as HTML (one self-contained file), JSON, CSV, Markdown or nmap XML",
      [](CLI::App* c, StoreArgs* a) {
        c->add_option("--format", a->format, "html, json, csv, md, nmap-xml")->capture_default_str();
        c->add_option("--lang", a->lang, "en or ja")->capture_default_str();
        c->add_option("--scan", a->filter.scan_id, "Scan in the store (default: the latest)");
        c->add_option("--input", a->input, "Read a JSON Lines results file instead of the store");
        c->add_option("-o,--output", a->output, "Write to this file (default: standard output)");
      },
      run_report);
  add("notify", "Notification lists: one CSV per network owner (prefix,owner file) with the findings in its networks",
      [](CLI::App* c, StoreArgs* a) {
        c->add_option("--owners", a->owners, "CSV file of prefix,owner lines")->required();
        c->add_option("--scan", a->filter.scan_id, "Scan in the store (default: the latest)");
        c->add_option("--input", a->input, "Read a JSON Lines results file instead of the store");
        c->add_option("--out-dir", a->out_dir, "Directory for the CSV files")->capture_default_str();
      },
      run_notify);
  add("keys", "List the TLS public keys and SSH host keys in the store with the devices that presented them",
      [](CLI::App* c, StoreArgs* a) {
        c->add_flag("--shared", a->shared, "Only keys on two or more devices (shared private keys)");
        c->add_flag("--json", a->json, "JSON Lines");
      },
      run_keys);
  add("import", "Load a JSON Lines results file into the store",
      [](CLI::App* c, StoreArgs* a) { c->add_option("FILE", a->file, "JSON Lines results (spec/results.md)")->required(); },
      run_import);
  return {&app, [subs]() {
            for (const auto& s : *subs)
              if (s.app->parsed()) return s.run();
            return kExitUsage;
          }};
}

}  // namespace mamori
