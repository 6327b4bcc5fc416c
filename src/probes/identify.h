// Identification of one service: which protocol speaks on an open port, and what it says.
#pragma once

#include "probes/probe.h"

namespace mamori::probes {

// TCP: connect and wait for a greeting; a speak-first probe that claims it continues the
// conversation; otherwise client-first probes are tried in order of affinity for the port, each
// on a fresh connection; a TLS handshake is tried on silent ports and, if it succeeds, the
// client-first probes run again inside TLS. The result is never empty: an unrecognised service
// is "unknown" with its banner and behaviour recorded.
Task<ServiceObservation> identify_tcp(ProbeContext ctx);

// How long one UDP probe waits. UDP loses datagrams and a silent port cannot be told from a
// lost request, so the request is sent once more after `retransmit` of silence; the wait ends
// at the first reply the probe accepts, at an ICMP port unreachable, or after `total`.
struct UdpWait {
  Millis total{3000};
  Millis retransmit{1500};  // >= total: never retransmit
};
// The whole of ctx.limits.io (--probe-timeout), retransmitting at half of it.
UdpWait default_udp_wait(const ProbeContext& ctx);

// One UDP probe's exchange: request, answers parsed as they arrive, no follow-up. After the
// first accepted reply, datagrams that follow within a few milliseconds (SSDP answers once per
// search target) are parsed with it. nullopt: nothing the probe accepted within `wait`.
Task<std::optional<ServiceObservation>> exchange_udp(const UdpProbe& probe, const ProbeContext& ctx, UdpWait wait);

// UDP: the probes whose default ports include ctx.port, in registration order, each with
// `wait`; only the last of them retransmits (the earlier ones' second chance is the next probe,
// e.g. SNMP v1 after v2c). nullopt: no answer that any recognised.
Task<std::optional<ServiceObservation>> identify_udp(ProbeContext ctx, UdpWait wait);
Task<std::optional<ServiceObservation>> identify_udp(ProbeContext ctx);  // default_udp_wait(ctx)

}  // namespace mamori::probes
