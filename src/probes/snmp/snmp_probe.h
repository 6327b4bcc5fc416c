// SNMP identification (161/udp), as nmap's snmp-sysdescr does it: one GetRequest for sysDescr.0,
// sysObjectID.0 and sysName.0 with the community "public". Two probes share the port: v2c first,
// v1 when v2c drew no answer (identify_udp tries the next probe for the port when one gets no
// reply). Fields: snmp.sysdescr, snmp.sysobjectid, snmp.sysname, snmp.version ("2c" / "1"),
// snmp.community ("public": the agent answered it; the credential stage turns that into
// snmp-default-community), snmp.error (error-status name when the agent answered with one).
// Service "snmp".
#pragma once

#include "probes/probe.h"

namespace mamori::probes {

const UdpProbe& snmp_probe();     // id "snmp": v2c
const UdpProbe& snmp_v1_probe();  // id "snmp-v1": the same GetRequest in v1

}  // namespace mamori::probes
