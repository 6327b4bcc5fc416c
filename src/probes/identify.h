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

// UDP: the probes whose default ports include ctx.port (nullopt: no answer that any recognised).
Task<std::optional<ServiceObservation>> identify_udp(ProbeContext ctx);

}  // namespace mamori::probes
