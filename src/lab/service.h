// The service interface of the lab: one emulated protocol = one ServiceKind (in its own file
// under services/) + one line in registry.cc.
//
// A TCP service is a coroutine that receives a Conn (a byte stream, already TLS-wrapped when
// the scenario asks for TLS) and the device and service it serves. A UDP service is a plain
// function from one request datagram to at most one reply. Both run on the lab's single
// io_context thread and must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "lab/scenario.h"

namespace mamori::lab {

// Per-connection limits. Every read is bounded in bytes and time: a silent or slow client is
// dropped after `idle`, a talkative one after `max_bytes` in total or `lifetime`.
struct ConnLimits {
  std::chrono::milliseconds idle{30000};
  std::chrono::milliseconds lifetime{300000};
  size_t max_bytes = 1 << 20;
  size_t max_line = 4096;
};

// A client connection. Owned by the framework; valid for the duration of the serve coroutine.
// Reads return nullopt/false on end of stream, error, idle timeout or a byte limit; a service
// then simply returns. All functions must be called from the lab's io_context thread.
class Conn {
 public:
  virtual ~Conn() = default;
  // A line ending in LF (CR LF or LF stripped). nullopt if it would exceed `max` bytes.
  virtual boost::asio::awaitable<std::optional<std::string>> read_line(size_t max = 0) = 0;
  // Exactly n bytes.
  virtual boost::asio::awaitable<std::optional<std::string>> read_exact(size_t n) = 0;
  // Whatever is available (at least one byte), at most `max` bytes.
  virtual boost::asio::awaitable<std::optional<std::string>> read_some(size_t max) = 0;
  virtual boost::asio::awaitable<bool> write(std::string_view bytes) = 0;
  virtual uint32_t local_address() const = 0;   // the device address the client connected to
  virtual uint32_t peer_address() const = 0;
  virtual uint16_t peer_port() const = 0;
  virtual bool tls() const = 0;
  virtual const ConnLimits& limits() const = 0;
  virtual boost::asio::any_io_executor executor() = 0;
  // Pushes the idle deadline forward (after work the client is waiting for, e.g. a transfer).
  virtual void touch() = 0;
};

class Lab;

// Mutable per-service state (sessions, nonces ...), created once per (device, service).
struct ServiceState {
  virtual ~ServiceState() = default;
};

struct ServiceEnv {
  const Device& device;
  const Service& service;
  ServiceState* state;  // from ServiceKind::make_state, may be null
  Lab& lab;
};

using TcpServe = boost::asio::awaitable<void> (*)(Conn&, ServiceEnv&);
// Returns the reply datagram, or nullopt for no reply.
using UdpServe = std::optional<std::string> (*)(std::string_view request, ServiceEnv&);

// Truth: the findings a correct assessment must report for this service (check ids of
// spec/results.md). Device-level findings (shared keys) are added by truth.cc.
using FindingsFn = std::vector<std::string> (*)(const Device&, const Service&);

struct ServiceKind {
  const char* id;
  const char* summary;
  Transport transport;
  uint16_t default_port;
  // Scenario fields this kind accepts besides the common ones (kind, port, tls, line).
  std::vector<std::string_view> fields;
  TcpServe serve_tcp = nullptr;
  UdpServe serve_udp = nullptr;
  FindingsFn findings = nullptr;
  std::unique_ptr<ServiceState> (*make_state)(const Device&, const Service&) = nullptr;
  // The `service` name of spec/results.md this emulation should be identified as.
  const char* result_service = nullptr;
};

// All kinds, in registry order. Returns null for an unknown id.
const std::vector<const ServiceKind*>& service_kinds();
const ServiceKind* find_kind(std::string_view id);
// The first service of `kind` on the device, or null.
const Service* find_service(const Device& d, std::string_view kind);

// Shared helpers for services.
std::string html_escape(std::string_view s);
std::string lower(std::string_view s);
bool credentials_match(const Service& s, std::string_view user, std::string_view password);
const Credential* find_user(const Service& s, std::string_view user);

}  // namespace mamori::lab
