// Protocol probes: one module each, behind one small interface. A probe speaks one protocol to
// one endpoint and returns what it saw. It holds no global state, never throws, never writes to
// the store or the output, and stays within the connection's deadlines and byte budget.
//
// Adding a protocol: a folder src/probes/<proto>/ with the probe, its parser, its test and
// testdata, plus one line in registry.cc.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/observation.h"
#include "net/conn.h"

namespace mamori::probes {

using net::Millis;
using net::Task;

enum class Safety { safe, intrusive };

struct ProbeInfo {
  std::string id;       // persistent: appears in output and docs
  std::string summary;
  Proto transport = Proto::tcp;
  std::vector<uint16_t> default_ports;  // where the protocol usually lives
  Safety safety = Safety::safe;
};

struct ProbeContext {
  net::Executor ex;
  Ip ip;
  uint16_t port = 0;
  std::string hostname;    // the name the address came from, if any (Host header, SNI)
  net::Limits limits;
  Millis banner_wait{1500};  // how long to wait for a speak-first greeting
};

// A TCP protocol probe.
class TcpProbe {
 public:
  virtual ~TcpProbe() = default;
  virtual const ProbeInfo& info() const = 0;
  // Speak-first protocols (SSH, FTP, Telnet...): does this greeting belong to me? No I/O.
  virtual bool claims_banner(std::string_view banner) const { return false; }
  // Client-first protocols (HTTP, RTSP, MQTT...): how likely `port` speaks me; probes are tried
  // in descending order; 0: only when nothing likelier answered; negative: never as a guess.
  virtual int affinity(uint16_t port) const = 0;
  // Runs the conversation on `conn`. `banner` holds what the service sent before anything was
  // written (empty for a silent service). nullopt: not my protocol. May be called on a TLS conn.
  virtual Task<std::optional<ServiceObservation>> run(net::Conn& conn, std::string banner,
                                                      const ProbeContext& ctx) const = 0;
};

// A UDP protocol probe: one request datagram, answers parsed.
class UdpProbe {
 public:
  virtual ~UdpProbe() = default;
  virtual const ProbeInfo& info() const = 0;
  virtual std::string request(const ProbeContext& ctx) const = 0;
  // Parses the answers; nullopt if none is my protocol.
  virtual std::optional<ServiceObservation> parse(const std::vector<std::string>& replies,
                                                  const ProbeContext& ctx) const = 0;
  // Optional follow-up over other transports (e.g. SSDP's LOCATION fetched over HTTP).
  virtual Task<void> follow_up(ServiceObservation& obs, const ProbeContext& ctx) const { co_return; }
};

// The registered probes (registry.cc), in registration order.
const std::vector<const TcpProbe*>& tcp_probes();
const std::vector<const UdpProbe*>& udp_probes();
const TcpProbe* find_tcp_probe(std::string_view id);

// A new ServiceObservation for ctx's endpoint with `service` set.
ServiceObservation make_service(const ProbeContext& ctx, std::string service);

}  // namespace mamori::probes
