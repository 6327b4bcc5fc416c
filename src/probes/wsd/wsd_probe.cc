#include "probes/wsd/wsd_probe.h"

#include <cstdio>

#include "proto/wsd.h"

namespace mamori::probes {
namespace {

namespace wsd = proto::wsd;

constexpr size_t kMaxListBytes = 1024;
constexpr size_t kMaxItemBytes = 256;

// A MessageID tied to the endpoint, so that RelatesTo can be checked without state.
std::string message_id(const ProbeContext& ctx) {
  uint64_t h = 1469598103934665603ull ^ 0x3702;
  const u128 v = ctx.ip.value();
  for (int i = 0; i < 16; ++i) h = (h ^ static_cast<uint8_t>(v >> (8 * i))) * 1099511628211ull;
  h = (h ^ ctx.port) * 1099511628211ull;
  const uint64_t g = h * 0x9e3779b97f4a7c15ull;
  char buf[64];
  std::snprintf(buf, sizeof buf, "urn:uuid:%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(h >> 32),
                static_cast<unsigned>((h >> 16) & 0xffff), static_cast<unsigned>(h & 0xfff),
                static_cast<unsigned>((g >> 48) & 0xfff), static_cast<unsigned long long>(g & 0xffffffffffffull));
  return buf;
}

std::string qname_text(const wsd::QName& q) {
  if (q.ns == wsd::kNsOnvifNetwork) return "dn:" + q.local;
  if (q.ns == wsd::kNsOnvifDevice) return "tds:" + q.local;
  if (q.ns.empty()) return q.local;
  return "{" + q.ns + "}" + q.local;
}

void append_bounded(std::string& out, const std::string& item) {
  std::string p = net::printable(item, kMaxItemBytes);
  if (p.empty() || out.size() + p.size() + 1 > kMaxListBytes) return;
  // Keep the list unambiguous: an item never adds a separator of its own.
  for (char& c : p) {
    if (c == ',') c = ';';
  }
  if (!out.empty()) out += ',';
  out += p;
}

class WsdProbe final : public UdpProbe {
 public:
  WsdProbe() {
    info_.id = "wsd";
    info_.summary = "WS-Discovery unicast Probe for ONVIF NetworkVideoTransmitter";
    info_.transport = Proto::udp;
    info_.default_ports = {wsd::kPort};
  }
  const ProbeInfo& info() const override { return info_; }

  std::string request(const ProbeContext& ctx) const override { return wsd::build_probe(message_id(ctx)); }

  std::optional<ServiceObservation> parse(const std::vector<std::string>& replies,
                                          const ProbeContext& ctx) const override {
    const std::string mid = message_id(ctx);
    for (const auto& reply : replies) {
      auto pm = wsd::parse_probe_matches(reply);
      if (!pm) continue;
      // RelatesTo is required by WS-Discovery; tolerate its absence, refuse another Probe's.
      if (!pm->relates_to.empty() && pm->relates_to != mid) continue;
      std::string types, scopes, xaddrs, address, hardware, name;
      bool nvt = false;
      std::vector<std::string> all_scopes;
      for (const auto& m : pm->matches) {
        if (address.empty()) address = m.address;
        for (const auto& t : m.types) {
          if (t.local == "NetworkVideoTransmitter") nvt = true;
          append_bounded(types, qname_text(t));
        }
        for (const auto& s : m.scopes) {
          append_bounded(scopes, s);
          all_scopes.push_back(s);
        }
        for (const auto& x : m.xaddrs) append_bounded(xaddrs, x);
      }
      auto onvif = wsd::parse_onvif_scopes(all_scopes);
      for (const auto& h : onvif.hardware) append_bounded(hardware, h);
      for (const auto& n : onvif.name) append_bounded(name, n);
      ServiceObservation obs = make_service(ctx, nvt ? "onvif" : "ws-discovery");
      obs.proto = Proto::udp;
      if (!types.empty()) obs.fields["wsd.types"] = types;
      if (!scopes.empty()) obs.fields["wsd.scopes"] = scopes;
      if (!xaddrs.empty()) obs.fields["wsd.xaddrs"] = xaddrs;
      if (!hardware.empty()) obs.fields["wsd.hardware"] = hardware;
      if (!name.empty()) obs.fields["wsd.name"] = name;
      if (!address.empty()) obs.fields["wsd.address"] = net::printable(address, kMaxItemBytes);
      return obs;
    }
    return std::nullopt;
  }

 private:
  ProbeInfo info_;
};

}  // namespace

const UdpProbe& wsd_probe() {
  static const WsdProbe p;
  return p;
}

}  // namespace mamori::probes
