// `mamori exposure`: which connection form each device is in, measured by correlating a scan
// run from inside a network (the LAN) with a scan of the same network from outside (the
// internet side), and the port mappings the gateway itself listed (UPnP IGD).
//
//   direct          the device's own address answers from outside (or it is the gateway: it
//                   holds the external address)
//   port_forwarded  one of its services answers from outside at another address (the
//                   gateway's), matched by service identity (TLS key, UPnP UDN, SSH host key,
//                   then the service's fingerprint: banner, Server, title, realm, favicon), or
//                   the gateway lists a mapping to it
//   nat_unreachable nothing of it answered from outside, on the addresses and ports the
//                   outside scan covered (stated in the evidence: that is all it guarantees)
//   unknown         no outside scan and no mapping, or only an ambiguous match
// Pure functions over results records (spec/results.md); no I/O.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checks/findings.h"

namespace mamori::policy {

struct ExposureInput {
  std::vector<nlohmann::json> inside;   // the inside scan's records (may be empty)
  std::vector<nlohmann::json> outside;  // the outside scan's records (may be empty)
};

struct ExposureResult {
  // One `device` record per device seen from either side, with connection_form,
  // connection_form_reason, reachable_from and `exposure` (the evidence, a list of objects).
  std::vector<nlohmann::json> devices;
  // One `port-forwarded-service` finding per forwarded service (severity as catalogued; the
  // judge stage re-scores it).
  std::vector<nlohmann::json> findings;
  std::string scan_id;  // the records' scan_id: the inside scan's (else the outside one's)
};

ExposureResult correlate_exposure(const ExposureInput& in, const CheckCatalog& checks);

// The identity of a service for matching across vantages: strong keys ("tls:SPKI",
// "udn:...", "ssh:...") and a fingerprint of what it says about itself ("" when it says too
// little to tell two devices apart). `tls` is the service's tls record (or null).
struct ServiceIdentity {
  std::vector<std::string> strong;
  std::string fingerprint;
};
ServiceIdentity service_identity(const nlohmann::json& service, const nlohmann::json& tls);

}  // namespace mamori::policy
