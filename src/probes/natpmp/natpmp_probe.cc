#include "probes/natpmp/natpmp_probe.h"

#include "proto/natpmp.h"

namespace mamori::probes {
namespace {

namespace natpmp = proto::natpmp;

class NatPmpProbe final : public UdpProbe {
 public:
  NatPmpProbe() {
    info_.id = "natpmp";
    info_.summary = "NAT-PMP external-address request (read-only; no mapping is ever requested)";
    info_.transport = Proto::udp;
    info_.default_ports = {natpmp::kPort};
  }
  const ProbeInfo& info() const override { return info_; }

  std::string request(const ProbeContext&) const override { return natpmp::build_external_address_request(); }

  std::optional<ServiceObservation> parse(const std::vector<std::string>& replies,
                                          const ProbeContext& ctx) const override {
    for (const auto& reply : replies) {
      auto a = natpmp::parse_external_address_response(reply);
      if (!a) continue;
      ServiceObservation obs = make_service(ctx, "nat-pmp");
      obs.proto = Proto::udp;
      obs.fields["natpmp.result"] = natpmp::result_name(a->result);
      obs.fields["natpmp.epoch"] = std::to_string(a->epoch);
      if (!a->external_ip.empty()) obs.fields["natpmp.external_ip"] = a->external_ip;
      return obs;
    }
    return std::nullopt;
  }

 private:
  ProbeInfo info_;
};

}  // namespace

const UdpProbe& natpmp_probe() {
  static const NatPmpProbe p;
  return p;
}

}  // namespace mamori::probes
