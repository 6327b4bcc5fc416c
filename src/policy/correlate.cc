#include "policy/correlate.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "core/json_fields.h"
#include "core/target_spec.h"
#include "policy/exposure.h"

namespace mamori::policy {
namespace {

using nlohmann::json;

int port_of(const json& j) { return static_cast<int>(field_port(j).value_or(-1)); }
std::string ev(const json& r, const char* key) { return evidence_str(r, key); }
std::string proto_of(const json& r) { return field_str(r, "proto").empty() ? "tcp" : field_str(r, "proto"); }

// What one scan recorded, by address.
struct Side {
  bool present = false;
  std::string scan_id, vantage;
  std::vector<std::string> targets;
  std::string ports;
  std::vector<std::string> order;  // addresses in order of appearance
  std::map<std::string, json> devices;
  std::map<std::string, std::vector<json>> services;
  std::map<std::pair<std::string, int>, json> tls;
  std::map<std::string, std::set<int>> open;  // tcp ports seen open (port and service records)

  void add(const json& r) {
    if (!r.is_object()) return;
    const std::string type = field_str(r, "type");
    if (type == "scan") {
      if (field_str(r, "phase") == "start") {
        if (scan_id.empty()) scan_id = field_str(r, "scan_id");
        if (vantage.empty()) vantage = field_str(r, "vantage");
        if (auto t = r.find("targets"); t != r.end() && t->is_array()) {
          for (const auto& x : *t) {
            if (x.is_string()) targets.push_back(x.get<std::string>());
          }
        }
        ports = field_str(r, "ports");
      }
      return;
    }
    const std::string ip = field_str(r, "ip");
    if (ip.empty()) return;
    present = true;
    if (scan_id.empty()) scan_id = field_str(r, "scan_id");
    if (!devices.count(ip) && !services.count(ip) && !open.count(ip)) order.push_back(ip);
    if (type == "device") {
      devices[ip] = r;
    } else if (type == "service") {
      services[ip].push_back(r);
      if (proto_of(r) == "tcp" && port_of(r) > 0) open[ip].insert(port_of(r));
    } else if (type == "port") {
      if (field_str(r, "state") == "open" && proto_of(r) == "tcp" && port_of(r) > 0) open[ip].insert(port_of(r));
      else if (!open.count(ip)) open[ip];  // seen, nothing open
    } else if (type == "tls") {
      tls[{ip, port_of(r)}] = r;
    }
  }
  bool seen(const std::string& ip) const { return devices.count(ip) || services.count(ip) || (open.count(ip) && !open.at(ip).empty()); }
  json tls_of(const json& service) const {
    auto it = tls.find({field_str(service, "ip"), port_of(service)});
    return it == tls.end() ? json() : it->second;
  }
  // Whether the scan's targets include `ip` (unknown targets: assume they did).
  bool covers(const std::string& ip) const {
    if (targets.empty()) return true;
    TargetParseOptions opt;  // no resolver, no files: a token we cannot read again counts as covering
    for (const auto& tok : targets) {
      Targets one;
      if (!parse_targets({tok}, opt, one)) return true;
      if (auto a = Ip::parse(ip); a && one.set.contains(*a)) return true;
    }
    return false;
  }
};

// Per device of the result.
struct State {
  json record;
  bool direct = false, forwarded = false;
  std::vector<std::string> direct_reasons, forward_reasons;
  std::set<std::string> reachable;
  json evidence = json::array();
};

std::string vantage_name(const Side& s, const char* fallback) { return s.vantage.empty() ? fallback : s.vantage; }

}  // namespace

ServiceIdentity service_identity(const json& service, const json& tls) {
  ServiceIdentity id;
  if (tls.is_object()) {
    if (auto c = tls.find("cert"); c != tls.end() && c->is_object()) {
      if (std::string k = field_str(*c, "spki_sha256"); !k.empty()) id.strong.push_back("tls:" + k);
    }
  }
  if (std::string u = ev(service, "upnp.udn"); !u.empty()) id.strong.push_back("udn:" + u);
  if (std::string k = ev(service, "ssh.hostkey_sha256"); !k.empty()) id.strong.push_back("ssh:" + k);
  // The SSH posture's host keys on the ssh service record (every key the server offered).
  if (auto s = service.find("ssh"); s != service.end() && s->is_object()) {
    if (auto keys = s->find("host_keys"); keys != s->end() && keys->is_array()) {
      for (const auto& k : *keys) {
        if (!k.is_object()) continue;
        if (std::string h = field_str(k, "sha256"); !h.empty()) id.strong.push_back("ssh:" + h);
      }
    }
  }
  // What the service says about itself, without what depends on the address or the moment
  // it was asked (Location, Date, counters, the UDP byte counts).
  static const char* kKeys[] = {"http.status", "http.server", "http.title", "http.realm", "http.auth",
                                "http.favicon_md5", "ssh.version", "telnet.banner", "telnet.prompt",
                                "ftp.greeting", "rtsp.server", "rtsp.realm", "rtsp.public", "mqtt.connack",
                                "snmp.sysdescr", "snmp.sysobjectid", "upnp.model", "upnp.serial", "banner"};
  std::string fp;
  int telling = 0;
  for (const char* k : kKeys) {
    std::string v = ev(service, k);
    if (v.empty() && std::string_view(k) == "banner") v = field_str(service, "banner");
    if (v.empty()) continue;
    if (std::string_view(k) != "http.status") ++telling;
    fp += std::string(k) + "=" + v + "\n";
  }
  for (const char* k : {"product", "version", "vendor"}) {
    if (std::string v = field_str(service, k); !v.empty()) {
      fp += std::string(k) + "=" + v + "\n";
      ++telling;
    }
  }
  if (telling > 0) id.fingerprint = field_str(service, "service") + "\n" + fp;
  return id;
}

ExposureResult correlate_exposure(const ExposureInput& in, const CheckCatalog& checks) {
  Side inside, outside;
  for (const auto& r : in.inside) inside.add(r);
  for (const auto& r : in.outside) outside.add(r);
  const std::string vin = vantage_name(inside, "inside"), vout = vantage_name(outside, "outside");
  ExposureResult out;
  out.scan_id = !inside.scan_id.empty() ? inside.scan_id : outside.scan_id;

  std::map<std::string, State> state;
  std::vector<std::string> order;
  auto at = [&](const std::string& ip, const Side& side) -> State& {
    auto [it, fresh] = state.try_emplace(ip);
    if (fresh) {
      order.push_back(ip);
      auto d = side.devices.find(ip);
      it->second.record = d != side.devices.end() ? d->second
                                                  : json{{"type", "device"}, {"ip", ip}, {"category", "unknown"},
                                                         {"confidence", 0.0}};
    }
    return it->second;
  };
  for (const auto& ip : inside.order) {
    if (inside.seen(ip)) at(ip, inside).reachable.insert(vin);
  }

  // The gateways: an IGD's external address, and the mappings it lists.
  std::map<std::string, std::string> gateway_of;  // external address -> gateway's inside address
  std::map<std::tuple<std::string, int, std::string>, json> forwarded;  // (ip, internal port, proto) -> evidence
  std::vector<Forward> igd_forwards;
  for (const auto& [ip, list] : inside.services) {
    for (const auto& s : list) {
      if (ClaimedAddress a = gateway_claimed_address(s); !a.address.empty()) {
        gateway_of[a.address] = ip;
        State& g = at(ip, inside);
        g.evidence.push_back({{"via", a.via}, {"kind", "gateway"}, {"external_ip", a.address}});
        if (gateway_external_address(s) == a.address && !g.direct) {  // a public address: on the internet itself
          g.direct = true;
          g.direct_reasons.push_back("it is the gateway: it holds the external address " + a.address + " (" +
                                     a.via + ")");
        }
      }
      for (auto& f : forwards_from_service(s)) igd_forwards.push_back(std::move(f));
    }
  }
  for (const auto& f : igd_forwards) {
    State& d = at(f.internal_client, inside);
    d.forwarded = true;
    d.forward_reasons.push_back(fmt::format("the gateway {} forwards {}/{} to its port {} (UPnP IGD)", f.router,
                                            f.external_port, f.protocol, f.internal_port));
    json e = forward_evidence(f);
    e["kind"] = "mapping";
    d.evidence.push_back(e);
    auto& fe = forwarded[{f.internal_client, f.internal_port, f.protocol}];
    if (fe.is_null()) fe = forward_evidence(f);
  }

  // The inside services by identity.
  struct Ref {
    std::string ip;
    int port;
    std::string proto, service;
  };
  std::map<std::string, std::vector<Ref>> by_strong, by_fp;
  for (const auto& [ip, list] : inside.services) {
    for (const auto& s : list) {
      ServiceIdentity id = service_identity(s, inside.tls_of(s));
      Ref ref{ip, port_of(s), proto_of(s), field_str(s, "service")};
      for (const auto& k : id.strong) by_strong[k].push_back(ref);
      if (!id.fingerprint.empty()) by_fp[id.fingerprint].push_back(ref);
    }
  }

  // Every address that answered from outside.
  for (const auto& ip : outside.order) {
    if (!outside.seen(ip)) continue;
    const auto& open = outside.open.count(ip) ? outside.open.at(ip) : std::set<int>{};
    if (inside.seen(ip) || !outside.services.count(ip)) {
      // Its own address answers (or the outside scan only saw open ports: nothing to match).
      if (!inside.seen(ip) && gateway_of.count(ip)) {
        State& g = at(gateway_of[ip], inside);
        g.reachable.insert(vout);
        g.evidence.push_back({{"via", "outside-scan"}, {"kind", "gateway-address-answers"}, {"external_ip", ip},
                              {"ports", open}});
        continue;
      }
      State& d = at(ip, inside.seen(ip) ? inside : outside);
      d.direct = true;
      d.reachable.insert(vout);
      d.direct_reasons.push_back(fmt::format("its own address answers from outside ({} open)", open.size()));
      d.evidence.push_back({{"via", "outside-scan"}, {"kind", "own-address"}, {"ports", open}});
      continue;
    }
    bool attributed = false;
    std::vector<json> unmatched;
    for (const auto& o : outside.services.at(ip)) {
      ServiceIdentity id = service_identity(o, outside.tls_of(o));
      std::vector<Ref> cands;
      std::string matched_by;
      for (const auto& k : id.strong) {
        if (auto it = by_strong.find(k); it != by_strong.end()) {
          cands = it->second;
          matched_by = k.substr(0, k.find(':'));
          break;
        }
      }
      if (cands.empty() && !id.fingerprint.empty()) {
        if (auto it = by_fp.find(id.fingerprint); it != by_fp.end()) {
          cands = it->second;
          matched_by = "fingerprint";
        }
      }
      std::set<std::string> devs;
      for (const auto& c : cands) devs.insert(c.ip);
      if (devs.empty()) {
        unmatched.push_back({{"port", port_of(o)}, {"service", field_str(o, "service")}});
        continue;
      }
      if (devs.size() > 1) {
        for (const auto& d : devs) {
          at(d, inside).evidence.push_back({{"via", "outside-scan"}, {"kind", "ambiguous-match"},
                                            {"external_ip", ip}, {"external_port", port_of(o)},
                                            {"matched_by", matched_by}, {"candidates", devs}});
        }
        attributed = true;
        continue;
      }
      const Ref& c = cands.front();
      State& d = at(c.ip, inside);
      d.reachable.insert(vout);
      attributed = true;
      const bool is_gateway = (gateway_of.count(ip) && gateway_of[ip] == c.ip) || field_str(d.record, "category") == "router";
      if (is_gateway) {
        d.direct = true;
        d.direct_reasons.push_back(fmt::format("its own service (port {}) answers at the external address {}:{}",
                                               c.port, ip, port_of(o)));
        d.evidence.push_back({{"via", "outside-scan"}, {"kind", "gateway-service"}, {"external_ip", ip},
                              {"external_port", port_of(o)}, {"internal_port", c.port}, {"matched_by", matched_by}});
        continue;
      }
      d.forwarded = true;
      d.forward_reasons.push_back(fmt::format("{}:{} answers from outside with the {} of its port {} (matched by {})",
                                              ip, port_of(o), c.service, c.port, matched_by));
      json e = {{"via", "outside-scan"}, {"kind", "forwarded-service"}, {"external_ip", ip},
                {"external_port", port_of(o)}, {"internal_port", c.port}, {"protocol", c.proto},
                {"matched_by", matched_by}};
      d.evidence.push_back(e);
      auto& fe = forwarded[{c.ip, c.port, c.proto}];
      if (fe.is_null()) {
        e.erase("kind");
        fe = e;
      } else if (field_str(fe, "via") == "upnp-igd") {
        fe["via"] = "upnp-igd+outside-scan";
        fe["matched_by"] = matched_by;
      }
    }
    if (!unmatched.empty()) {
      if (gateway_of.count(ip)) {
        at(gateway_of[ip], inside).evidence.push_back(
            {{"via", "outside-scan"}, {"kind", "unattributed-services"}, {"external_ip", ip}, {"services", unmatched}});
      } else if (!attributed) {
        // Nothing of it is known inside: a device of its own on the outside network.
        State& d = at(ip, outside);
        d.direct = true;
        d.reachable.insert(vout);
        d.direct_reasons.push_back(fmt::format("its own address answers from outside ({} open)", open.size()));
        d.evidence.push_back({{"via", "outside-scan"}, {"kind", "own-address"}, {"ports", open}});
      } else {
        // Some services of this address were matched to LAN devices: it is a gateway we do
        // not know; the rest is its own or forwarded to a device the inside scan missed.
        out.devices.push_back({{"type", "device"}, {"scan_id", out.scan_id}, {"ip", ip}, {"category", "unknown"},
                               {"confidence", 0.0}, {"connection_form", "direct"},
                               {"connection_form_reason", "it forwards services of LAN devices: a gateway"},
                               {"reachable_from", {vout}},
                               {"exposure", {{{"via", "outside-scan"}, {"kind", "unattributed-services"},
                                              {"services", unmatched}}}}});
      }
    }
  }

  // The forms. Whether the outside scan covered a gateway's external address is the same for
  // every device: decided once (covers() parses the scan's target tokens).
  std::string gateway_ext;
  bool outside_covers_gateway = gateway_of.empty();
  for (const auto& [ext, gw] : gateway_of) {
    gateway_ext += (gateway_ext.empty() ? "" : ", ") + ext;
    outside_covers_gateway = outside_covers_gateway || (outside.present && outside.covers(ext));
  }
  for (const auto& ip : order) {
    State& s = state[ip];
    json rec = s.record;
    rec["type"] = "device";
    rec["scan_id"] = out.scan_id;
    std::string form, reason;
    if (s.direct) {
      form = "direct";
      reason = s.direct_reasons.front();
    } else if (s.forwarded) {
      form = "port_forwarded";
      reason = s.forward_reasons.front();
      if (s.forward_reasons.size() > 1) reason += fmt::format(" (and {} more)", s.forward_reasons.size() - 1);
    } else if (!outside.present) {
      form = "unknown";
      reason = "no outside scan, and no gateway listed a mapping to it";
    } else {
      if (!outside_covers_gateway) {
        form = "unknown";
        reason = "the outside scan did not cover the gateway's external address " + gateway_ext;
      } else {
        form = "nat_unreachable";
        std::string targets;
        for (const auto& t : outside.targets) targets += (targets.empty() ? "" : ",") + t;
        reason = fmt::format("nothing of it answered from outside (outside scan of {}, ports {}); other ports "
                             "and addresses were not tried",
                             targets.empty() ? "unrecorded targets" : targets,
                             outside.ports.empty() ? "unrecorded" : outside.ports);
        s.evidence.push_back({{"via", "outside-scan"}, {"kind", "not-reachable"}, {"outside_targets", outside.targets},
                              {"outside_ports", outside.ports}});
      }
    }
    rec["connection_form"] = form;
    rec["connection_form_reason"] = reason;
    rec["reachable_from"] = std::vector<std::string>(s.reachable.begin(), s.reachable.end());
    rec["exposure"] = s.evidence;
    out.devices.push_back(std::move(rec));
  }

  // The forwarded services, as findings on the LAN device.
  if (const CheckInfo* info = checks.find("port-forwarded-service")) {
    for (const auto& [key, e] : forwarded) {
      const auto& [ip, port, proto] = key;
      std::string service;
      if (auto it = inside.services.find(ip); it != inside.services.end()) {
        for (const auto& s : it->second) {
          if (port_of(s) == port && proto_of(s) == proto) service = field_str(s, "service");
        }
      }
      json f = {{"type", "finding"}, {"scan_id", out.scan_id}, {"ip", ip}, {"port", port},
                {"check_id", info->id}, {"severity", info->severity}, {"cia", info->cia},
                {"requirements", info->requirements}, {"title", info->title}, {"title_ja", info->title_ja},
                {"evidence", e}};
      if (!service.empty()) f["service"] = service;
      out.findings.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace mamori::policy
