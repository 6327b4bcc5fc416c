// NAT-PMP (5351/udp, RFC 6886): the gateway's answer to the read-only external-address request.
// Fields: natpmp.result ("success", ...), natpmp.external_ip (on success), natpmp.epoch.
// Service "nat-pmp". The external address is evidence of the connection form (policy/exposure).
#pragma once

#include "probes/probe.h"

namespace mamori::probes {

const UdpProbe& natpmp_probe();

}  // namespace mamori::probes
