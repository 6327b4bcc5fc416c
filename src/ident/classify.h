// Device categorisation: matches a host's services against the fingerprint catalog, enriches
// each service (name, vendor, product, version) and judges the host as one device.
#pragma once

#include <string>
#include <vector>

#include "core/ip.h"
#include "engine/observation.h"
#include "ident/catalog.h"

namespace mamori::ident {

// What is known about the host apart from its services.
struct HostFacts {
  std::string mac_vendor;  // the `mac.vendor` evidence key; "" when unknown (see Oui)
};

// What matched one service: indices into catalog.rules(), strongest first.
struct ServiceMatch {
  std::vector<uint32_t> rules;
};

// Matches one service (its fields, port, service name, proto, tls) and the host facts against
// every rule. Pure; thread-safe.
ServiceMatch match_service(const FingerprintCatalog& catalog, const ServiceObservation& service,
                           const HostFacts& host = {});

// Classifies one host. For each service, the best matching rule that sets a field sets it
// (service renamed, vendor, product and version; version travels with product). The device:
//   score(category) = 1 - prod(1 - weight) over the distinct matched rules voting for it;
//   category = argmax score, ties broken by the single strongest rule, then by the order of
//   device_categories(); confidence = that score; "unknown" and 0 when no rule voted.
//   vendor/model/firmware: from the strongest rules voting for the chosen category that set them,
//   else from the strongest rules that vote for no category (never from another category's).
//   evidence: ids of every matched rule, strongest first.
// Values that come from capture groups are cut to kMaxRenderedValue bytes. Thread-safe.
DeviceObservation classify(const FingerprintCatalog& catalog, const Ip& ip, std::vector<ServiceObservation>& services,
                           const HostFacts& host = {});

}  // namespace mamori::ident
