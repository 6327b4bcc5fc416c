// SNMP community checker: the credential's password is the community. One v2c GetRequest for
// sysDescr.0 (and a v1 one when v2c gets nothing), through the shared BER codec (proto/snmp.h).
// A GetResponse with our request-id, our community, no error and a value is the proof; an agent
// stays silent on a community it does not know, so silence is "rejected". Never a Set.
// check_open() finds nothing: communities are credentials, tried by the runner like passwords
// (it reports accepted ones as snmp-default-community).
//
// The request builder and the reply judge are pure (no I/O) and fuzzed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/creds/checker.h"
#include "proto/snmp.h"

namespace mamori::creds {

const Checker& snmp_checker();

// The GetRequest for sysDescr.0 with `community` (nullopt when the codec refuses it, e.g. a
// community so long the message would exceed 64 KiB).
std::optional<std::string> snmp_get_request(proto::snmp::Version version, std::string_view community,
                                            int32_t request_id);

// Judges the datagrams that answered our request. nullopt: none of them is our GetResponse
// (undecodable, another request-id, version or community: as good as silence). Otherwise
// accepted when it carries no error and a sysDescr.0 value (not NULL, not an exception), error
// when the agent answered but without a value (error-status, noSuchObject...).
// Never includes the community in the detail.
std::optional<AttemptResult> judge_snmp_replies(const std::vector<std::string>& replies,
                                                proto::snmp::Version version, std::string_view community,
                                                int32_t request_id);

}  // namespace mamori::creds
