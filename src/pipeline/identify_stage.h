// The identify stage: takes hosts from the sweep as soon as their ports are known, identifies
// every open TCP port (and the requested UDP ports of hosts that answered the sweep), then
// judges the host's services together as one device. Runs on its own Asio event loop thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "engine/observation.h"
#include "net/conn.h"

namespace mamori {

struct IdentifyOptions {
  unsigned host_concurrency = 64;  // hosts identified at once
  unsigned port_concurrency = 4;   // ports of one host identified at once (be gentle)
  net::Limits limits;
  net::Millis banner_wait{1500};
  std::vector<uint16_t> udp_ports;  // probed on hosts that answered the sweep
};

// Receives results. Called from the stage's thread only (one at a time).
class IdentifySink {
 public:
  virtual ~IdentifySink() = default;
  virtual void on_service(const ServiceObservation& service) = 0;
  virtual void on_device(const DeviceObservation& device,
                         const std::vector<ServiceObservation>& services) = 0;
};

// Turns a host's services into a device (and may enrich the services). Called on the stage's
// thread. Null: every device is "unknown".
using Classifier = std::function<DeviceObservation(Ip, std::vector<ServiceObservation>&)>;

class IdentifyStage {
 public:
  IdentifyStage(IdentifyOptions options, Classifier classifier, IdentifySink& sink);
  ~IdentifyStage();  // stops and joins
  IdentifyStage(const IdentifyStage&) = delete;
  IdentifyStage& operator=(const IdentifyStage&) = delete;

  // Thread-safe. Hosts with nothing open and nothing to probe are ignored.
  void submit(HostObservation host);
  // Thread-safe: no more hosts will be submitted.
  void close();
  // Blocks until every submitted host is done, or stop() was called.
  void wait();
  // Thread-safe: abandons hosts not yet finished (results already delivered are kept).
  void stop();

  uint64_t hosts_done() const { return hosts_done_.load(); }
  uint64_t services_found() const { return services_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<uint64_t> hosts_done_{0};
  std::atomic<uint64_t> services_{0};
};

}  // namespace mamori
