// CoAP identification (5683/udp): one confirmable GET /.well-known/core (RFC 6690 resource
// discovery). Fields: coap.code ("2.05", "4.04", ... or "RST" when the endpoint reset the
// message: a CoAP stack that refuses the request), coap.resources (the link targets,
// comma-separated, at most kMaxResources entries and kMaxResourcesBytes), coap.content_format.
// A separate response (empty ACK first, the answer later as CON/NON) is accepted when it
// arrives within the exchange's wait. Service "coap".
#pragma once

#include <cstddef>

#include "probes/probe.h"

namespace mamori::probes {

inline constexpr std::size_t kCoapMaxResources = 64;
inline constexpr std::size_t kCoapMaxResourcesBytes = 2048;

const UdpProbe& coap_probe();

}  // namespace mamori::probes
