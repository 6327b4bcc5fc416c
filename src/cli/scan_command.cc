// `mamori scan TARGETS... [options]`: the main job. Runs the `ports` stage (TCP connect sweep),
// `identify` (services and devices) and `audit` (credentials under the safety policy); judge and
// record plug in after them as they arrive. `mamori creds` is the same pipeline aimed at the
// credential audit, and also takes service URLs (telnet://host:port) that skip the sweep.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <map>
#include <mutex>
#include <random>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/port_spec.h"
#include "core/target_spec.h"
#include "core/units.h"
#include "engine/discovery.h"
#include "engine/tcp_sweep.h"
#include "ident/catalog.h"
#include "ident/classify.h"
#include "ident/oui.h"
#include "probes/multicast.h"
#include "checks/creds/registry.h"
#include "pipeline/audit_stage.h"
#include "pipeline/identify_stage.h"
#include "pipeline/judge_stage.h"
#include "policy/catalog.h"
#include "policy/evaluate.h"
#include "policy/profile.h"
#include "report/records.h"
#include "report/writers.h"
#include "store/store.h"
#include "tls/posture_findings.h"

namespace mamori {
namespace {

struct ScanArgs {
  std::vector<std::string> targets;
  std::vector<std::string> excludes;
  std::vector<std::string> exclude_files;
  std::string ports = "iot";
  std::string rate = "0";
  unsigned concurrency = 2048;
  std::string timeout = "1000ms";
  unsigned retries = 1;
  unsigned threads = 0;
  std::string shard;
  std::string seed;
  std::string output;
  std::string format = "auto";
  std::string stages;
  std::string vantage;
  std::string profile;
  // judge stage
  std::string connection_form = "unknown";
  std::string manifest;
  std::string declarations;
  std::string standards;
  bool all_states = false;
  bool discover = false;   // ICMP echo + neighbour table before the sweep
  bool broadcast = false;  // SSDP / mDNS / WS-Discovery multicast before the sweep
  bool resolve_all = false;
  bool dry_run = false;
  bool no_progress = false;
  std::string probe_timeout = "3s";
  std::string banner_wait = "1500ms";
  unsigned host_concurrency = 64;
  // audit (credential safety policy)
  std::vector<std::string> creds_files;
  unsigned max_attempts = 30;
  unsigned max_attempts_device = 100;
  std::string attempt_spacing = "500ms";
  std::string login_timeout = "15s";
  unsigned login_parallel = 1;
  unsigned device_concurrency = 32;
  bool reveal_secrets = false;
  bool no_posture = false;
  bool creds_only = false;  // only the --creds-file lists
  bool test_lockout = false;
  unsigned lockout_burst = 20;
  std::string lockout_user = "admin";
  bool creds_mode = false;  // `mamori creds`
};

// Scans of at most this many addresses judge every device at the end (JudgeStageOptions::hold).
constexpr uint64_t kJudgeHoldMaxTargets = 4096;

// The stages of the pipeline in order. Only those marked available run in this version.
struct StageInfo {
  const char* name;
  bool available;
};
constexpr StageInfo kStages[] = {
    {"ports", true}, {"identify", true}, {"audit", true}, {"judge", true}, {"record", false}};

const char* g_command = "scan";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "mamori %s: %s\n", g_command, message.c_str());
  return kExitUsage;
}

Expected<std::vector<std::string>> parse_stages(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) {
    for (const auto& s : kStages) {
      if (s.available) out.emplace_back(s.name);
    }
    return out;
  }
  for (const std::string& raw : split_target_tokens(text)) {
    std::string name = raw == "sweep" ? "ports" : raw;
    const StageInfo* found = nullptr;
    for (const auto& s : kStages) {
      if (name == s.name) found = &s;
    }
    if (found == nullptr) {
      return make_error("unknown stage '" + raw + "' (stages: ports, identify, audit, judge, record)");
    }
    if (!found->available) {
      return make_error("stage '" + raw + "' is not available in this version of mamori");
    }
    out.push_back(name);
  }
  return out;
}

Expected<ShardSpec> parse_shard(const std::string& text) {
  auto bad = [&](const char* why) { return make_error("invalid shard '" + text + "': " + why); };
  size_t slash = text.find('/');
  if (slash == std::string::npos) return bad("expected i/N, e.g. 1/4");
  char* end = nullptr;
  std::string a = text.substr(0, slash), b = text.substr(slash + 1);
  if (a.empty() || b.empty() || a.size() > 9 || b.size() > 9) return bad("expected i/N, e.g. 1/4");
  unsigned long i = std::strtoul(a.c_str(), &end, 10);
  if (*end != '\0') return bad("i is not a number");
  unsigned long n = std::strtoul(b.c_str(), &end, 10);
  if (*end != '\0') return bad("N is not a number");
  if (n < 1 || i < 1 || i > n) return bad("need 1 <= i <= N (shards are numbered from 1)");
  return ShardSpec{i - 1, n};
}

// Fans results out to the JSONL and table writers, and hands swept hosts to the identify
// stage when it runs.
class ScanOutput : public ScanObserver, public IdentifySink, public AuditSink {
 public:
  ScanOutput(std::string scan_id, const Targets& targets, RecordSink* records, TableWriter* table,
             bool reveal)
      : scan_id_(std::move(scan_id)), targets_(targets), records_(records), table_(table), reveal_(reveal) {}
  void set_identify(IdentifyStage* stage) { identify_ = stage; }
  // Hosts found alive by discovery (read-only once the sweep starts).
  void set_discovered(const Discovered* d) { discovered_ = d; }
  void set_audit(AuditStage* stage) { audit_ = stage; }
  // With the SSH posture on, an ssh service record waits for the posture and carries its `ssh`
  // object (host keys, algorithms). Set before the identify stage starts.
  void hold_ssh_services(bool hold) { hold_ssh_ = hold; }
  // Writes the ssh service records still waiting (of `ip`, or all: an interrupted audit).
  void flush_held_services(const Ip* ip = nullptr) {
    std::vector<nlohmann::json> recs;
    {
      std::lock_guard lock(held_mu_);
      for (auto it = held_ssh_.begin(); it != held_ssh_.end();) {
        if (ip != nullptr && it->first.first != *ip) {
          ++it;
          continue;
        }
        recs.push_back(std::move(it->second));
        it = held_ssh_.erase(it);
      }
    }
    for (const auto& r : recs) records_->write(r);
  }
  void set_judge(JudgeStage* stage) { judge_ = stage; }

  // ScanObserver (sweep threads).
  void on_port(const PortObservation& p) override {
    records_->write(port_record(scan_id_, p, name_of(p.ip)));
  }
  void on_host(HostObservation&& host) override {
    if (!host.open.empty()) hosts_with_open_.fetch_add(1, std::memory_order_relaxed);
    if (discovered_ != nullptr) {
      if (auto it = discovered_->find(host.ip); it != discovered_->end()) host.alive_by = it->second.alive_by;
    }
    if (identify_ != nullptr) {
      identify_->submit(std::move(host));
    } else if (table_ != nullptr && !host.open.empty()) {
      table_->write_host(host);
    }
  }
  // IdentifySink (identify thread).
  void on_service(const ServiceObservation& s) override {
    if (hold_ssh_ && is_ssh_service(s)) {
      // Written by on_ssh with the posture's `ssh` object (or by on_device_audited/flush).
      std::lock_guard lock(held_mu_);
      held_ssh_[{s.ip, s.port}] = service_record(scan_id_, s);
      return;
    }
    records_->write(service_record(scan_id_, s));
  }
  void on_device(const DeviceObservation& dev, const std::vector<ServiceObservation>& services) override {
    devices_.fetch_add(1, std::memory_order_relaxed);
    DeviceObservation d = dev;
    if (d.mac.empty()) d.mac = mac_of(d.ip);  // (the classifier looked it up already when it ran)
    if (!d.mac.empty() && d.mac_vendor.empty()) d.mac_vendor = oui_.vendor(d.mac);
    records_->write(device_record(scan_id_, d, name_of(d.ip)));
    if (table_ != nullptr) table_->write_device(d, services);
    if (audit_ != nullptr) {
      audit_->submit(d, services, name_of(d.ip));
    } else if (judge_ != nullptr) {
      judge_->device_done(d.ip.str());
    }
  }
  // AuditSink (audit thread).
  void on_credential(const creds::ServiceAudit& a) override {
    records_->write(credential_record(scan_id_, a, reveal_));
  }
  void on_tls(const tls::TlsReport& r) override { records_->write(tls_record(scan_id_, r)); }
  void on_ssh(const tls::SshReport& r) override {
    nlohmann::json rec;
    {
      std::lock_guard lock(held_mu_);
      auto it = held_ssh_.find({r.ip, r.port});
      if (it == held_ssh_.end()) return;
      rec = std::move(it->second);
      held_ssh_.erase(it);
    }
    rec["ssh"] = tls::ssh_json(r);
    records_->write(rec);
  }
  void on_finding(const Finding& f) override {
    records_->write(finding_record(scan_id_, f));
  }
  void on_device_audited(const DeviceObservation& d, const std::vector<creds::ServiceAudit>& audits,
                         const std::vector<Finding>& findings) override {
    flush_held_services(&d.ip);
    if (table_ != nullptr) table_->write_audit(d, audits, findings, reveal_);
    if (judge_ != nullptr) judge_->device_done(d.ip.str());
  }
  uint64_t hosts_with_open() const { return hosts_with_open_.load(); }
  uint64_t devices() const { return devices_.load(); }
  // The host's MAC (neighbour table, else discovery) and its IEEE organisation ("" when unknown,
  // locally administered or a group address). Thread-safe.
  std::pair<std::string, std::string> mac_and_vendor(Ip ip) {
    std::string mac = mac_of(ip);
    std::string vendor = mac.empty() ? std::string() : oui_.vendor(mac);
    return {std::move(mac), std::move(vendor)};
  }

 private:
  std::string name_of(Ip ip) const {
    auto it = targets_.names.find(ip.value());
    return it == targets_.names.end() ? "" : it->second;
  }
  // The MAC of an on-link host from the kernel's neighbour table (read at most once a second).
  std::string mac_of(Ip ip) {
    std::lock_guard lock(mac_mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - macs_read_ > std::chrono::seconds(1)) {
      macs_ = read_neighbours();
      macs_read_ = now;
    }
    auto it = macs_.find(ip);
    if (it != macs_.end()) return it->second;
    if (discovered_ != nullptr) {
      if (auto d = discovered_->find(ip); d != discovered_->end()) return d->second.mac;
    }
    return "";
  }
  const Discovered* discovered_ = nullptr;
  bool hold_ssh_ = false;
  std::mutex held_mu_;
  std::map<std::pair<Ip, uint16_t>, nlohmann::json> held_ssh_;
  ident::Oui oui_;
  std::mutex mac_mu_;
  std::map<Ip, std::string> macs_;
  std::chrono::steady_clock::time_point macs_read_{};
  std::string scan_id_;
  const Targets& targets_;
  RecordSink* records_;
  TableWriter* table_;
  IdentifyStage* identify_ = nullptr;
  AuditStage* audit_ = nullptr;
  JudgeStage* judge_ = nullptr;
  bool reveal_ = false;
  std::atomic<uint64_t> hosts_with_open_{0};
  std::atomic<uint64_t> devices_{0};
};

// Waits for SIGINT/SIGTERM on a thread of its own and calls on_signal (first signal: stop
// cleanly; a second one exits at once). Blocks those signals in every thread created after it.
class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void()> on_signal) : on_signal_(std::move(on_signal)) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGUSR2);  // private: wakes the watcher to exit
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] {
      int count = 0;
      for (;;) {
        int sig = 0;
        if (sigwait(&set_, &sig) != 0) continue;
        if (sig == SIGUSR2) return;
        if (++count == 1) {
          interrupted_ = true;
          std::fprintf(stderr, "\nmamori: stopping; results so far are kept (again to quit now)\n");
          on_signal_();
        } else {
          _exit(kExitInterrupted);
        }
      }
    });
  }
  ~SignalWatcher() {
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
    pthread_sigmask(SIG_UNBLOCK, &set_, nullptr);
  }
  bool interrupted() const { return interrupted_; }

 private:
  sigset_t set_;
  std::function<void()> on_signal_;
  std::atomic<bool> interrupted_{false};
  std::thread thread_;
};

// done/total, open found, rate, ETA on stderr, about four times a second. Only on a terminal.
class Progress {
 public:
  Progress(const TcpSweep& sweep, bool enabled) : sweep_(sweep) {
    if (!enabled) return;
    thread_ = std::thread([this] {
      auto t0 = std::chrono::steady_clock::now();
      std::unique_lock lock(mu_);
      while (!cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return done_; })) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const auto& c = sweep_.counters();
        uint64_t done = c.probes_done.load(), total = std::max<uint64_t>(1, sweep_.estimated_probes());
        double rate = secs > 0 ? done / secs : 0;
        double eta = rate > 0 && total > done ? (total - done) / rate : 0;
        std::fprintf(stderr, "\r%llu/%llu probes (%.1f%%), %llu open, %.0f/s, ETA %.0fs   ",
                     static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                     100.0 * done / total, static_cast<unsigned long long>(c.open.load()), rate, eta);
      }
      std::fprintf(stderr, "\r\033[K");
    });
  }
  ~Progress() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  const TcpSweep& sweep_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// The device classifier over the fingerprint catalog in data/fingerprints. With `macs`, the
// host's MAC vendor is evidence too (key mac.vendor) and the device carries its MAC.
Expected<Classifier> make_classifier(ScanOutput* macs = nullptr) {
  auto catalog = ident::FingerprintCatalog::load(data_dir() + "/fingerprints");
  if (!catalog) return catalog.error();
  return Classifier([cat = std::move(*catalog), macs](Ip ip, std::vector<ServiceObservation>& services) {
    ident::HostFacts facts;
    std::string mac;
    if (macs != nullptr) {
      auto [m, v] = macs->mac_and_vendor(ip);
      mac = std::move(m);
      facts.mac_vendor = std::move(v);
    }
    DeviceObservation d = ident::classify(cat, ip, services, facts);
    d.mac = std::move(mac);
    d.mac_vendor = facts.mac_vendor;
    return d;
  });
}

// What the judge stage needs, loaded and checked before anything is sent.
struct JudgeSetup {
  policy::PolicyCatalog policy;
  CheckCatalog checks;
  std::optional<policy::Manifest> manifest;
  std::optional<policy::Declarations> declarations;
  policy::EvalOptions options;
};

Expected<JudgeSetup> make_judge_setup(const ScanArgs& a, bool audit_on) {
  JudgeSetup s;
  const auto& forms = policy::connection_forms();
  if (std::find(forms.begin(), forms.end(), a.connection_form) == forms.end()) {
    return make_error("invalid connection form '" + a.connection_form +
                      "': expected direct, nat_unreachable, port_forwarded or unknown");
  }
  auto pol = policy::PolicyCatalog::load(data_dir() + "/policy");
  if (!pol) return pol.error();
  auto checks = CheckCatalog::load(data_dir() + "/checks");
  if (!checks) return checks.error();
  for (const auto& problem : pol->lint(*checks)) {
    std::fprintf(stderr, "mamori: warning: policy catalog: %s\n", problem.c_str());
  }
  s.policy = std::move(*pol);
  s.checks = std::move(*checks);
  if (!a.manifest.empty()) {
    auto m = policy::Manifest::load(a.manifest);
    if (!m) return make_error("--manifest: " + m.error().message);
    s.manifest = std::move(*m);
  }
  if (!a.declarations.empty()) {
    auto d = policy::Declarations::load(a.declarations);
    if (!d) return make_error("--declarations: " + d.error().message);
    s.declarations = std::move(*d);
  }
  for (const std::string& t : split_target_tokens(a.standards)) {
    bool known = false;
    for (const auto& st : s.policy.standards()) known = known || st.id == t;
    if (!known) {
      std::string list;
      for (const auto& st : s.policy.standards()) list += (list.empty() ? "" : ", ") + st.id;
      return make_error("unknown standard '" + t + "' (catalogs: " + list + ")");
    }
    s.options.standards.insert(t);
  }
  s.options.connection_form = a.connection_form;
  s.options.audit_ran = audit_on;
  s.options.posture_ran = audit_on && !a.no_posture;
  return s;
}

// What the audit stage needs, loaded and checked before anything is sent.
struct AuditSetup {
  creds::CredentialCatalog credentials;
  CheckCatalog checks;
  AuditOptions options;
};

Expected<AuditSetup> make_audit_setup(const ScanArgs& a) {
  AuditSetup s;
  // 0 is allowed here (benchmarks, your own lab); parse_duration insists on at least 1ms.
  const bool no_spacing = a.attempt_spacing == "0" || a.attempt_spacing == "0ms" || a.attempt_spacing == "0s";
  auto spacing = no_spacing ? Expected<std::chrono::milliseconds>(std::chrono::milliseconds(0))
                            : parse_duration(a.attempt_spacing);
  if (!spacing) return make_error("--attempt-spacing: " + spacing.error().message);
  auto login_timeout = parse_duration(a.login_timeout);
  if (!login_timeout) return make_error("--login-timeout: " + login_timeout.error().message);
  if (a.max_attempts < 2) return make_error("--max-attempts must be at least 2 (one try and its negative control)");
  if (a.max_attempts_device < a.max_attempts) {
    return make_error("--max-attempts-device must be at least --max-attempts");
  }
  if (a.login_parallel < 1 || a.login_parallel > 64) return make_error("--login-parallel must be 1..64");
  if (a.creds_only && a.creds_files.empty()) return make_error("--creds-only needs --creds-file");
  Expected<creds::CredentialCatalog> creds = creds::CredentialCatalog{};
  if (a.creds_only) {
    for (const auto& f : a.creds_files) {
      auto list = creds::load_credential_list(f, true);
      if (!list) return list.error();
      creds->add(std::move(*list));
    }
  } else {
    creds = creds::CredentialCatalog::load(data_dir() + "/creds", a.creds_files);
    if (!creds) return creds.error();
  }
  auto checks = CheckCatalog::load(data_dir() + "/checks");
  if (!checks) return checks.error();
  s.credentials = std::move(*creds);
  s.checks = std::move(*checks);
  auto& p = s.options.policy;
  p.max_attempts_per_service = a.max_attempts;
  p.max_attempts_per_device = a.max_attempts_device;
  p.min_spacing = std::chrono::duration_cast<creds::Millis>(*spacing);
  p.attempt_timeout = std::chrono::duration_cast<creds::Millis>(*login_timeout);
  p.parallel_per_service = a.login_parallel;
  p.limits.connect = std::min(p.attempt_timeout, creds::Millis(5000));
  p.limits.io = std::min(p.attempt_timeout, creds::Millis(6000));
  p.limits.max_read = 256 * 1024;
  s.options.device_concurrency = std::max(1u, a.device_concurrency);
  s.options.reveal_secrets = a.reveal_secrets;
  s.options.posture = !a.no_posture;
  return s;
}

// A service URL of `mamori creds`: scheme://host[:port][/path].
struct ServiceUrl {
  std::string token;
  std::string scheme;
  std::string host;
  uint16_t port = 0;
  Proto proto = Proto::tcp;
  bool tls = false;
};

Expected<ServiceUrl> parse_service_url(const std::string& token) {
  static const struct {
    const char* scheme;
    uint16_t port;
    Proto proto;
    bool tls;
  } kSchemes[] = {{"telnet", 23, Proto::tcp, false}, {"ssh", 22, Proto::tcp, false},
                  {"ftp", 21, Proto::tcp, false},    {"http", 80, Proto::tcp, false},
                  {"https", 443, Proto::tcp, true},  {"rtsp", 554, Proto::tcp, false},
                  {"mqtt", 1883, Proto::tcp, false}, {"mqtts", 8883, Proto::tcp, true},
                  {"snmp", 161, Proto::udp, false},  {"coap", 5683, Proto::udp, false}};
  ServiceUrl u;
  u.token = token;
  auto sep = token.find("://");
  std::string scheme = token.substr(0, sep);
  bool known = false;
  for (const auto& k : kSchemes) {
    if (scheme == k.scheme) {
      known = true;
      u.scheme = scheme;
      u.port = k.port;
      u.proto = k.proto;
      u.tls = k.tls;
    }
  }
  if (!known) {
    return make_error("invalid service URL '" + token + "': unknown scheme '" + scheme +
                      "' (telnet, ssh, ftp, http, https, rtsp, mqtt, mqtts, snmp, coap)");
  }
  std::string rest = token.substr(sep + 3);
  rest = rest.substr(0, rest.find('/'));
  std::string port;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return make_error("invalid service URL '" + token + "': missing ']'");
    u.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return make_error("invalid service URL '" + token + "'");
      port = rest.substr(close + 2);
    }
  } else {
    auto colon = rest.find(':');
    u.host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  if (u.host.empty()) return make_error("invalid service URL '" + token + "': no host");
  if (!port.empty()) {
    char* end = nullptr;
    unsigned long v = std::strtoul(port.c_str(), &end, 10);
    if (*end != '\0' || v < 1 || v > 65535 || port.size() > 5) {
      return make_error("invalid service URL '" + token + "': port '" + port + "' is not 1..65535");
    }
    u.port = static_cast<uint16_t>(v);
  }
  return u;
}

bool is_url(const std::string& t) { return t.find("://") != std::string::npos; }

int dry_run(const Targets& targets, const PortList& ports, uint64_t seed, ShardSpec shard) {
  Dispatcher d(targets.set, ports.tcp, seed, shard);
  std::string buf;
  while (auto chunk = d.next_chunk()) {
    while (auto e = chunk->walk.next()) {
      Ip ip = chunk->host->ip;
      buf += ip.is_v4() ? fmt::format("{}:{}\n", ip.str(), d.port_at(*e))
                        : fmt::format("[{}]:{}\n", ip.str(), d.port_at(*e));
      if (buf.size() > 1 << 16) {
        std::fwrite(buf.data(), 1, buf.size(), stdout);
        buf.clear();
      }
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), stdout);
  return kExitOk;
}

int run_url_audit(ScanArgs& a);

std::string out_name(const Targets& t, Ip ip) {
  auto it = t.names.find(ip.value());
  return it == t.names.end() ? "" : it->second;
}

int run_scan(ScanArgs& a) {
  g_command = a.creds_mode ? "creds" : "scan";
  if (std::any_of(a.targets.begin(), a.targets.end(), is_url)) {
    if (!a.creds_mode) {
      auto it = std::find_if(a.targets.begin(), a.targets.end(), is_url);
      return usage_error("invalid target '" + *it + "': service URLs are for `mamori creds`");
    }
    return run_url_audit(a);
  }
  if (a.test_lockout) {
    return usage_error("--test-lockout needs an explicit list of service URLs (e.g. ssh://192.0.2.7), "
                       "not address ranges");
  }
  if (a.creds_mode && a.stages.empty()) a.stages = "ports,identify,audit";
  // Ports.
  auto catalog = PortCatalog::load(data_dir() + "/ports");
  if (!catalog) {
    std::fprintf(stderr, "mamori scan: %s\n", catalog.error().message.c_str());
    return kExitFailure;
  }
  auto ports = parse_ports(a.ports, &*catalog);
  if (!ports) return usage_error(ports.error().message);

  // Targets and exclusions.
  TargetParseOptions topt{system_resolver(), system_file_reader(), a.resolve_all};
  Targets targets;
  if (auto r = parse_targets(a.targets, topt, targets); !r) return usage_error(r.error().message);
  Targets excluded;
  std::vector<std::string> exclude_args = a.excludes;
  for (const std::string& f : a.exclude_files) exclude_args.push_back("@" + f);
  TargetParseOptions xopt = topt;
  xopt.max_addresses = ~u128{0};
  if (auto r = parse_targets(exclude_args, xopt, excluded); !r) {
    return usage_error("in --exclude: " + r.error().message);
  }
  targets.set.subtract(excluded.set);
  if (targets.set.empty()) return usage_error("no targets left to scan after exclusions");

  // Everything else.
  auto stages = parse_stages(a.stages);
  if (!stages) return usage_error(stages.error().message);
  auto rate = parse_rate(a.rate);
  if (!rate) return usage_error(rate.error().message);
  auto timeout = parse_duration(a.timeout);
  if (!timeout) return usage_error(timeout.error().message);
  ShardSpec shard;
  if (!a.shard.empty()) {
    auto s = parse_shard(a.shard);
    if (!s) return usage_error(s.error().message);
    if (a.seed.empty()) {
      return usage_error("--shard needs --seed: every shard must walk the same permutation");
    }
    shard = *s;
  }
  uint64_t seed;
  if (a.seed.empty()) {
    seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  } else {
    char* end = nullptr;
    seed = std::strtoull(a.seed.c_str(), &end, 10);
    if (a.seed[0] == '-' || *end != '\0' || a.seed.size() > 20) {
      return usage_error("invalid seed '" + a.seed + "': expected a non-negative integer");
    }
  }
  if (a.concurrency < 1) return usage_error("--concurrency must be at least 1");
  if (a.format != "auto" && a.format != "jsonl" && a.format != "table") {
    return usage_error("invalid format '" + a.format + "': expected auto, jsonl or table");
  }
  const bool identify_on = std::find(stages->begin(), stages->end(), "identify") != stages->end();
  const bool sweep_on = std::find(stages->begin(), stages->end(), "ports") != stages->end();
  const bool audit_on = std::find(stages->begin(), stages->end(), "audit") != stages->end();
  const bool judge_on = std::find(stages->begin(), stages->end(), "judge") != stages->end();
  if (audit_on && !identify_on) {
    return usage_error("the audit stage needs the identify stage (or use `mamori creds URL...`)");
  }
  if (judge_on && !identify_on) {
    return usage_error("the judge stage needs the identify stage (it judges identified devices)");
  }
  std::optional<JudgeSetup> judge_setup;
  if (judge_on) {
    auto setup = make_judge_setup(a, audit_on);
    if (!setup) return usage_error(setup.error().message);
    judge_setup = std::move(*setup);
    judge_setup->options.manifest = judge_setup->manifest ? &*judge_setup->manifest : nullptr;
    judge_setup->options.declarations = judge_setup->declarations ? &*judge_setup->declarations : nullptr;
  }
  std::optional<AuditSetup> audit_setup;
  if (audit_on) {
    auto setup = make_audit_setup(a);
    if (!setup) return usage_error(setup.error().message);
    audit_setup = std::move(*setup);
  }
  if (identify_on && !sweep_on && !ports->tcp.empty()) {
    return usage_error("the identify stage needs the ports stage to find open TCP ports");
  }
  if (ports->tcp.empty() && !identify_on) {
    return usage_error("no TCP ports to sweep: UDP ports (" + ports->str() +
                       ") are probed by the identify stage; add it to --stages");
  }
  if (!ports->udp.empty() && !identify_on) {
    std::fprintf(stderr, "mamori scan: note: UDP ports are probed by the identify stage, which "
                         "is not in --stages; sweeping the TCP ports only\n");
  }
  auto probe_timeout = parse_duration(a.probe_timeout);
  if (!probe_timeout) return usage_error(probe_timeout.error().message);
  auto banner_wait = parse_duration(a.banner_wait);
  if (!banner_wait) return usage_error(banner_wait.error().message);
  if (a.dry_run) return dry_run(targets, *ports, seed, shard);

  // Output.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  if (!a.output.empty()) {
    file.reset(std::fopen(a.output.c_str(), "w"));
    if (!file) {
      std::fprintf(stderr, "mamori scan: cannot write '%s': %s\n", a.output.c_str(), std::strerror(errno));
      return kExitFailure;
    }
  }
  bool stdout_tty = isatty(STDOUT_FILENO) != 0;
  bool table_out = a.format == "table" || (a.format == "auto" && stdout_tty);
  std::unique_ptr<JsonlWriter> jsonl;
  if (file) jsonl = std::make_unique<JsonlWriter>(file.get());
  else if (!table_out) jsonl = std::make_unique<JsonlWriter>(stdout);
  // Every record goes to each sink: the JSON Lines output, and the store when there is one.
  RecordFanout records;
  records.add(jsonl.get());
  auto store = open_result_store();  // the SQLite store (--db, $MAMORI_DB, ...) unless --no-db
  if (!store) {
    std::fprintf(stderr, "mamori scan: store: %s\n", store.error().message.c_str());
    return kExitFailure;
  }
  records.add(store->get());
  std::unique_ptr<TableWriter> table;
  if (table_out) table = std::make_unique<TableWriter>(stdout, &*catalog, &targets.names);

  const std::string scan_id = new_scan_id();
  ScanStartInfo start{scan_id, targets.tokens, ports->str(), seed,
                      fmt::format("{}/{}", shard.index + 1, shard.count), *stages, a.vantage,
                      u128_to_string(targets.set.size())};
  records.write(scan_start_record(start));

  SweepOptions sopt;
  sopt.tcp_ports = ports->tcp;
  sopt.seed = seed;
  sopt.shard = shard;
  sopt.rate = *rate;
  sopt.concurrency = a.concurrency;
  sopt.timeout = *timeout;
  sopt.retries = a.retries;
  sopt.threads = a.threads;
  sopt.report_all_states = a.all_states;

  // The judge sits between the stages and the outputs: it holds each device's findings until
  // the device is complete, then writes them re-scored with the device's verdicts.
  std::optional<JudgeStage> judge;
  if (judge_setup) {
    // A LAN-sized scan is judged at its end, so a gateway's port mappings (found whenever the
    // gateway is identified) reach every device they point to; a survey judges as it goes.
    JudgeStageOptions jopt;
    jopt.hold = targets.set.size() <= kJudgeHoldMaxTargets;
    jopt.vantage = a.vantage;
    judge.emplace(records, judge_setup->policy, judge_setup->checks, judge_setup->options, jopt);
  }
  ScanOutput out(scan_id, targets, judge ? static_cast<RecordSink*>(&*judge) : &records, table.get(),
                 a.reveal_secrets);
  if (judge) {
    out.set_judge(&*judge);
    if (table) {
      judge->on_judged = [t = table.get()](const std::string& ip, const policy::Judgement& j) {
        t->write_verdicts(ip, j.findings, j.verdicts, j.connection_form, j.connection_form_reason);
      };
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  // Host discovery before the sweep: who is alive without an open port (never a new target).
  Discovered discovered;
  if (a.discover || a.broadcast) {
    if (a.discover) {
      IcmpSweepOptions io;
      io.rate = *rate;
      std::string err;
      for (auto* sweep : {&icmp_sweep, &icmp6_sweep}) {
        const char* what = sweep == &icmp_sweep ? "ICMP" : "ICMPv6";
        if (auto st = sweep(targets.set, io, discovered, &err)) {
          if (table && st->sent > 0) {
            std::fprintf(stderr, "mamori scan: %s echo (%s socket): %llu sent, %llu answered\n", what,
                         st->socket_kind.c_str(), static_cast<unsigned long long>(st->sent),
                         static_cast<unsigned long long>(st->answered));
          }
        } else {
          std::fprintf(stderr, "mamori scan: note: no %s discovery: %s\n", what, err.c_str());
        }
      }
      // The echo requests made the kernel ARP (IPv4) or send a neighbour solicitation (IPv6)
      // for every on-link target: a complete neighbour entry is a host that answered, even if
      // it dropped the echo.
      for (const auto& [ip, mac] : read_neighbours()) {
        if (!targets.set.contains(ip)) continue;
        auto& h = discovered[ip];
        if (h.alive_by.empty()) h.alive_by = ip.is_v4() ? "arp" : "ndp";
        h.mac = mac;
      }
    }
    if (a.broadcast) (void)probes::multicast_discover(targets.set, {}, discovered);
    out.set_discovered(&discovered);
  }
  bool complete = true;
  uint64_t attempts = 0, open = 0, hosts_done = 0, local_errors = 0, services = 0;
  uint64_t login_attempts = 0, findings = 0;
  {
    // Threads are created after the watcher blocks the signals, so only it receives them.
    std::atomic<TcpSweep*> sweep_ptr{nullptr};
    std::atomic<IdentifyStage*> identify_ptr{nullptr};
    std::atomic<AuditStage*> audit_ptr{nullptr};
    SignalWatcher signals([&sweep_ptr, &identify_ptr, &audit_ptr] {
      if (auto* s = sweep_ptr.load()) s->stop();
      if (auto* i = identify_ptr.load()) i->stop();
      if (auto* u = audit_ptr.load()) u->stop();
    });
    std::unique_ptr<AuditStage> audit;
    if (audit_setup) {
      audit = std::make_unique<AuditStage>(audit_setup->options, audit_setup->credentials,
                                           audit_setup->checks, &creds::checker_for, out);
      out.set_audit(audit.get());
      out.hold_ssh_services(audit_setup->options.posture);
      audit_ptr.store(audit.get());
      if (signals.interrupted()) audit->stop();
    }
    std::unique_ptr<IdentifyStage> identify;
    if (identify_on) {
      IdentifyOptions iopt;
      iopt.host_concurrency = std::max(1u, a.host_concurrency);
      iopt.limits.connect = *probe_timeout;
      iopt.limits.io = *probe_timeout;
      iopt.banner_wait = *banner_wait;
      iopt.udp_ports = ports->udp;
      auto classifier = make_classifier(&out);
      if (!classifier) {
        std::fprintf(stderr, "mamori scan: fingerprint catalog: %s\n", classifier.error().message.c_str());
        return kExitFailure;
      }
      identify = std::make_unique<IdentifyStage>(iopt, std::move(*classifier), out);
      out.set_identify(identify.get());
      identify_ptr.store(identify.get());
      if (signals.interrupted()) identify->stop();
    }
    if (!ports->tcp.empty()) {
      TcpSweep sweep(targets.set, sopt, out);
      sweep_ptr.store(&sweep);
      if (signals.interrupted()) sweep.stop();
      if (sopt.concurrency > sweep.lanes_total() && sweep.lanes_total() < sweep.estimated_probes()) {
        std::fprintf(stderr, "mamori scan: note: concurrency capped at %u sockets by the open-file limit\n",
                     sweep.lanes_total());
      }
      {
        Progress progress(sweep, !a.no_progress && isatty(STDERR_FILENO) != 0);
        complete = sweep.run();
      }
      sweep_ptr.store(nullptr);
      const auto& c = sweep.counters();
      attempts = c.attempts.load();
      open = c.open.load();
      hosts_done = c.hosts_done.load();
      local_errors = c.local_errors.load();
    } else {
      // UDP only: every target goes straight to identification.
      std::vector<uint16_t> none = {0};
      Dispatcher d(targets.set, none, seed, shard);
      while (auto chunk = d.next_chunk()) {
        if (signals.interrupted()) break;
        HostObservation h;
        h.ip = chunk->host->ip;
        h.assume_alive = true;
        identify->submit(std::move(h));
        ++hosts_done;
      }
    }
    if (identify) {
      identify->close();
      identify->wait();
      services = identify->services_found();
      identify_ptr.store(nullptr);
    }
    if (audit) {
      audit->close();
      audit->wait();
      login_attempts = audit->attempts();
      findings = audit->findings();
      audit_ptr.store(nullptr);
    }
    complete = complete && !signals.interrupted();
  }
  out.flush_held_services();  // ssh services of devices whose audit was interrupted
  // Devices that never completed (an interrupt): their findings still go out, without verdicts.
  if (judge) {
    judge->finish();
    judge->flush_incomplete();
  }
  // The fleet view across scans (issue 6): with every record of this scan stored, a TLS public
  // key or SSH host key that another device carried in an earlier scan is a shared-private-key
  // finding naming it (the scan's own fleet view named the devices of this scan).
  if (audit_setup && audit_setup->options.posture) {
    if (auto* sw = dynamic_cast<store::StoreWriter*>(store->get())) {
      auto fleet = store::fleet_finding_records(scan_id, sw->store().shared_keys_across_scans(scan_id),
                                                audit_setup->checks);
      for (const auto& f : fleet) records.write(f);
      findings += fleet.size();
      if (table && !fleet.empty()) {
        std::fprintf(stderr, "mamori scan: %zu shared-private-key finding(s) with devices of earlier scans "
                             "(mamori findings --check shared-private-key; mamori keys --shared)\n", fleet.size());
      }
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!records.empty()) {
    ScanEndInfo end;
    end.scan_id = scan_id;
    end.targets = targets.tokens;
    end.ports = ports->str();
    end.complete = complete;
    end.hosts_scanned = hosts_done;
    end.ports_open = open;
    end.duration_s = std::round(secs * 1000) / 1000;
    end.packets_sent = attempts;
    if (identify_on) {
      end.services = services;
      end.devices = out.devices();
    }
    if (audit_on) {
      end.login_attempts = login_attempts;
      end.findings = findings;
    }
    records.write(scan_end_record(end));
  }
  if (table) table->write_summary(out.hosts_with_open(), open, secs, complete);
  if (local_errors > 0) {
    std::fprintf(stderr, "mamori scan: note: %llu attempts were delayed by local resource limits "
                         "(ephemeral ports or buffers); consider a lower --rate or --concurrency\n",
                 static_cast<unsigned long long>(local_errors));
  }
  return complete ? kExitOk : kExitInterrupted;
}

// `mamori creds URL...`: audits the named services directly (no sweep, no identification), as
// hydra does, under the same safety policy. Services of one host share its device budget.
int run_url_audit(ScanArgs& a) {
  std::vector<ServiceUrl> urls;
  for (const auto& t : a.targets) {
    if (!is_url(t)) {
      return usage_error("invalid target '" + t + "': give either service URLs or addresses, not both");
    }
    auto u = parse_service_url(t);
    if (!u) return usage_error(u.error().message);
    urls.push_back(*u);
  }
  TargetParseOptions topt{system_resolver(), system_file_reader(), false};
  Targets excluded;
  std::vector<std::string> exclude_args = a.excludes;
  for (const std::string& f : a.exclude_files) exclude_args.push_back("@" + f);
  TargetParseOptions xopt = topt;
  xopt.max_addresses = ~u128{0};
  if (auto r = parse_targets(exclude_args, xopt, excluded); !r) {
    return usage_error("in --exclude: " + r.error().message);
  }
  // host -> services, in the order given
  std::vector<std::pair<DeviceObservation, std::vector<ServiceObservation>>> devices;
  Targets all;
  for (const auto& u : urls) {
    Targets one;
    if (auto r = parse_targets({u.host}, topt, one); !r) {
      return usage_error("in '" + u.token + "': " + r.error().message);
    }
    if (one.set.size() != 1) {
      return usage_error("invalid service URL '" + u.token + "': the host must be one address");
    }
    Ip ip = one.set.at(0);
    if (excluded.set.contains(ip)) continue;
    for (auto& [k, v] : one.names) all.names[k] = v;
    all.tokens.push_back(u.token);
    ServiceObservation svc;
    svc.ip = ip;
    svc.port = u.port;
    svc.proto = u.proto;
    svc.service = u.scheme;
    svc.tls = u.tls;
    auto it = std::find_if(devices.begin(), devices.end(), [&](const auto& d) { return d.first.ip == ip; });
    if (it == devices.end()) {
      DeviceObservation d;
      d.ip = ip;
      devices.push_back({d, {svc}});
    } else {
      it->second.push_back(svc);
    }
  }
  if (devices.empty()) return usage_error("no targets left to audit after exclusions");
  if (a.test_lockout && (a.lockout_burst < 1 || a.lockout_burst > 100)) {
    return usage_error("--lockout-burst must be 1..100");
  }
  for (auto& [d, services] : devices) {
    for (auto& svc : services) {
      if (creds::checker_for(svc) == nullptr) {
        return usage_error("no credential checker for '" + svc.service + "' in this build");
      }
    }
  }
  auto setup = make_audit_setup(a);
  if (!setup) return usage_error(setup.error().message);
  if (a.format != "auto" && a.format != "jsonl" && a.format != "table") {
    return usage_error("invalid format '" + a.format + "': expected auto, jsonl or table");
  }

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  if (!a.output.empty()) {
    file.reset(std::fopen(a.output.c_str(), "w"));
    if (!file) {
      std::fprintf(stderr, "mamori creds: cannot write '%s': %s\n", a.output.c_str(), std::strerror(errno));
      return kExitFailure;
    }
  }
  bool table_out = a.format == "table" || (a.format == "auto" && isatty(STDOUT_FILENO) != 0);
  std::unique_ptr<JsonlWriter> jsonl;
  if (file) jsonl = std::make_unique<JsonlWriter>(file.get());
  else if (!table_out) jsonl = std::make_unique<JsonlWriter>(stdout);
  // Every record goes to each sink: the JSON Lines output, and the store when there is one.
  RecordFanout records;
  records.add(jsonl.get());
  auto store = open_result_store();  // the SQLite store (--db, $MAMORI_DB, ...) unless --no-db
  if (!store) {
    std::fprintf(stderr, "mamori creds: store: %s\n", store.error().message.c_str());
    return kExitFailure;
  }
  records.add(store->get());
  std::unique_ptr<TableWriter> table;
  if (table_out) table = std::make_unique<TableWriter>(stdout, nullptr, &all.names);

  const std::string scan_id = new_scan_id();
  std::string ports;
  for (const auto& u : urls) ports += (ports.empty() ? "" : ",") + std::to_string(u.port) + (u.proto == Proto::udp ? "/udp" : "");
  ScanStartInfo start{scan_id, all.tokens, ports, 0, "1/1", {"audit"}, a.vantage,
                      std::to_string(devices.size())};
  records.write(scan_start_record(start));
  ScanOutput out(scan_id, all, &records, table.get(), a.reveal_secrets);
  const auto t0 = std::chrono::steady_clock::now();
  bool complete = true;
  uint64_t login_attempts = 0, findings = 0;
  {
    std::atomic<AuditStage*> audit_ptr{nullptr};
    SignalWatcher signals([&audit_ptr] {
      if (auto* u = audit_ptr.load()) u->stop();
    });
    AuditStage audit(setup->options, setup->credentials, setup->checks, &creds::checker_for, out);
    audit_ptr.store(&audit);
    if (signals.interrupted()) audit.stop();
    for (auto& [d, services] : devices) audit.submit(d, services, out_name(all, d.ip));
    audit.close();
    audit.wait();
    audit_ptr.store(nullptr);
    login_attempts = audit.attempts();
    findings = audit.findings();
    complete = !signals.interrupted();
    if (a.test_lockout && complete) {
      boost::asio::io_context io;
      for (auto& [d, services] : devices) {
        for (auto& svc : services) {
          if (signals.interrupted()) break;
          const creds::Checker* c = creds::checker_for(svc);
          auto fut = boost::asio::co_spawn(
              io, creds::lockout_test(io.get_executor(), *c, svc, a.lockout_user, a.lockout_burst,
                                      setup->options.policy),
              boost::asio::use_future);
          io.restart();
          io.run();
          auto r = fut.get();
          login_attempts += r.attempts;
          creds::ServiceAudit rec;
          rec.service = svc;
          rec.checker = c->info().id;
          rec.attempts = r.attempts;
          rec.outcome = r.verdict == "unlimited" ? "rejected_all"
                        : r.verdict == "inconclusive" ? "skipped" : "lockout_suspected";
          rec.detail = "lockout test (" + r.verdict + "): " + r.detail;
          rec.evidence = {{"test", "lockout"}, {"verdict", r.verdict}, {"username", a.lockout_user},
                          {"first_ms", fmt::format("{:.0f}", r.first_ms)},
                          {"last_ms", fmt::format("{:.0f}", r.last_ms)}};
          out.on_credential(rec);
          if (r.verdict == "unlimited") {
            Finding f = make_finding(setup->checks, "brute-force-unlimited", svc.ip, svc.port, svc.service,
                                     {{"wrong_passwords", r.attempts}, {"username", a.lockout_user},
                                      {"first_ms", r.first_ms}, {"last_ms", r.last_ms}, {"detail", r.detail}});
            out.on_finding(f);
            ++findings;
          }
          if (table) {
            std::fprintf(stdout, "%s:%u %s lockout test: %s (%s)\n", svc.ip.str().c_str(), svc.port,
                         svc.service.c_str(), r.verdict.c_str(), r.detail.c_str());
          }
        }
      }
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!records.empty()) {
    ScanEndInfo end;
    end.scan_id = scan_id;
    end.targets = all.tokens;
    end.ports = ports;
    end.complete = complete;
    end.hosts_scanned = devices.size();
    end.duration_s = std::round(secs * 1000) / 1000;
    end.login_attempts = login_attempts;
    end.findings = findings;
    records.write(scan_end_record(end));
  }
  if (table) {
    std::fprintf(stdout, "%s: %zu host(s), %llu login attempt(s), %llu finding(s) in %.2f s\n",
                 complete ? "Done" : "Stopped early", devices.size(),
                 static_cast<unsigned long long>(login_attempts),
                 static_cast<unsigned long long>(findings), secs);
  }
  return complete ? kExitOk : kExitInterrupted;
}

// The safety policy options, shared by `scan` and `creds`.
void add_audit_options(CLI::App* cmd, ScanArgs* a) {
  const char* g = "Credential audit (safety policy: on by default)";
  cmd->add_option("--creds-file", a->creds_files,
                  "Your own credential list (TSV as data/creds, or user:password lines), tried first")
      ->group(g);
  cmd->add_option("--max-attempts", a->max_attempts,
                  "Login attempts per service at most, negative control included")
      ->capture_default_str()->group(g);
  cmd->add_option("--max-attempts-device", a->max_attempts_device,
                  "Login attempts per device at most (all its services)")
      ->capture_default_str()->group(g);
  cmd->add_option("--attempt-spacing", a->attempt_spacing,
                  "Minimum time between two attempts on one device")
      ->capture_default_str()->group(g);
  cmd->add_option("--login-timeout", a->login_timeout, "Deadline of one login attempt")
      ->capture_default_str()->group(g);
  cmd->add_option("--login-parallel", a->login_parallel,
                  "Attempts in flight on one service (the device spacing still applies)")
      ->capture_default_str()->group(g);
  cmd->add_option("--device-concurrency", a->device_concurrency, "Devices audited at once")
      ->capture_default_str()->group(g);
  cmd->add_flag("--creds-only", a->creds_only,
                "Try only the --creds-file lists (not Mamori's Mirai, vendor and weak lists)")
      ->group(g);
  cmd->add_flag("--no-posture", a->no_posture,
                "Skip the TLS/SSH posture analysis after the credential audit (TLS verdicts become not_verifiable)");
  cmd->add_flag("--reveal-secrets", a->reveal_secrets,
                "Show accepted passwords in full (default: first character and ***)")
      ->group(g);
}

}  // namespace

// Applies --profile: the profile's values for every option not given on the command line.
int apply_profile(ScanArgs& a, const CLI::App& cmd) {
  if (a.profile.empty()) return 0;
  auto p = policy::load_profile(data_dir() + "/profiles", a.profile);
  if (!p) return usage_error(p.error().message);
  auto unset = [&](const char* opt) { return cmd.count(opt) == 0; };
  if (!p->ports.empty() && unset("--ports")) a.ports = p->ports;
  if (!p->stages.empty() && unset("--stages")) a.stages = p->stages;
  if (!p->standards.empty() && unset("--standards")) a.standards = p->standards;
  if (!p->connection_form.empty() && unset("--connection-form")) a.connection_form = p->connection_form;
  if (p->max_attempts && unset("--max-attempts")) {
    a.max_attempts = *p->max_attempts;
    a.max_attempts_device = std::max(a.max_attempts_device, a.max_attempts);
  }
  return 0;
}

Command add_scan_command(CLI::App& app) {
  auto a = std::make_shared<ScanArgs>();
  auto* cmd = app.add_subcommand("scan", "Scan targets: sweep TCP ports, identify services and devices (later: audit, judge, record)");
  cmd->add_option("TARGETS", a->targets,
                  "Addresses, CIDR blocks, ranges (a-b), host names, @file lists")
      ->required();
  cmd->add_option("-p,--ports", a->ports,
                  "Ports: 22,80,8000-8100, -/all, U:161 or 161/udp, named sets (see `mamori ports`)")
      ->capture_default_str();
  cmd->add_option("--exclude", a->excludes, "Targets never to touch (same syntax as TARGETS)");
  cmd->add_option("--exclude-file", a->exclude_files, "File of targets never to touch");
  cmd->add_option("--rate", a->rate, "New connections per second, e.g. 500, 10k (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--concurrency", a->concurrency,
                  "Sockets in flight at most (capped by the open-file limit)")
      ->capture_default_str();
  cmd->add_option("--timeout", a->timeout, "Per connection attempt, e.g. 500ms, 2s")->capture_default_str();
  cmd->add_option("--retries", a->retries, "Further attempts after a timeout")->capture_default_str();
  cmd->add_option("--threads", a->threads, "Event loops (0: one per core)")->capture_default_str();
  cmd->add_option("--shard", a->shard, "Scan only shard i of N (1-based); N runs with one --seed cover all");
  cmd->add_option("--seed", a->seed, "Seed of the target permutation (default: random)");
  cmd->add_option("-o,--output", a->output, "Write JSON Lines results to this file");
  cmd->add_option("--format", a->format, "Standard output: auto (table on a terminal, else jsonl), jsonl, table")
      ->capture_default_str();
  add_result_store_options(cmd);  // --db PATH, --no-db
  cmd->add_option("--stages", a->stages,
                  "Stages to run: ports (sweep), identify, audit, judge, record (default: all available)");
  cmd->add_option("--vantage", a->vantage, "Where this scan runs from: inside, outside or a name");
  cmd->add_option("--profile", a->profile,
                  "A purpose's defaults from data/profiles: lan-audit (the default), notice (NOTICE-style "
                  "survey), pre-shipment (a maker's unit: all ports); options given here win");
  const char* jg = "Judge stage (policy engine: data/policy/)";
  cmd->add_option("--connection-form", a->connection_form,
                  "How the scanned devices are connected, where not determined: direct, nat_unreachable, "
                  "port_forwarded, unknown (steers severities: data/policy/risk.yaml)")
      ->capture_default_str()->group(jg);
  cmd->add_option("--manifest", a->manifest,
                  "A maker's per-model manifest (YAML: `ports: [80/tcp, 1900/udp]`): any other open port is "
                  "unneeded-port-open")->group(jg);
  cmd->add_option("--declarations", a->declarations,
                  "A maker's declarations (YAML: vulnerability_contact, support_period, update_mechanism): "
                  "documentation requirements become `declared`")->group(jg);
  cmd->add_option("--standards", a->standards,
                  "Judge only these standards (JEITA, EN303645, JCSTAR, JPGL2016, PSTI, NISTIR8259A, CRA; "
                  "default: all)")->group(jg);
  cmd->add_option("--probe-timeout", a->probe_timeout,
                  "identify: deadline per connect and per read of a probe")->capture_default_str();
  cmd->add_option("--banner-wait", a->banner_wait,
                  "identify: how long to wait for a service to speak first")->capture_default_str();
  cmd->add_option("--host-concurrency", a->host_concurrency,
                  "identify: hosts identified at once")->capture_default_str();
  cmd->add_flag("--all-states", a->all_states, "Also report closed and filtered ports");
  cmd->add_flag("--discover", a->discover,
                "Host discovery first: ICMP/ICMPv6 echo to every target (at --rate) and the neighbour tables "
                "(ARP, IPv6 NDP); a host that answers is a device even with no open port");
  cmd->add_flag("--broadcast", a->broadcast,
                "Multicast discovery first (SSDP, mDNS, WS-Discovery; TTL 1, on this segment only): answering "
                "targets are devices even with no open port");
  cmd->add_flag("--resolve-all", a->resolve_all, "Scan every address of a host name, not just the first");
  cmd->add_flag("--dry-run", a->dry_run, "Print the probes in order (ip:port) without sending anything");
  cmd->add_flag("--no-progress", a->no_progress, "No progress line on stderr");
  add_audit_options(cmd, a.get());
  return {cmd, [a, cmd]() {
            if (int rc = apply_profile(*a, *cmd); rc != 0) return rc;
            return run_scan(*a);
          }};
}

Command add_creds_command(CLI::App& app) {
  auto a = std::make_shared<ScanArgs>();
  a->creds_mode = true;
  auto* cmd = app.add_subcommand(
      "creds",
      "Credential audit: default and weak passwords, missing authentication (sweep + identify + "
      "audit of TARGETS, or directly of service URLs such as telnet://192.0.2.7:2323)");
  cmd->add_option("TARGETS", a->targets,
                  "Addresses, CIDR blocks, ranges, host names, @file lists; or service URLs "
                  "scheme://host[:port] (telnet ssh ftp http https rtsp mqtt mqtts snmp coap)")
      ->required();
  cmd->add_option("-p,--ports", a->ports, "Ports to sweep (with addresses)")->capture_default_str();
  cmd->add_option("--exclude", a->excludes, "Targets never to touch (same syntax as TARGETS)");
  cmd->add_option("--exclude-file", a->exclude_files, "File of targets never to touch");
  cmd->add_option("--rate", a->rate, "Sweep: new connections per second (0: no limit)")->capture_default_str();
  cmd->add_option("--timeout", a->timeout, "Sweep: per connection attempt")->capture_default_str();
  cmd->add_option("-o,--output", a->output, "Write JSON Lines results to this file");
  cmd->add_option("--format", a->format, "Standard output: auto, jsonl, table")->capture_default_str();
  add_result_store_options(cmd);  // --db PATH, --no-db
  cmd->add_option("--vantage", a->vantage, "Where this audit runs from: inside, outside or a name");
  cmd->add_flag("--no-progress", a->no_progress, "No progress line on stderr");
  add_audit_options(cmd, a.get());
  const char* g = "Brute-force resistance test (opt-in; service URLs only)";
  cmd->add_flag("--test-lockout", a->test_lockout,
                "After the audit, send a bounded burst of wrong passwords to one account of each "
                "service and report whether it slows, locks or keeps accepting tries at full speed")
      ->group(g);
  cmd->add_option("--lockout-burst", a->lockout_burst, "Wrong passwords in the burst (1..100)")
      ->capture_default_str()->group(g);
  cmd->add_option("--lockout-user", a->lockout_user, "Account the burst is aimed at")
      ->capture_default_str()->group(g);
  return {cmd, [a]() { return run_scan(*a); }};
}

}  // namespace mamori
