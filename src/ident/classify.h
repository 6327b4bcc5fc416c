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
//   Host evidence (rules on mac.vendor alone) never overrides service evidence: when any rule
//   that speaks of a service voted, the argmax is over the scores of those rules alone, and the
//   full score only breaks their ties (and is the confidence). A host known by its MAC alone
//   gets the MAC rules' (low) category.
//   vendor/model/firmware: from the strongest rules voting for the chosen category that set them,
//   else from the strongest rules that vote for no category (never from another category's).
//   evidence: ids of every matched rule, strongest first.
// Values that come from capture groups are cut to kMaxRenderedValue bytes. Last, the services
// are named by what identification learned across them (name_upnp_services). Thread-safe.
DeviceObservation classify(const FingerprintCatalog& catalog, const Ip& ip, std::vector<ServiceObservation>& services,
                           const HostFacts& host = {});

// A plain-HTTP TCP service that served the UPnP device description the host's SSDP answer
// pointed to (same-host LOCATION, description fetched and parsed: upnp.fetch "ok") is renamed
// `upnp`, the spec/results.md name for a UPnP description/control server. Other services and
// hosts without such an SSDP observation are left alone. When no TCP service of the host is on
// that port (it was not swept), a `upnp` service is added for it (field upnp.location): the
// fetched description proves it open. May append to `services` (invalidates references).
void name_upnp_services(std::vector<ServiceObservation>& services);

}  // namespace mamori::ident
