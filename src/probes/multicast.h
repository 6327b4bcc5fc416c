// Multicast discovery (`mamori scan --broadcast`, opt-in as nmap's broadcast scripts are): one
// SSDP M-SEARCH, one mDNS DNS-SD query (unicast-response bit set) and one WS-Discovery Probe,
// each sent once to its IPv4 group with TTL 1 (never routed off the segment) when the targets
// hold IPv4 addresses, and, when they hold IPv6 ones, to its link-local IPv6 group (ff02::c,
// ff02::fb) with hop limit 1 on every interface that is up, multicast-capable and has a global
// address (sent from that address, so devices answer from addresses a target list names);
// answers collected for `wait`. An answer counts only when the protocol's own probe parses it, and only for an
// address in the scan's target set: discovery never adds a target.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "core/target_set.h"
#include "engine/discovery.h"

namespace mamori::probes {

struct MulticastOptions {
  std::chrono::milliseconds wait{2000};
};

// Adds answering targets to `out` (alive_by "ssdp", "mdns" or "wsd"); returns, per protocol,
// how many target addresses answered.
std::map<std::string, int> multicast_discover(const TargetSet& targets, const MulticastOptions& opt,
                                              Discovered& out);

}  // namespace mamori::probes
