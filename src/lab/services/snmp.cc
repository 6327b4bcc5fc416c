// SNMP v1/v2c agent (codec: src/proto/snmp.h): Get/GetNext of the MIB-II system group
// (sysDescr, sysObjectID, sysUpTime, sysContact, sysName, sysLocation) for the configured
// communities. A wrong community gets no answer, as on real agents; Set is refused.
#include <fmt/format.h>

#include "lab/service.h"
#include "proto/snmp.h"

namespace mamori::lab {
namespace {
namespace snmp = proto::snmp;

std::vector<snmp::VarBind> system_group(const Device& d, const Service& s) {
  auto oid = [](std::string_view t) { return *snmp::Oid::parse(t); };
  std::string descr = !s.sys_descr.empty() ? s.sys_descr : fmt::format("{} {} {}", d.vendor, d.model, d.firmware);
  auto object_id = snmp::Oid::parse(s.sys_object_id.empty() ? "1.3.6.1.4.1.8072.3.2.10" : s.sys_object_id);
  return {
      {oid(snmp::kSysDescr), snmp::Value::octets(descr)},
      {oid(snmp::kSysObjectId), snmp::Value::object_id(object_id ? *object_id : oid("1.3.6.1.4.1.8072.3.2.10"))},
      {oid(snmp::kSysUpTime), snmp::Value::time_ticks(8640000)},
      {oid(snmp::kSysContact), snmp::Value::octets("")},
      {oid(snmp::kSysName), snmp::Value::octets(!s.hostname.empty() ? s.hostname : d.name)},
      {oid(snmp::kSysLocation), snmp::Value::octets("")},
  };
}

std::optional<std::string> serve(std::string_view bytes, ServiceEnv& env) {
  auto req = snmp::decode_request(bytes);
  if (!req) return std::nullopt;
  const Community* com = nullptr;
  for (const auto& c : env.service.communities)
    if (c.name == req->community) com = &c;
  if (!com) return std::nullopt;
  if (req->pdu == snmp::PduType::set_request) {
    auto r = snmp::encode_error_response(*req, req->version == snmp::Version::v1 ? snmp::ErrorStatus::read_only
                                                                                : snmp::ErrorStatus::not_writable, 1);
    return r ? std::optional<std::string>(*r) : std::nullopt;
  }
  auto table = system_group(env.device, env.service);  // sorted by OID
  std::vector<std::optional<snmp::VarBind>> answers;
  bool next = req->pdu != snmp::PduType::get_request;
  for (const auto& vb : req->varbinds) {
    std::optional<snmp::VarBind> a;
    for (const auto& row : table) {
      if (next ? vb.oid < row.oid : vb.oid == row.oid) {
        a = row;
        break;
      }
    }
    answers.push_back(std::move(a));
  }
  auto out = snmp::encode_get_response(*req, answers);
  return out ? std::optional<std::string>(*out) : std::nullopt;
}

std::vector<std::string> findings(const Device&, const Service& s) {
  for (const auto& c : s.communities)
    if (c.name == "public" || c.name == "private" || c.name == "admin" || c.name == "community")
      return {"snmp-default-community"};
  return {};
}

}  // namespace

extern const ServiceKind kSnmpKind{"snmp", "SNMP v1/v2c agent: MIB-II system group", Transport::udp, 161,
                                   {"communities", "sys_descr", "sys_object_id", "hostname"}, nullptr, serve, findings,
                                   nullptr, "snmp"};

}  // namespace mamori::lab
