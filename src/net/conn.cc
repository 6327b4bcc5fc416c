#include "net/conn.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace mamori::net {
namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using boost::system::error_code;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

tcp::endpoint to_endpoint(Ip ip, uint16_t port) {
  if (ip.is_v4()) return {asio::ip::address_v4(ip.v4()), port};
  asio::ip::address_v6::bytes_type b;
  ip.to_bytes(b.data());
  return {asio::ip::address_v6(b), port};
}

asio::ssl::context make_client_context() {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_none);
  // Observe what devices offer, including legacy protocol versions they may still speak.
  SSL_CTX_set_security_level(ctx.native_handle(), 0);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
  return ctx;
}
}  // namespace

struct Conn::Impl {
  explicit Impl(Executor ex) : sock(ex), timer(ex) {}
  tcp::socket sock;
  asio::steady_timer timer;
  std::unique_ptr<asio::ssl::context> ctx;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls;

  // Runs `op` (an awaitable yielding tuple<error_code, size_t>) against a deadline.
  template <class Op>
  Task<std::tuple<error_code, size_t>> with_deadline(Op op, Millis wait) {
    timer.expires_after(wait);
    auto result = co_await (std::move(op) || timer.async_wait(kTuple));
    if (result.index() == 1) co_return std::tuple{error_code(asio::error::timed_out), size_t{0}};
    co_return std::get<0>(result);
  }

  Task<std::tuple<error_code, size_t>> read(asio::mutable_buffer buf, Millis wait) {
    if (tls) co_return co_await with_deadline(tls->async_read_some(buf, kTuple), wait);
    co_return co_await with_deadline(sock.async_read_some(buf, kTuple), wait);
  }
  Task<std::tuple<error_code, size_t>> write(asio::const_buffer buf, Millis wait) {
    if (tls) co_return co_await with_deadline(asio::async_write(*tls, buf, kTuple), wait);
    co_return co_await with_deadline(asio::async_write(sock, buf, kTuple), wait);
  }
};

Conn::Conn(std::unique_ptr<Impl> impl, Limits limits) : impl_(std::move(impl)), limits_(limits) {}
Conn::~Conn() = default;

Executor Conn::executor() const { return impl_->sock.get_executor(); }

Task<Expected<std::unique_ptr<Conn>>> Conn::connect(Executor ex, Ip ip, uint16_t port, Limits limits) {
  auto impl = std::make_unique<Impl>(ex);
  impl->timer.expires_after(limits.connect);
  auto result = co_await (impl->sock.async_connect(to_endpoint(ip, port), kTuple) ||
                          impl->timer.async_wait(kTuple));
  if (result.index() == 1) co_return make_error("connect timed out");
  auto [ec] = std::get<0>(result);
  if (ec) co_return make_error("connect: " + ec.message());
  error_code ignored;
  impl->sock.set_option(tcp::no_delay(true), ignored);
  co_return std::unique_ptr<Conn>(new Conn(std::move(impl), limits));
}

Task<Expected<TlsSession>> Conn::start_tls(std::string sni, Millis wait) {
  impl_->ctx = std::make_unique<asio::ssl::context>(make_client_context());
  impl_->tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(impl_->sock, *impl_->ctx);
  SSL* ssl = impl_->tls->native_handle();
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl, sni.c_str());
  impl_->timer.expires_after(wait);
  auto result = co_await (impl_->tls->async_handshake(asio::ssl::stream_base::client, kTuple) ||
                          impl_->timer.async_wait(kTuple));
  if (result.index() == 1) co_return make_error("TLS handshake timed out");
  auto [ec] = std::get<0>(result);
  if (ec) co_return make_error("TLS handshake: " + ec.message());
  TlsSession s;
  s.version = SSL_get_version(ssl);
  s.cipher = SSL_get_cipher_name(ssl);
  if (X509* cert = SSL_get1_peer_certificate(ssl)) {
    int len = i2d_X509(cert, nullptr);
    if (len > 0 && len < (1 << 20)) {
      s.cert_der.resize(static_cast<size_t>(len));
      auto* p = reinterpret_cast<unsigned char*>(s.cert_der.data());
      i2d_X509(cert, &p);
    }
    X509_free(cert);
  }
  co_return s;
}

bool Conn::is_tls() const { return impl_->tls != nullptr; }

Task<Expected<bool>> Conn::write(std::string_view data, Millis wait) {
  auto [ec, n] = co_await impl_->write(asio::buffer(data.data(), data.size()), wait);
  if (ec) co_return make_error("write: " + ec.message());
  co_return true;
}

Task<size_t> Conn::read_some(std::string& out, Millis wait, size_t max) {
  if (eof_ || budget_exhausted()) co_return 0;
  max = std::min(max, limits_.max_read - read_total_);
  size_t old = out.size();
  out.resize(old + max);
  auto [ec, n] = co_await impl_->read(asio::buffer(out.data() + old, max), wait);
  out.resize(old + n);
  read_total_ += n;
  if (ec && ec != asio::error::timed_out) eof_ = true;
  co_return n;
}

Task<bool> Conn::read_until(std::string& out, std::string_view delim, Millis wait, size_t max) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  size_t start = out.size();
  for (;;) {
    if (out.find(delim, start) != std::string::npos) co_return true;
    size_t got = out.size() - start;
    if (got >= max || eof_ || budget_exhausted()) co_return false;
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) co_return false;
    size_t n = co_await read_some(out, left, std::min<size_t>(4096, max - got));
    if (n == 0 && !eof_ && std::chrono::steady_clock::now() >= deadline) co_return false;
  }
}

Task<bool> Conn::read_to_eof(std::string& out, Millis wait, size_t max) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  size_t start = out.size();
  while (!eof_ && out.size() - start < max && !budget_exhausted()) {
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    co_await read_some(out, left, std::min<size_t>(16384, max - (out.size() - start)));
  }
  co_return eof_;
}

void Conn::close() {
  error_code ec;
  impl_->sock.close(ec);
}

std::string printable(std::string_view bytes, size_t max) {
  std::string out;
  size_t n = std::min(bytes.size(), max);
  out.reserve(n);
  static const char* hex = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\\') out += "\\\\";
    else if (c >= 0x20 && c < 0x7f) out.push_back(static_cast<char>(c));
    else {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace mamori::net

#include <boost/asio/ip/udp.hpp>

namespace mamori::net {

Task<std::vector<std::string>> udp_exchange(Executor ex, Ip ip, uint16_t port, std::string request,
                                            Millis wait, size_t max_replies, size_t max_bytes) {
  using asio::ip::udp;
  std::vector<std::string> replies;
  udp::endpoint to = ip.is_v4() ? udp::endpoint(asio::ip::address_v4(ip.v4()), port) : [&] {
    asio::ip::address_v6::bytes_type b;
    ip.to_bytes(b.data());
    return udp::endpoint(asio::ip::address_v6(b), port);
  }();
  udp::socket sock(ex);
  error_code ec;
  sock.open(to.protocol(), ec);
  if (ec) co_return replies;
  // connect() so that only datagrams from the target are delivered, and ICMP port unreachable
  // ends the wait early (as connection_refused).
  sock.connect(to, ec);
  if (ec) co_return replies;
  asio::steady_timer timer(ex);
  timer.expires_after(wait);
  auto [wec, wn] = co_await sock.async_send(asio::buffer(request), kTuple);
  if (wec) co_return replies;
  std::string buf(max_bytes, '\0');
  while (replies.size() < max_replies) {
    auto result = co_await (sock.async_receive(asio::buffer(buf), kTuple) || timer.async_wait(kTuple));
    if (result.index() == 1) break;
    auto [rec, n] = std::get<0>(result);
    if (rec) break;
    replies.emplace_back(buf.data(), n);
  }
  co_return replies;
}

}  // namespace mamori::net
