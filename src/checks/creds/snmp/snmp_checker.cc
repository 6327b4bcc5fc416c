#include "checks/creds/snmp/snmp_checker.h"

#include <algorithm>
#include <random>

namespace mamori::creds {
namespace {

namespace snmp = proto::snmp;

constexpr size_t kMaxShown = 120;  // bytes of sysDescr in a detail

const char* version_name(snmp::Version v) { return v == snmp::Version::v1 ? "v1" : "v2c"; }

bool has_value(const snmp::Value& v) {
  switch (v.type) {
    case snmp::ValueType::null:
    case snmp::ValueType::no_such_object:
    case snmp::ValueType::no_such_instance:
    case snmp::ValueType::end_of_mib_view: return false;
    default: return true;
  }
}

int32_t random_request_id() {
  std::random_device rd;
  return static_cast<int32_t>((rd() & 0x7ffffffe) | 1);  // positive, never 0
}

AttemptResult result(Outcome o, std::string detail) {
  AttemptResult r;
  r.outcome = o;
  r.detail = std::move(detail);
  return r;
}

}  // namespace

std::optional<std::string> snmp_get_request(snmp::Version version, std::string_view community,
                                            int32_t request_id) {
  auto oid = snmp::Oid::parse(snmp::kSysDescr);
  if (!oid) return std::nullopt;
  auto bytes = snmp::encode_request(version, community, snmp::PduType::get_request, request_id, {*oid});
  if (!bytes) return std::nullopt;
  return std::move(*bytes);
}

std::optional<AttemptResult> judge_snmp_replies(const std::vector<std::string>& replies, snmp::Version version,
                                                std::string_view community, int32_t request_id) {
  for (const auto& reply : replies) {
    auto m = snmp::decode_response(reply);
    if (!m || m->request_id != request_id || m->version != version || m->community != community) continue;
    const std::string v = version_name(version);
    if (m->error_status != 0) {
      return result(Outcome::error, "GetResponse " + v + " with error-status " + std::to_string(m->error_status) +
                                        ": no value to prove access");
    }
    for (const auto& vb : m->varbinds) {
      if (vb.oid.str() != snmp::kSysDescr) continue;
      if (!has_value(vb.value)) {
        return result(Outcome::error, "GetResponse " + v + " without a sysDescr value (" + vb.value.to_string() + ")");
      }
      AttemptResult r = result(Outcome::accepted, "GetResponse " + v + " sysDescr \"" +
                                                      net::printable(vb.value.to_string(), kMaxShown) + "\"");
      r.evidence["version"] = v;
      r.evidence["sysdescr"] = net::printable(vb.value.to_string(), 256);
      return r;
    }
    return result(Outcome::error, "GetResponse " + v + " without the sysDescr varbind");
  }
  return std::nullopt;
}

namespace {

class SnmpChecker : public Checker {
 public:
  const CheckerInfo& info() const override {
    static const CheckerInfo i{"snmp", "SNMP v2c/v1 GetRequest sysDescr.0 with a community (GetResponse as proof)",
                               {"snmp"}, "community"};
    return i;
  }

  bool applies(const ServiceObservation& s) const override { return s.service == "snmp" && s.proto == Proto::udp; }

  Task<AttemptResult> attempt(const CheckTarget& t, const Credential& c) const override {
    for (auto version : {snmp::Version::v2c, snmp::Version::v1}) {
      const int32_t id = random_request_id();
      auto request = snmp_get_request(version, c.password, id);
      if (!request) co_return result(Outcome::error, "community cannot be encoded");
      // One datagram is enough: the socket is connected to the agent and fresh, so the first
      // answer is to this request or to nothing of ours.
      // An agent answers within milliseconds; two versions must fit in one attempt's deadline.
      auto replies = co_await net::udp_exchange(t.ex, t.ip, t.port, std::move(*request),
                                                std::min(t.limits.io, Millis(2000)), 1,
                                                snmp::kMaxMessageBytes);
      if (auto r = judge_snmp_replies(replies, version, c.password, id)) co_return *r;
    }
    co_return result(Outcome::rejected, "no answer (wrong community or no agent)");
  }
};

}  // namespace

const Checker& snmp_checker() {
  static const SnmpChecker c;
  return c;
}

}  // namespace mamori::creds
