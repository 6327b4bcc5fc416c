// WS-Discovery identification (3702/udp): one unicast Probe for dn:NetworkVideoTransmitter
// (ONVIF cameras), ProbeMatches parsed. Fields (comma-separated, bounded):
//   wsd.types    "dn:NetworkVideoTransmitter,tds:Device" (ONVIF namespaces get their usual
//                prefixes, others "{namespace}local")
//   wsd.scopes   the scope URIs      wsd.xaddrs  the service addresses
//   wsd.hardware / wsd.name          from onvif://www.onvif.org/hardware/... and /name/...
//   wsd.address  the endpoint reference ("urn:uuid:...")
// Service "onvif" when NetworkVideoTransmitter is among the types, else "ws-discovery".
#pragma once

#include "probes/probe.h"

namespace mamori::probes {

const UdpProbe& wsd_probe();

}  // namespace mamori::probes
