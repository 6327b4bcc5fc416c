// Observations: what the stages of a scan produce and pass on. Plain values; a closed port or
// a timeout is an observation, not an error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/ip.h"
#include "core/port_spec.h"

namespace mamori {

enum class PortState : uint8_t { open, closed, filtered };
const char* port_state_name(PortState s);

struct PortObservation {
  Ip ip;
  uint16_t port = 0;
  Proto proto = Proto::tcp;
  PortState state = PortState::closed;
  double rtt_ms = 0;  // connect round trip (open and closed ports)
};

// Everything the sweep learned about one host. Delivered once, when the last of its ports is
// known, so the next stage can start on it while other hosts are still being swept.
struct HostObservation {
  Ip ip;
  std::vector<PortObservation> open;  // ascending port order
  uint32_t closed = 0;
  uint32_t filtered = 0;
  bool complete = true;  // false: the scan stopped before every port was probed
};

// Receives a sweep's results. REQUIRES: thread-safe; it is called from every worker thread.
// It must not block for long: it runs on the event loops.
class ScanObserver {
 public:
  virtual ~ScanObserver() = default;
  // Every open port as soon as it is found (and closed/filtered ones when the sweep was asked
  // to report all states).
  virtual void on_port(const PortObservation& port) = 0;
  // Once per host when all of its ports are known, or at stop() with complete == false for
  // hosts that had open ports.
  virtual void on_host(HostObservation&& host) = 0;
};

}  // namespace mamori
