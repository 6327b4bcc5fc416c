#include "probes/echonet/echonet_probe.h"

#include <algorithm>

#include "proto/echonet.h"

namespace mamori::probes {
namespace {

namespace el = proto::echonet;

constexpr size_t kMaxListBytes = 1024;

uint16_t tid(const ProbeContext& ctx) {
  uint64_t h = 1469598103934665603ull ^ 0xec40;
  const u128 v = ctx.ip.value();
  for (int i = 0; i < 16; ++i) h = (h ^ static_cast<uint8_t>(v >> (8 * i))) * 1099511628211ull;
  return static_cast<uint16_t>((h ^ ctx.port) * 1099511628211ull);
}

std::string hex4(uint16_t v) {
  static const char* d = "0123456789ABCDEF";
  std::string s = "0x";
  for (int shift = 12; shift >= 0; shift -= 4) s.push_back(d[(v >> shift) & 15]);
  return s;
}

void append_bounded(std::string& out, std::string_view item) {
  if (out.size() + item.size() + 1 > kMaxListBytes) return;
  if (!out.empty()) out += ',';
  out += item;
}

class EchonetProbe final : public UdpProbe {
 public:
  EchonetProbe() {
    info_.id = "echonet";
    info_.summary = "ECHONET Lite node profile Get (manufacturer, instance list, id, version)";
    info_.transport = Proto::udp;
    info_.default_ports = {el::kPort};
  }
  const ProbeInfo& info() const override { return info_; }

  std::string request(const ProbeContext& ctx) const override { return el::encode_node_profile_get(tid(ctx)); }

  std::optional<ServiceObservation> parse(const std::vector<std::string>& replies,
                                          const ProbeContext& ctx) const override {
    for (const auto& reply : replies) {
      auto f = el::decode_get_reply(reply);
      if (!f || f->tid != tid(ctx)) continue;
      if (f->seoj.class_id() != el::kNodeProfile.class_id()) continue;
      ServiceObservation obs = make_service(ctx, "echonet");
      obs.proto = Proto::udp;
      obs.fields["echonet.esv"] = std::string(el::esv_name(f->esv));
      for (const auto& p : f->properties) {
        if (p.edt.empty()) continue;  // Get_SNA: not supplied
        switch (p.epc) {
          case el::epc::kManufacturerCode:
            if (auto c = el::parse_manufacturer_code(p.edt)) {
              obs.fields["echonet.manufacturer"] = el::format_manufacturer_code(*c);
            }
            break;
          case el::epc::kSelfNodeInstanceListS:
            if (auto list = el::parse_instance_list(p.edt)) record_instances(*list, obs);
            break;
          case el::epc::kIdentificationNumber:
            if (auto id = el::parse_identification_number(p.edt)) obs.fields["echonet.id"] = *id;
            break;
          case el::epc::kVersionInfo:
            if (auto v = el::parse_version_info(p.edt)) obs.fields["echonet.version"] = *v;
            break;
          default:
            break;
        }
      }
      return obs;
    }
    return std::nullopt;
  }

 private:
  static void record_instances(const std::vector<el::Eoj>& list, ServiceObservation& obs) {
    std::string classes, instances;
    std::vector<uint16_t> seen;
    for (const auto& eoj : list) {
      append_bounded(instances, eoj.str());
      if (std::find(seen.begin(), seen.end(), eoj.class_id()) != seen.end()) continue;
      seen.push_back(eoj.class_id());
      std::string item = hex4(eoj.class_id());
      if (auto name = el::class_name(eoj.class_id()); !name.empty()) {
        item += " (" + std::string(name) + ")";
      }
      append_bounded(classes, item);
    }
    if (!classes.empty()) obs.fields["echonet.classes"] = classes;
    if (!instances.empty()) obs.fields["echonet.instances"] = instances;
  }

  ProbeInfo info_;
};

}  // namespace

const UdpProbe& echonet_probe() {
  static const EchonetProbe p;
  return p;
}

}  // namespace mamori::probes
