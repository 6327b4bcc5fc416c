// One TCP connection to a device, optionally upgraded to TLS, with a deadline on every
// operation and a byte budget on everything read. Probes and credential checkers talk to devices
// only through this: a device that stalls, floods or answers garbage costs at most the deadline
// and the budget, never the scan.
//
// Threading: a Conn lives on one executor (one event loop); call it only from coroutines on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/expected.h"
#include "core/ip.h"

namespace mamori::net {

template <class T>
using Task = boost::asio::awaitable<T>;
using Executor = boost::asio::any_io_executor;
using Millis = std::chrono::milliseconds;

struct Limits {
  Millis connect{3000};
  Millis io{3000};            // default wait for one read or write
  size_t max_read = 256 * 1024;  // total bytes this connection may read
};

// What a TLS handshake showed (for identification; full TLS posture is a later stage).
struct TlsSession {
  std::string version;  // "TLSv1.3"
  std::string cipher;
  std::string cert_der;  // leaf certificate, DER
};

class Conn {
 public:
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Connects within limits.connect. Error: refused, timed out, unreachable (message says which).
  static Task<Expected<std::unique_ptr<Conn>>> connect(Executor ex, Ip ip, uint16_t port,
                                                       Limits limits = {});

  // TLS handshake over this connection (no certificate verification: we observe, not trust).
  // `sni` may be empty. On failure the connection is unusable.
  Task<Expected<TlsSession>> start_tls(std::string sni, Millis wait);
  bool is_tls() const;

  // Writes all of `data` within `wait`.
  Task<Expected<bool>> write(std::string_view data, Millis wait);
  Task<Expected<bool>> write(std::string_view data) { return write(data, limits_.io); }

  // Appends to `out` whatever arrives within `wait`, at most `max` bytes: returns as soon as
  // some bytes arrived (one read). Empty result: timeout or EOF (see eof()).
  Task<size_t> read_some(std::string& out, Millis wait, size_t max = 4096);
  // Reads into `out` until it contains `delim`, `max` bytes were read, EOF or the deadline.
  // Returns true if the delimiter was found.
  Task<bool> read_until(std::string& out, std::string_view delim, Millis wait, size_t max);
  // Reads until EOF, `max` bytes or the deadline; true on EOF.
  Task<bool> read_to_eof(std::string& out, Millis wait, size_t max);

  bool eof() const { return eof_; }
  bool budget_exhausted() const { return read_total_ >= limits_.max_read; }
  size_t bytes_read() const { return read_total_; }
  const Limits& limits() const { return limits_; }
  Executor executor() const;
  void close();

 private:
  struct Impl;
  explicit Conn(std::unique_ptr<Impl> impl, Limits limits);
  std::unique_ptr<Impl> impl_;
  Limits limits_;
  bool eof_ = false;
  size_t read_total_ = 0;
};

// Printable form of device bytes for output: ASCII printable kept, \r \n \t escaped, other bytes
// as \xNN; at most `max` input bytes.
std::string printable(std::string_view bytes, size_t max = 256);

}  // namespace mamori::net

namespace mamori::net {

// Sends one UDP datagram to ip:port and collects the answers that arrive within `wait` (at most
// `max_replies` datagrams of at most `max_bytes` each). Unicast only. Never throws.
Task<std::vector<std::string>> udp_exchange(Executor ex, Ip ip, uint16_t port, std::string request,
                                            Millis wait, size_t max_replies = 4,
                                            size_t max_bytes = 65536);

}  // namespace mamori::net
