// Asks a UPnP Internet Gateway Device what it forwards, without changing anything: the two
// read-only actions of WANIPConnection / WANPPPConnection, GetExternalIPAddress and
// GetGenericPortMappingEntry (index 0, 1, ... until fault 713 SpecifiedArrayIndexInvalid).
// No builder for AddPortMapping / DeletePortMapping exists anywhere in Mamori (proto/upnp.h).
// Bounded: at most kMaxIgdMappings entries, one connection per SOAP call within the probe's
// limits, responses read through the size-capped, entity-free parsers of proto/upnp.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "probes/probe.h"
#include "proto/upnp.h"

namespace mamori::probes {

inline constexpr std::size_t kMaxIgdMappings = 64;

struct IgdAnswer {
  std::string external_ip;  // "" when not answered
  std::vector<proto::upnp::PortMapping> mappings;
  // "ok" (the table was read to its end), "truncated" (kMaxIgdMappings reached), "fault N"
  // (the IGD refused: e.g. 606 Action not authorized), "failed" (no SOAP answer at all).
  std::string status;
};

// `port` and `path`: the control URL on the probed host; `service_type`: the WAN connection
// service's serviceType (the SOAPACTION names it).
Task<IgdAnswer> query_igd(const ProbeContext& ctx, uint16_t port, std::string path, std::string service_type,
                          std::size_t max_entries = kMaxIgdMappings);

// The mappings as one evidence string: "TCP 8080->198.19.1.10:80,UDP 5000->198.19.1.11:5000 disabled"
// (internal clients and descriptions made printable; descriptions are left out: they are free
// text chosen by whoever added the mapping). parse_mappings_field() reads it back (policy side).
std::string mappings_field(const std::vector<proto::upnp::PortMapping>& mappings);

}  // namespace mamori::probes
