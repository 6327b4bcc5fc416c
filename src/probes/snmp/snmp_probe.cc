#include "probes/snmp/snmp_probe.h"

#include "proto/snmp.h"

namespace mamori::probes {
namespace {

namespace snmp = proto::snmp;

constexpr std::string_view kCommunity = "public";
constexpr size_t kMaxFieldBytes = 256;

// A request-id tied to the endpoint, so that parse() can tell our answer from a stray datagram
// without the probe holding state. Positive, non-zero.
int32_t request_id(const ProbeContext& ctx) {
  uint64_t h = 1469598103934665603ull;
  const u128 v = ctx.ip.value();
  for (int i = 0; i < 16; ++i) h = (h ^ static_cast<uint8_t>(v >> (8 * i))) * 1099511628211ull;
  h = (h ^ ctx.port) * 1099511628211ull;
  return static_cast<int32_t>((h & 0x7ffffffe) | 1);
}

std::string_view error_name(int32_t status) {
  switch (status) {
    case 1: return "tooBig";
    case 2: return "noSuchName";
    case 3: return "badValue";
    case 4: return "readOnly";
    case 5: return "genErr";
    case 6: return "noAccess";
    case 16: return "authorizationError";
    default: return "other";
  }
}

bool is_exception(snmp::ValueType t) {
  return t == snmp::ValueType::no_such_object || t == snmp::ValueType::no_such_instance ||
         t == snmp::ValueType::end_of_mib_view || t == snmp::ValueType::null;
}

class SnmpProbe final : public UdpProbe {
 public:
  SnmpProbe(snmp::Version version, std::string id, std::string summary) : version_(version) {
    info_.id = std::move(id);
    info_.summary = std::move(summary);
    info_.transport = Proto::udp;
    info_.default_ports = {snmp::kPort};
    info_.safety = Safety::safe;
  }
  const ProbeInfo& info() const override { return info_; }

  std::string request(const ProbeContext& ctx) const override {
    std::vector<snmp::Oid> oids;
    for (auto text : {snmp::kSysDescr, snmp::kSysObjectId, snmp::kSysName}) {
      oids.push_back(*snmp::Oid::parse(text));
    }
    auto bytes = snmp::encode_request(version_, kCommunity, snmp::PduType::get_request, request_id(ctx), oids);
    return bytes ? *bytes : std::string();
  }

  std::optional<ServiceObservation> parse(const std::vector<std::string>& replies,
                                          const ProbeContext& ctx) const override {
    const int32_t id = request_id(ctx);
    for (const auto& reply : replies) {
      auto m = snmp::decode_response(reply);
      if (!m || m->request_id != id || m->version != version_) continue;
      ServiceObservation obs = make_service(ctx, "snmp");
      obs.proto = Proto::udp;
      obs.fields["snmp.version"] = version_ == snmp::Version::v1 ? "1" : "2c";
      // An agent does not answer a community it does not know (RFC 3584 §4.1 for v1/v2c), so
      // any GetResponse with our request-id means "public" was accepted.
      obs.fields["snmp.community"] = net::printable(m->community, kMaxFieldBytes);
      if (m->error_status != 0) obs.fields["snmp.error"] = std::string(error_name(m->error_status));
      for (const auto& vb : m->varbinds) {
        if (is_exception(vb.value.type)) continue;
        const std::string oid = vb.oid.str();
        const bool text = vb.value.type == snmp::ValueType::octet_string;
        if (oid == snmp::kSysDescr && text) {
          obs.fields["snmp.sysdescr"] = net::printable(vb.value.bytes, kMaxFieldBytes);
        } else if (oid == snmp::kSysObjectId && vb.value.type == snmp::ValueType::object_id) {
          obs.fields["snmp.sysobjectid"] = vb.value.oid.str();
        } else if (oid == snmp::kSysName && text) {
          obs.fields["snmp.sysname"] = net::printable(vb.value.bytes, kMaxFieldBytes);
        }
      }
      return obs;
    }
    return std::nullopt;
  }

 private:
  snmp::Version version_;
  ProbeInfo info_;
};

}  // namespace

const UdpProbe& snmp_probe() {
  static const SnmpProbe p(snmp::Version::v2c, "snmp",
                           "SNMP v2c GetRequest sysDescr/sysObjectID/sysName, community public");
  return p;
}

const UdpProbe& snmp_v1_probe() {
  static const SnmpProbe p(snmp::Version::v1, "snmp-v1",
                           "SNMP v1 GetRequest sysDescr/sysObjectID/sysName, community public");
  return p;
}

}  // namespace mamori::probes
