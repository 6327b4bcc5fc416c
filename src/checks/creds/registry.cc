#include "checks/creds/registry.h"

// One line per protocol; MAMORI_HAVE_CREDS_<PROTO> is set by src/checks/CMakeLists.txt for the
// checkers listed in MAMORI_CREDS_CHECKERS there.
#ifdef MAMORI_HAVE_CREDS_TELNET
#include "checks/creds/telnet/telnet_checker.h"
#endif
#ifdef MAMORI_HAVE_CREDS_SSH
#include "checks/creds/ssh/ssh_checker.h"
#endif
#ifdef MAMORI_HAVE_CREDS_HTTP
#include "checks/creds/http/http_checker.h"
#endif
#ifdef MAMORI_HAVE_CREDS_RTSP
#include "checks/creds/rtsp/rtsp_checker.h"
#endif
#ifdef MAMORI_HAVE_CREDS_FTP
#include "checks/creds/ftp/ftp_checker.h"
#endif
#ifdef MAMORI_HAVE_CREDS_MQTT
#include "checks/creds/mqtt/mqtt_checker.h"
#endif
#ifdef MAMORI_HAVE_CREDS_SNMP
#include "checks/creds/snmp/snmp_checker.h"
#endif
#ifdef MAMORI_HAVE_CREDS_COAP
#include "checks/creds/coap/coap_checker.h"
#endif

namespace mamori::creds {

const std::vector<const Checker*>& checkers() {
  static const std::vector<const Checker*> all = [] {
    std::vector<const Checker*> v;
#ifdef MAMORI_HAVE_CREDS_TELNET
    v.push_back(&telnet_checker());
#endif
#ifdef MAMORI_HAVE_CREDS_SSH
    v.push_back(&ssh_checker());
#endif
#ifdef MAMORI_HAVE_CREDS_HTTP
    v.push_back(&http_checker());
#endif
#ifdef MAMORI_HAVE_CREDS_RTSP
    v.push_back(&rtsp_checker());
#endif
#ifdef MAMORI_HAVE_CREDS_FTP
    v.push_back(&ftp_checker());
#endif
#ifdef MAMORI_HAVE_CREDS_MQTT
    v.push_back(&mqtt_checker());
#endif
#ifdef MAMORI_HAVE_CREDS_SNMP
    v.push_back(&snmp_checker());
#endif
#ifdef MAMORI_HAVE_CREDS_COAP
    v.push_back(&coap_checker());
#endif
    return v;
  }();
  return all;
}

const Checker* checker_for(const ServiceObservation& s) {
  for (const Checker* c : checkers()) {
    if (c->applies(s)) return c;
  }
  return nullptr;
}

}  // namespace mamori::creds
