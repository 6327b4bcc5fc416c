// mDNS / DNS-SD identification (5353/udp): a one-shot unicast query (RFC 6762 §5.1: sent from
// an ephemeral port to the device's own address, QU bit set; never multicast) for
// _services._dns-sd._udp.local PTR (RFC 6763 §9, service type enumeration); then, as a second
// query, PTR for the first kMdnsMaxTypeQueries service types to learn the instances, with their
// TXT/SRV records when the responder adds them. Fields (comma-separated, bounded):
//   mdns.services   "_http._tcp.local,_ipp._tcp.local"  (service types)
//   mdns.instances  "Brother HL-L2350DW._ipp._tcp.local,..."
//   mdns.txt        TXT records in the answers (instances, _device-info): "k=v;k=v" each, printable
//   mdns.hostname   the first SRV target ("brother.local")
// Any well-formed DNS response is an mDNS responder: service "mdns" even when it lists nothing.
#pragma once

#include <cstddef>

#include "probes/probe.h"

namespace mamori::probes {

inline constexpr std::size_t kMdnsMaxTypeQueries = 8;
inline constexpr std::size_t kMdnsMaxListBytes = 1024;

const UdpProbe& mdns_probe();

}  // namespace mamori::probes
