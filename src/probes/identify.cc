#include "probes/identify.h"

#include <algorithm>

#include <openssl/bio.h>
#include <openssl/x509.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mamori::probes {
namespace {

constexpr int kHomePortAffinity = 100;  // a client-first probe this sure of a port goes first
constexpr size_t kMaxGuesses = 4;       // client-first probes tried on a silent port
constexpr size_t kMaxUdpReplies = 8;    // datagrams kept per UDP exchange
constexpr size_t kMaxUdpDatagram = 65536;
constexpr Millis kUdpLinger{30};        // after an accepted reply: wait this long for its siblings
constexpr size_t kMaxCertBytes = 64 * 1024;
constexpr size_t kMaxSubjectBytes = 256;

std::string tls_name(const std::string& service) {
  if (service == "http") return "https";
  if (service == "rtsp") return "rtsps";
  if (service == "mqtt") return "mqtts";
  if (service == "ftp") return "ftps";
  return service;
}

bool looks_binary(std::string_view bytes) {
  size_t odd = 0;
  for (unsigned char c : bytes) {
    if (c < 0x09 || (c > 0x0d && c < 0x20) || c == 0x7f) ++odd;
  }
  return odd * 4 > bytes.size();
}

// Client-first probes for `port`, likeliest first.
std::vector<const TcpProbe*> guesses(uint16_t port) {
  std::vector<const TcpProbe*> v;
  for (const TcpProbe* p : tcp_probes()) {
    if (p->affinity(port) >= 0) v.push_back(p);
  }
  std::stable_sort(v.begin(), v.end(), [port](const TcpProbe* a, const TcpProbe* b) {
    return a->affinity(port) > b->affinity(port);
  });
  if (v.size() > kMaxGuesses) v.resize(kMaxGuesses);
  return v;
}

ServiceObservation unknown(const ProbeContext& ctx, std::string_view banner, std::string behaviour) {
  ServiceObservation obs = make_service(ctx, "unknown");
  if (!banner.empty()) obs.fields["banner"] = net::printable(banner);
  obs.behaviour = std::move(behaviour);
  return obs;
}

void keep_banner(ServiceObservation& obs, std::string_view banner) {
  if (!banner.empty() && !obs.fields.contains("banner")) obs.fields["banner"] = net::printable(banner);
}

// The leaf certificate's subject (RFC 2253, e.g. "CN=DS-2CD2032-I,O=Hikvision"): devices put
// their model or maker there. Empty when the certificate does not parse.
std::string cert_subject(const std::string& der) {
  if (der.empty() || der.size() > kMaxCertBytes) return {};
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (!cert) return {};
  std::string out;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
      char* data = nullptr;
      long n = BIO_get_mem_data(bio, &data);
      if (n > 0 && data) out.assign(data, std::min<size_t>(static_cast<size_t>(n), kMaxSubjectBytes));
    }
    BIO_free(bio);
  }
  X509_free(cert);
  return net::printable(out, kMaxSubjectBytes);
}

void note_tls(ServiceObservation& obs, const net::TlsSession& s) {
  obs.tls = true;
  obs.fields["tls.version"] = s.version;
  obs.fields["tls.cipher"] = s.cipher;
  if (auto subject = cert_subject(s.cert_der); !subject.empty()) obs.fields["tls.subject"] = subject;
}

Task<std::optional<ServiceObservation>> try_probe(const TcpProbe& p, const ProbeContext& ctx, bool tls) {
  auto c = co_await net::Conn::connect(ctx.ex, ctx.ip, ctx.port, ctx.limits);
  if (!c) co_return std::nullopt;
  std::optional<net::TlsSession> session;
  if (tls) {
    auto s = co_await (*c)->start_tls(ctx.hostname, ctx.limits.io);
    if (!s) co_return std::nullopt;
    session = std::move(*s);
  }
  auto r = co_await p.run(**c, "", ctx);
  if (r && session) {
    r->service = tls_name(r->service);
    note_tls(*r, *session);
  }
  co_return r;
}

}  // namespace

bool raw_print_port(uint16_t port) { return port >= 9100 && port <= 9107; }

Task<ServiceObservation> identify_tcp(ProbeContext ctx) {
  if (raw_print_port(ctx.port)) {
    // A printer prints whatever reaches a raw print port: an HTTP request or a ClientHello
    // there is a page of garbage per scan (nmap's service probes exclude 9100-9107 for this
    // reason). Only the read-only PJL query on its home port is sent; otherwise we only listen.
    for (const TcpProbe* p : tcp_probes()) {
      if (p->affinity(ctx.port) < kHomePortAffinity) continue;
      if (auto r = co_await try_probe(*p, ctx, false)) co_return *r;
      break;
    }
    auto c = co_await net::Conn::connect(ctx.ex, ctx.ip, ctx.port, ctx.limits);
    if (!c) co_return unknown(ctx, "", "closed");
    std::string banner;
    co_await (*c)->read_some(banner, ctx.banner_wait, 4096);
    co_return unknown(ctx, banner, "raw-print-port");
  }
  auto order = guesses(ctx.port);
  // A port that is the home of a client-first protocol: ask in that protocol straight away.
  const TcpProbe* tried = nullptr;
  if (!order.empty() && order.front()->affinity(ctx.port) >= kHomePortAffinity) {
    tried = order.front();
    if (auto r = co_await try_probe(*tried, ctx, false)) co_return *r;
  }

  auto c = co_await net::Conn::connect(ctx.ex, ctx.ip, ctx.port, ctx.limits);
  if (!c) co_return unknown(ctx, "", "closed");
  std::string banner;
  co_await (*c)->read_some(banner, ctx.banner_wait, 4096);
  if (!banner.empty()) {
    for (const TcpProbe* p : tcp_probes()) {
      if (!p->claims_banner(banner)) continue;
      if (auto r = co_await p->run(**c, banner, ctx)) {
        keep_banner(*r, banner);
        co_return *r;
      }
      break;
    }
    // Client-first protocols do not greet, but some servers answer anything with a status line.
    if (!banner.starts_with("HTTP/") && !banner.starts_with("RTSP/")) {
      co_return unknown(ctx, banner, looks_binary(banner) ? "garbage" : "ok");
    }
  }
  bool first = true;
  for (const TcpProbe* p : order) {
    if (p == tried) continue;
    std::optional<ServiceObservation> r;
    if (first && banner.empty() && !(*c)->eof()) {
      r = co_await p->run(**c, "", ctx);
    } else {
      r = co_await try_probe(*p, ctx, false);
    }
    first = false;
    if (r) co_return *r;
  }
  // Silent to everything in clear text: perhaps TLS.
  for (const TcpProbe* p : order) {
    if (auto r = co_await try_probe(*p, ctx, true)) co_return *r;
  }
  // A TLS endpoint that spoke none of our protocols inside.
  auto t = co_await net::Conn::connect(ctx.ex, ctx.ip, ctx.port, ctx.limits);
  if (t) {
    if (auto s = co_await (*t)->start_tls(ctx.hostname, ctx.limits.io)) {
      ServiceObservation obs = unknown(ctx, banner, "ok");
      note_tls(obs, *s);
      co_return obs;
    }
  }
  co_return unknown(ctx, banner, banner.empty() ? "silent" : "ok");
}

UdpWait default_udp_wait(const ProbeContext& ctx) {
  UdpWait w;
  w.total = std::max(ctx.limits.io, Millis(1));
  w.retransmit = w.total / 2;
  return w;
}

Task<std::optional<ServiceObservation>> exchange_udp(const UdpProbe& probe, const ProbeContext& ctx, UdpWait wait) {
  namespace asio = boost::asio;
  using namespace asio::experimental::awaitable_operators;
  using asio::ip::udp;
  constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

  udp::endpoint to;
  if (ctx.ip.is_v4()) {
    to = udp::endpoint(asio::ip::address_v4(ctx.ip.v4()), ctx.port);
  } else {
    asio::ip::address_v6::bytes_type b;
    ctx.ip.to_bytes(b.data());
    to = udp::endpoint(asio::ip::address_v6(b), ctx.port);
  }
  udp::socket sock(ctx.ex);
  boost::system::error_code ec;
  sock.open(to.protocol(), ec);
  // connect(): only the target's datagrams are delivered, and an ICMP port unreachable ends
  // the wait at once (connection_refused on the next receive).
  if (!ec) sock.connect(to, ec);
  if (ec) co_return std::nullopt;
  const std::string request = probe.request(ctx);
  if (auto [sec, n] = co_await sock.async_send(asio::buffer(request), kTuple); sec) co_return std::nullopt;

  const auto start = std::chrono::steady_clock::now();
  const auto end = start + wait.total;
  auto resend_at = wait.retransmit < wait.total ? start + wait.retransmit : end;
  bool resent = resend_at >= end;
  unsigned requests = 1;
  std::vector<std::string> replies;
  std::optional<ServiceObservation> accepted;
  std::string buf(kMaxUdpDatagram, '\0');
  asio::steady_timer timer(ctx.ex);
  auto deadline = resent ? end : resend_at;
  while (replies.size() < kMaxUdpReplies) {
    timer.expires_at(deadline);
    auto r = co_await (sock.async_receive(asio::buffer(buf), kTuple) || timer.async_wait(kTuple));
    if (r.index() == 1) {
      if (accepted || resent) break;
      // Silence so far: the request or its answer may have been lost.
      resent = true;
      deadline = end;
      if (replies.empty()) {
        if (auto [sec, n] = co_await sock.async_send(asio::buffer(request), kTuple); sec) break;
        ++requests;
      }
      continue;
    }
    auto [rec, n] = std::get<0>(r);
    if (rec) break;  // refused (ICMP unreachable) or a local error
    replies.emplace_back(buf.data(), n);
    if (auto obs = probe.parse(replies, ctx)) {
      accepted = std::move(obs);
      deadline = std::min(end, std::chrono::steady_clock::now() + kUdpLinger);
      resent = true;
    }
  }
  if (accepted) {
    // Bytes in versus bytes out: the policy engine judges reflection/amplification (要点9).
    size_t reply_bytes = 0;
    for (const auto& r : replies) reply_bytes += r.size();
    accepted->fields["udp.request_bytes"] = std::to_string(request.size());
    accepted->fields["udp.requests"] = std::to_string(requests);
    accepted->fields["udp.reply_bytes"] = std::to_string(reply_bytes);
  }
  co_return accepted;
}

Task<std::optional<ServiceObservation>> identify_udp(ProbeContext ctx, UdpWait wait) {
  std::vector<const UdpProbe*> mine;
  for (const UdpProbe* p : udp_probes()) {
    const auto& ports = p->info().default_ports;
    if (std::find(ports.begin(), ports.end(), ctx.port) != ports.end()) mine.push_back(p);
  }
  for (size_t i = 0; i < mine.size(); ++i) {
    const UdpProbe* p = mine[i];
    // A probe with a fallback after it (SNMP v2c, then v1) gets its second chance from the
    // fallback, which agents of the first kind answer too: only the last one retransmits, so a
    // port sees at most one request more than it has probes.
    UdpWait w = wait;
    if (i + 1 < mine.size()) w.retransmit = w.total;
    if (auto obs = co_await exchange_udp(*p, ctx, w)) {
      obs->proto = Proto::udp;
      co_await p->follow_up(*obs, ctx);
      co_return obs;
    }
  }
  co_return std::nullopt;
}

Task<std::optional<ServiceObservation>> identify_udp(ProbeContext ctx) {
  const UdpWait wait = default_udp_wait(ctx);
  co_return co_await identify_udp(std::move(ctx), wait);
}

}  // namespace mamori::probes
