// The probe registry: one line per protocol.
#include "probes/probe.h"

#include "probes/coap/coap_probe.h"
#include "probes/echonet/echonet_probe.h"
#include "probes/ftp/ftp_probe.h"
#include "probes/http/http_probe.h"
#include "probes/mdns/mdns_probe.h"
#include "probes/mqtt/mqtt_probe.h"
#include "probes/natpmp/natpmp_probe.h"
#include "probes/pjl/pjl_probe.h"
#include "probes/rtsp/rtsp_probe.h"
#include "probes/snmp/snmp_probe.h"
#include "probes/ssdp/ssdp_probe.h"
#include "probes/ssh/ssh_probe.h"
#include "probes/telnet/telnet_probe.h"
#include "probes/wsd/wsd_probe.h"

namespace mamori::probes {

const std::vector<const TcpProbe*>& tcp_probes() {
  static const std::vector<const TcpProbe*> all = {
      &ssh_probe(),
      &http_probe(),
      &ftp_probe(),     // before telnet: both claim greetings, FTP's is the stricter test
      &telnet_probe(),
      &rtsp_probe(),
      &mqtt_probe(),
      &pjl_probe(),
  };
  return all;
}

const std::vector<const UdpProbe*>& udp_probes() {
  static const std::vector<const UdpProbe*> all = {
      &snmp_probe(),     // v2c first; snmp-v1 runs only when v2c drew no answer
      &snmp_v1_probe(),
      &coap_probe(),
      &echonet_probe(),
      &mdns_probe(),
      &ssdp_probe(),
      &natpmp_probe(),
      &wsd_probe(),
  };
  return all;
}

const TcpProbe* find_tcp_probe(std::string_view id) {
  for (const TcpProbe* p : tcp_probes()) {
    if (p->info().id == id) return p;
  }
  return nullptr;
}


}  // namespace mamori::probes
