#include "probes/identify.h"

#include <algorithm>

namespace mamori::probes {
namespace {

constexpr int kHomePortAffinity = 100;  // a client-first probe this sure of a port goes first
constexpr size_t kMaxGuesses = 4;       // client-first probes tried on a silent port

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
    r->tls = true;
    r->service = tls_name(r->service);
    r->fields["tls.version"] = session->version;
    r->fields["tls.cipher"] = session->cipher;
  }
  co_return r;
}

}  // namespace

Task<ServiceObservation> identify_tcp(ProbeContext ctx) {
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
      obs.tls = true;
      obs.fields["tls.version"] = s->version;
      obs.fields["tls.cipher"] = s->cipher;
      co_return obs;
    }
  }
  co_return unknown(ctx, banner, banner.empty() ? "silent" : "ok");
}

Task<std::optional<ServiceObservation>> identify_udp(ProbeContext ctx) {
  for (const UdpProbe* p : udp_probes()) {
    const auto& ports = p->info().default_ports;
    if (std::find(ports.begin(), ports.end(), ctx.port) == ports.end()) continue;
    auto replies = co_await net::udp_exchange(ctx.ex, ctx.ip, ctx.port, p->request(ctx), ctx.limits.io);
    if (replies.empty()) continue;
    if (auto obs = p->parse(replies, ctx)) {
      obs->proto = Proto::udp;
      co_await p->follow_up(*obs, ctx);
      co_return obs;
    }
  }
  co_return std::nullopt;
}

}  // namespace mamori::probes
