#include "tls/posture.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/conn.h"
#include "probes/ftp/ftp_probe.h"
#include "tls/hello.h"
#include "tls/starttls.h"

namespace mamori::tls {
namespace asio = boost::asio;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string hex(const unsigned char* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(d[p[i] >> 4]);
    out.push_back(d[p[i] & 15]);
  }
  return out;
}

std::string sha256_raw(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}
std::string sha256_hex(std::string_view data) {
  auto raw = sha256_raw(data);
  return hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  return out;
}

std::string rfc3339(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string name_text(const X509_NAME* n) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return "";
  X509_NAME_print_ex(bio, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(std::max(0L, std::min(len, 4096L))));
  BIO_free(bio);
  return out;
}

std::string ssl_error_reason(unsigned long e) {
  if (e == 0) return "";
  const char* r = ERR_reason_error_string(e);
  return r ? r : "openssl error " + std::to_string(ERR_GET_REASON(e));
}

using Clock = std::chrono::steady_clock;

Millis left_until(Clock::time_point deadline) {
  return std::chrono::duration_cast<Millis>(deadline - Clock::now());
}

// How a bounded read ended.
enum class Got { done, bad, closed, stalled };
enum class Step { done, bad, more };

// Reads from `c` into `buf` until `step(buf)` says done or bad, the peer closes, the deadline
// passes or the connection's byte budget is spent; `step` is asked before every read.
template <class F>
Task<Got> read_until(net::Conn& c, std::string& buf, Clock::time_point deadline, size_t chunk, F step) {
  for (;;) {
    switch (step(buf)) {
      case Step::done: co_return Got::done;
      case Step::bad: co_return Got::bad;
      case Step::more: break;
    }
    if (c.eof()) co_return Got::closed;
    auto left = left_until(deadline);
    if (left.count() <= 0 || c.budget_exhausted()) co_return Got::stalled;
    co_await c.read_some(buf, left, chunk);
  }
}

const char* behaviour_of(Got g) {
  switch (g) {
    case Got::done: return "ok";
    case Got::bad: return "garbage";
    case Got::closed: return "closed";
    case Got::stalled: return "stalled";
  }
  return "ok";
}

// Runs every job, at most `bound` at once, on `ex` (one thread: the jobs interleave at their
// awaits). Returns when all have finished. Jobs do not throw (an exception ends only its job).
Task<void> run_bounded(Executor ex, std::vector<std::function<Task<void>()>> jobs, unsigned bound) {
  if (jobs.empty()) co_return;
  size_t next = 0;
  unsigned alive = std::min<unsigned>(std::max(bound, 1u), static_cast<unsigned>(jobs.size()));
  asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
  auto worker = [&]() -> Task<void> {
    while (next < jobs.size()) co_await jobs[next++]();
  };
  for (unsigned i = 0, n = alive; i < n; ++i) {
    asio::co_spawn(ex, worker(), [&](std::exception_ptr) {
      if (--alive == 0) all_done.cancel();
    });
  }
  while (alive > 0) co_await all_done.async_wait(kTuple);
}

// ---------- one connection, ready for the TLS handshake ----------

constexpr size_t kMaxFtpReply = 8 * 1024;  // bytes of one FTP reply we wait for

struct Opened {
  std::unique_ptr<net::Conn> conn;
  std::string behaviour = "ok";  // refused, closed, stalled, garbage, no_starttls
  std::string detail;
};

// Reads one complete FTP reply (bounded by kMaxFtpReply and the deadline).
Task<Got> ftp_reply(net::Conn& c, std::string& buf, probes::FtpReply& out, Clock::time_point deadline) {
  co_return co_await read_until(c, buf, deadline, 4096, [&](std::string& b) {
    auto r = probes::parse_ftp_reply(b);
    if (!r) return b.size() >= 4 ? Step::bad : Step::more;
    if (!r->complete) return b.size() >= kMaxFtpReply ? Step::bad : Step::more;
    out = std::move(*r);
    b.erase(0, ftp_reply_end(b));  // what follows belongs to the next reply
    return Step::done;
  });
}

std::string ftp_text(const probes::FtpReply& r) {
  return std::to_string(r.code) + (r.lines.empty() ? "" : " " + net::printable(r.lines.front().substr(std::min<size_t>(4, r.lines.front().size())), 120));
}

// The FTP AUTH TLS preamble (RFC 4217): 220 greeting, optionally FEAT (must list AUTH TLS),
// AUTH TLS, 234. Afterwards the next bytes on the connection are the TLS handshake.
Task<void> ftp_preamble(Opened& o, bool check_feat, const PostureLimits& lim) {
  auto& c = *o.conn;
  const auto deadline = Clock::now() + lim.handshake;
  std::string buf;
  probes::FtpReply reply;
  auto fail = [&](Got g, const std::string& what) {
    o.behaviour = behaviour_of(g);
    o.detail = what;
  };
  auto refuse = [&](std::string what) {
    o.behaviour = "no_starttls";
    o.detail = std::move(what);
  };
  auto g = co_await ftp_reply(c, buf, reply, deadline);
  if (g == Got::done && reply.code == 120) g = co_await ftp_reply(c, buf, reply, deadline);  // "ready in n minutes"
  if (g != Got::done) { fail(g, "no FTP greeting"); co_return; }
  if (reply.code != 220) { refuse("FTP greeting " + ftp_text(reply)); co_return; }
  if (check_feat) {
    if (!co_await c.write("FEAT\r\n")) { fail(Got::closed, "FEAT not sent"); co_return; }
    g = co_await ftp_reply(c, buf, reply, deadline);
    if (g != Got::done) { fail(g, "no reply to FEAT"); co_return; }
    auto features = probes::ftp_features(reply);
    bool auth_tls = ftp_offers_auth_tls(features);
    if (!auth_tls) { refuse("FEAT (" + ftp_text(reply) + ") does not list AUTH TLS"); co_return; }
  }
  if (!co_await c.write("AUTH TLS\r\n")) { fail(Got::closed, "AUTH TLS not sent"); co_return; }
  g = co_await ftp_reply(c, buf, reply, deadline);
  if (g != Got::done) { fail(g, "no reply to AUTH TLS"); co_return; }
  if (reply.code != 234) { refuse("AUTH TLS answered " + ftp_text(reply)); co_return; }
  if (!buf.empty()) fail(Got::bad, "bytes after 234 before the TLS handshake");
}

// Connects and runs the STARTTLS preamble, if any. `conn` is null unless behaviour is "ok".
Task<Opened> open_tls(Executor ex, Ip ip, uint16_t port, StartTls st, bool check_feat,
                      const PostureLimits& lim) {
  Opened o;
  auto c = co_await net::Conn::connect(ex, ip, port, net::Limits{lim.connect, lim.handshake, lim.max_read});
  if (!c) {
    o.behaviour = "refused";
    o.detail = c.error().message;
    co_return o;
  }
  o.conn = std::move(*c);
  if (st == StartTls::ftp) co_await ftp_preamble(o, check_feat, lim);
  if (o.behaviour != "ok") {
    o.conn->close();
    o.conn.reset();
  }
  co_return o;
}

// ---------- hand-built ClientHellos ----------

struct RawResult {
  HelloReply reply;
  std::string behaviour = "ok";  // ok, stalled, closed, refused, garbage, no_starttls
};

// One hand-built ClientHello on a fresh connection; reads until the reply is classified.
Task<RawResult> raw_hello(Executor ex, Ip ip, uint16_t port, StartTls st, const std::string& hello,
                          const PostureLimits& lim, bool check_feat = false) {
  RawResult out;
  auto o = co_await open_tls(ex, ip, port, st, check_feat, lim);
  if (!o.conn) {
    out.behaviour = o.behaviour;
    out.reply.why = o.detail;
    co_return out;
  }
  auto& c = *o.conn;
  if (!co_await c.write(hello)) {
    out.behaviour = "closed";
    co_return out;
  }
  std::string buf;
  auto g = co_await read_until(c, buf, Clock::now() + lim.handshake, 16384, [&](std::string& b) {
    out.reply = parse_server_reply(b);
    switch (out.reply.kind) {
      case HelloReply::Kind::incomplete: return Step::more;
      case HelloReply::Kind::garbage: return Step::bad;
      default: return Step::done;
    }
  });
  out.behaviour = behaviour_of(g);
  if (g == Got::closed && !buf.empty()) {
    out.behaviour = "garbage";
    out.reply.why = "truncated reply";
  }
  c.close();
  co_return out;
}

// ---------- OpenSSL handshakes over a memory BIO pair ----------

struct SslResult {
  VersionProbe probe;
  std::string behaviour = "ok";
  std::string leaf_der;
  int chain_length = 0;
};

int openssl_version(uint16_t v) {
  switch (v) {
    case kTls10: return TLS1_VERSION;
    case kTls11: return TLS1_1_VERSION;
    case kTls12: return TLS1_2_VERSION;
    default: return TLS1_3_VERSION;
  }
}

// One client context per version, built once and shared (SSL_CTX is safe to share once set up):
// no verification (we observe, not trust), security level 0 (every suite and key size the
// library still has), min = max = the version.
SSL_CTX* client_ctx(uint16_t version) {
  static SSL_CTX* ctx[4] = {};
  static std::once_flag once;
  std::call_once(once, [] {
    for (uint16_t v : {kTls10, kTls11, kTls12, kTls13}) {
      SSL_CTX* c = SSL_CTX_new(TLS_client_method());
      if (!c) continue;
      SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
      SSL_CTX_set_security_level(c, 0);
      SSL_CTX_set_min_proto_version(c, openssl_version(v));
      SSL_CTX_set_max_proto_version(c, openssl_version(v));
      SSL_CTX_set_options(c, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
      if (v != kTls13) SSL_CTX_set_cipher_list(c, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
      ctx[v - kTls10] = c;
    }
    ERR_clear_error();
  });
  return ctx[version - kTls10];
}

// Moves what OpenSSL wrote into the network half of the BIO pair onto the connection.
Task<bool> flush(net::Conn& c, BIO* net_bio) {
  char buf[16384];
  while (BIO_ctrl_pending(net_bio) > 0) {
    int n = BIO_read(net_bio, buf, sizeof buf);
    if (n <= 0) break;
    if (!co_await c.write(std::string_view(buf, static_cast<size_t>(n)))) co_return false;
  }
  co_return true;
}

// One OpenSSL handshake offering exactly `version`, on a fresh connection, within the handshake
// deadline and the connection's byte budget. The TLS bytes go through a BIO pair, so the
// connection (and the STARTTLS preamble before it) stay on net::Conn.
Task<SslResult> openssl_handshake(Executor ex, Ip ip, uint16_t port, StartTls st, uint16_t version,
                                  const std::string& sni, const PostureLimits& lim) {
  SslResult out;
  out.probe.version = version_name(version);
  SSL_CTX* ctx = client_ctx(version);
  if (!ctx) {
    out.probe.status = "error";
    out.probe.detail = "no OpenSSL context for " + out.probe.version;
    co_return out;
  }
  auto o = co_await open_tls(ex, ip, port, st, false, lim);
  if (!o.conn) {
    out.probe.status = o.behaviour == "refused" ? "not_tested" : "error";
    out.probe.detail = o.detail;
    out.behaviour = o.behaviour;
    co_return out;
  }
  auto& c = *o.conn;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx), &SSL_free);
  BIO* inner = nullptr;
  BIO* net_bio = nullptr;
  if (!ssl || BIO_new_bio_pair(&inner, 64 * 1024, &net_bio, 64 * 1024) != 1) {
    out.probe.status = "error";
    out.probe.detail = "OpenSSL could not allocate a session";
    ERR_clear_error();
    co_return out;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> net_owner(net_bio, &BIO_free);
  SSL_set_bio(ssl.get(), inner, inner);  // the SSL owns the inner half
  SSL_set_connect_state(ssl.get());
  SSL_set_max_cert_list(ssl.get(), static_cast<long>(lim.max_cert_list));
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl.get(), sni.c_str());

  const auto deadline = Clock::now() + lim.handshake;
  std::string inbox;  // bytes read from the peer, not yet given to OpenSSL
  for (;;) {
    if (!inbox.empty()) {
      size_t room = BIO_ctrl_get_write_guarantee(net_bio);
      size_t n = std::min(room, inbox.size());
      if (n > 0 && BIO_write(net_bio, inbox.data(), static_cast<int>(n)) == static_cast<int>(n)) inbox.erase(0, n);
    }
    ERR_clear_error();
    int rc = SSL_do_handshake(ssl.get());
    int e = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl.get(), rc);
    unsigned long err = e == SSL_ERROR_SSL ? ERR_peek_error() : 0;
    bool sent = co_await flush(c, net_bio);  // our next flight, or our alert
    if (rc == 1) break;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!sent) {
        out.probe.status = "rejected";
        out.probe.detail = "connection closed";
        break;
      }
      if (!inbox.empty()) continue;
      if (c.eof()) {
        out.probe.status = "rejected";
        out.probe.detail = "connection closed";
        break;
      }
      auto left = left_until(deadline);
      if (left.count() <= 0 || c.budget_exhausted()) {
        out.probe.status = "error";
        out.probe.detail = left.count() <= 0 ? "handshake timed out" : "read budget exhausted";
        out.behaviour = "stalled";
        break;
      }
      co_await c.read_some(inbox, left, 16384);
      continue;
    }
    out.probe.status = "rejected";
    std::string reason = ssl_error_reason(err);
    out.probe.detail = reason.empty() ? "TLS error " + std::to_string(e) : reason;
    break;
  }
  if (out.probe.status.empty()) {
    SSL* s = ssl.get();
    if (SSL_version(s) != openssl_version(version)) {
      out.probe.status = "rejected";
      out.probe.detail = std::string("server chose ") + SSL_get_version(s);
    } else {
      out.probe.status = "accepted";
      out.probe.cipher = SSL_get_cipher_name(s);
      if (const SSL_CIPHER* cs = SSL_get_current_cipher(s)) {
        if (const char* iana = SSL_CIPHER_standard_name(cs)) out.probe.suite = iana;
      }
      if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(s)) out.chain_length = sk_X509_num(chain);
      if (X509* cert = SSL_get1_peer_certificate(s)) {
        int len = i2d_X509(cert, nullptr);
        if (len > 0 && static_cast<size_t>(len) <= lim.max_cert_list) {
          out.leaf_der.resize(static_cast<size_t>(len));
          auto* p = reinterpret_cast<unsigned char*>(out.leaf_der.data());
          i2d_X509(cert, &p);
        }
        X509_free(cert);
      }
    }
  }
  ERR_clear_error();
  c.close();
  co_return out;
}

bool is_cbc(const std::string& iana) { return iana.find("_CBC_") != std::string::npos; }
bool is_aead(const std::string& iana) {
  return iana.find("_GCM_") != std::string::npos || iana.find("_CCM") != std::string::npos ||
         iana.find("CHACHA20_POLY1305") != std::string::npos;
}

}  // namespace

std::vector<std::string> TlsReport::accepted() const {
  std::vector<std::string> out;
  for (const auto& v : versions) {
    if (v.status == "accepted") out.push_back(v.version);
  }
  return out;
}

std::optional<CertInfo> describe_certificate(std::string_view der, std::time_t now) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (!cert) {
    ERR_clear_error();
    return std::nullopt;
  }
  CertInfo ci;
  ci.subject = name_text(X509_get_subject_name(cert));
  ci.issuer = name_text(X509_get_issuer_name(cert));
  ci.not_before = rfc3339(X509_get0_notBefore(cert));
  ci.not_after = rfc3339(X509_get0_notAfter(cert));
  ci.expired = X509_cmp_time(X509_get0_notAfter(cert), &now) < 0;
  ci.not_yet_valid = X509_cmp_time(X509_get0_notBefore(cert), &now) > 0;
  ci.sig_alg = OBJ_nid2ln(X509_get_signature_nid(cert)) ? OBJ_nid2ln(X509_get_signature_nid(cert)) : "";
  if (EVP_PKEY* key = X509_get0_pubkey(cert)) {
    int id = EVP_PKEY_get_base_id(key);
    switch (id) {
      case EVP_PKEY_RSA: ci.key_type = "RSA"; break;
      case EVP_PKEY_RSA_PSS: ci.key_type = "RSA-PSS"; break;
      case EVP_PKEY_EC: ci.key_type = "EC"; break;
      case EVP_PKEY_DSA: ci.key_type = "DSA"; break;
      case EVP_PKEY_ED25519: ci.key_type = "ED25519"; break;
      case EVP_PKEY_ED448: ci.key_type = "ED448"; break;
      default: ci.key_type = OBJ_nid2sn(id) ? OBJ_nid2sn(id) : "unknown";
    }
    ci.key_bits = EVP_PKEY_get_bits(key);
    // Self-signed: issuer equals subject and the certificate's own key verifies its signature.
    ci.self_signed = X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0 &&
                     X509_verify(cert, key) == 1;
  }
  if (auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))) {
    int n = std::min(sk_GENERAL_NAME_num(names), 64);
    for (int i = 0; i < n; ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      if (g->type == GEN_DNS) {
        const auto* s = ASN1_STRING_get0_data(g->d.dNSName);
        ci.sans.push_back("DNS:" + net::printable({reinterpret_cast<const char*>(s),
                                                   static_cast<size_t>(ASN1_STRING_length(g->d.dNSName))}, 255));
      } else if (g->type == GEN_IPADD) {
        int len = ASN1_STRING_length(g->d.iPAddress);
        const unsigned char* s = ASN1_STRING_get0_data(g->d.iPAddress);
        uint8_t b[16] = {};
        if (len == 4) {
          ci.sans.push_back("IP:" + Ip::from_v4((uint32_t(s[0]) << 24) | (uint32_t(s[1]) << 16) |
                                                (uint32_t(s[2]) << 8) | s[3]).str());
        } else if (len == 16) {
          std::copy_n(s, 16, b);
          ci.sans.push_back("IP:" + Ip::from_bytes(b).str());
        }
      }
    }
    GENERAL_NAMES_free(names);
  }
  ci.sha256 = sha256_hex(der.substr(0, static_cast<size_t>(p - reinterpret_cast<const unsigned char*>(der.data()))));
  int spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), nullptr);
  if (spki_len > 0) {
    std::string spki(static_cast<size_t>(spki_len), '\0');
    auto* q = reinterpret_cast<unsigned char*>(spki.data());
    i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &q);
    ci.spki_sha256 = sha256_hex(spki);
  }
  X509_free(cert);
  ERR_clear_error();
  return ci;
}

StartTls starttls_for(const std::string& service, bool implicit_tls) {
  return !implicit_tls && service == "ftp" ? StartTls::ftp : StartTls::none;
}

Task<TlsReport> analyze_tls(Executor ex, Ip ip, uint16_t port, std::string sni, PostureLimits lim,
                            StartTls st) {
  TlsReport r;
  r.ip = ip;
  r.port = port;
  r.sni = sni;
  if (st == StartTls::ftp) r.starttls = "ftp";
  const uint16_t order[] = {kSsl3, kTls10, kTls11, kTls12, kTls13};
  for (uint16_t v : order) r.versions.push_back({version_name(v), "not_tested", "", "", ""});
  auto slot = [&](uint16_t v) -> VersionProbe& { return r.versions[v - kSsl3]; };
  auto hello = [&](uint16_t v, std::span<const uint16_t> suites, const std::string& name) {
    return build_client_hello(v, suites, name, random_bytes(32));
  };

  // Pre-flight: a broad TLS 1.2 hello (after FEAT and AUTH TLS for FTP). A TLS peer answers
  // with a ServerHello or an alert; garbage or silence here ends the analysis (every version
  // stays not_tested).
  auto pre = co_await raw_hello(ex, ip, port, st, hello(kTls12, all_legacy_suites(), sni), lim, true);
  if (pre.behaviour != "ok" && pre.behaviour != "closed") {
    r.behaviour = pre.behaviour;
    slot(kTls12).detail = pre.behaviour + (pre.reply.why.empty() ? "" : ": " + pre.reply.why);
    co_return r;
  }

  // Versions, each on its own connection, at most lim.parallel at once.
  SslResult by_openssl[4];  // TLS 1.0 .. 1.3
  std::vector<std::function<Task<void>()>> jobs;
  for (uint16_t v : {kTls13, kTls12, kTls11, kTls10}) {
    jobs.push_back([&, v]() -> Task<void> {
      auto s = co_await openssl_handshake(ex, ip, port, st, v, sni, lim);
      // A version refused as such (protocol_version alert, or the server chose another version)
      // is refused whatever the suites: no need to ask again by hand.
      const bool version_refused = s.probe.detail.find("protocol version") != std::string::npos ||
                                   s.probe.detail.find("unsupported protocol") != std::string::npos ||
                                   s.probe.detail.find("wrong ssl version") != std::string::npos ||
                                   s.probe.detail.rfind("server chose ", 0) == 0;
      if (s.probe.status != "accepted" && v != kTls13 && s.behaviour == "ok" && !version_refused) {
        // OpenSSL may lack every suite the server has (RC4-only, export...): ask by hand.
        auto raw = co_await raw_hello(ex, ip, port, st, hello(v, all_legacy_suites(), sni), lim);
        if (raw.reply.kind == HelloReply::Kind::server_hello && raw.reply.version == v) {
          s.probe.status = "accepted";
          s.probe.cipher = s.probe.suite = suite_name(raw.reply.cipher);
          s.probe.detail = "ServerHello to a hand-built hello (OpenSSL: " + s.probe.detail + ")";
        }
      }
      by_openssl[v - kTls10] = std::move(s);
    });
  }
  // SSLv3: OpenSSL 3 cannot offer it; a hand-built SSLv3 hello.
  jobs.push_back([&]() -> Task<void> {
    auto raw = co_await raw_hello(ex, ip, port, st, hello(kSsl3, all_legacy_suites(), ""), lim);
    auto& p = slot(kSsl3);
    if (raw.reply.kind == HelloReply::Kind::server_hello) {
      p.status = raw.reply.version == kSsl3 ? "accepted" : "rejected";
      if (raw.reply.version == kSsl3) p.cipher = p.suite = suite_name(raw.reply.cipher);
      else p.detail = "server chose " + version_name(raw.reply.version);
      p.detail = p.detail.empty() ? "hand-built SSLv3 hello" : p.detail;
    } else if (raw.reply.kind == HelloReply::Kind::alert) {
      p.status = "rejected";
      p.detail = "alert " + std::to_string(raw.reply.alert_description);
    } else if (raw.behaviour == "closed") {
      p.status = "rejected";
      p.detail = "connection closed";
    } else {
      p.status = "error";
      p.detail = raw.behaviour + (raw.reply.why.empty() ? "" : ": " + raw.reply.why);
    }
  });
  co_await run_bounded(ex, std::move(jobs), lim.parallel);

  // The leaf certificate of the newest accepted version; a peer that stalled mid-handshake or
  // stopped answering is recorded and no weak suites are tried.
  std::string leaf;
  int chain = 0;
  bool stopped = false;
  for (uint16_t v : {kTls13, kTls12, kTls11, kTls10}) {
    auto& s = by_openssl[v - kTls10];
    slot(v) = s.probe;
    if (s.behaviour == "stalled" || s.behaviour == "refused") {
      if (!stopped) r.behaviour = s.behaviour;
      stopped = true;
    }
    if (s.probe.status == "accepted" && leaf.empty() && !s.leaf_der.empty()) {
      leaf = std::move(s.leaf_der);
      chain = s.chain_length;
    }
  }

  if (!stopped) {
    // Weak suite categories, each offered alone at the highest accepted version <= TLS 1.2,
    // and, for CBC on SSLv3/TLS 1.0, whether any AEAD suite is accepted at all.
    uint16_t weak_at = 0;
    for (uint16_t v : {kTls12, kTls11, kTls10, kSsl3}) {
      if (slot(v).status == "accepted") {
        weak_at = v;
        break;
      }
    }
    auto cats = weak_suite_categories();
    std::vector<std::optional<WeakSuite>> found(cats.size());
    std::vector<char> untested(cats.size(), 0);
    std::vector<std::function<Task<void>()>> weak_jobs;
    for (size_t i = 0; i < cats.size(); ++i) {
      if (weak_at == 0) {
        untested[i] = 1;
        continue;
      }
      weak_jobs.push_back([&, i]() -> Task<void> {
        const auto& cat = cats[i];
        auto raw = co_await raw_hello(ex, ip, port, st, hello(weak_at, cat.suites, sni), lim);
        if (raw.reply.kind == HelloReply::Kind::server_hello) {
          bool offered = std::find(cat.suites.begin(), cat.suites.end(), raw.reply.cipher) != cat.suites.end();
          if (offered) found[i] = WeakSuite{std::string(cat.name), version_name(raw.reply.version), suite_name(raw.reply.cipher), ""};
        } else if (raw.behaviour == "stalled" || raw.behaviour == "refused") {
          untested[i] = 1;
        }
      });
    }
    // CBC-only on TLS 1.0: the oldest accepted of SSLv3 / TLS 1.0 negotiated a CBC suite, and no
    // version offers an AEAD suite instead (TLS 1.3 is AEAD-only; TLS 1.2 is asked with AEAD
    // suites only when it negotiated something else).
    const VersionProbe* cbc_at = nullptr;
    for (uint16_t v : {kSsl3, kTls10}) {
      if (!cbc_at && slot(v).status == "accepted" && is_cbc(slot(v).suite)) cbc_at = &slot(v);
    }
    std::string aead;  // an accepted AEAD suite, if any
    if (slot(kTls13).status == "accepted") aead = slot(kTls13).suite.empty() ? slot(kTls13).cipher : slot(kTls13).suite;
    else if (slot(kTls12).status == "accepted" && is_aead(slot(kTls12).suite)) aead = slot(kTls12).suite;
    bool aead_unknown = false;
    if (cbc_at && aead.empty() && slot(kTls12).status == "accepted") {
      weak_jobs.push_back([&]() -> Task<void> {
        auto raw = co_await raw_hello(ex, ip, port, st, hello(kTls12, aead_suites(), sni), lim);
        if (raw.reply.kind == HelloReply::Kind::server_hello && raw.reply.version == kTls12 &&
            is_aead(suite_name(raw.reply.cipher))) {
          aead = suite_name(raw.reply.cipher);
        } else if (raw.behaviour == "stalled" || raw.behaviour == "refused") {
          aead_unknown = true;
        }
      });
    }
    co_await run_bounded(ex, std::move(weak_jobs), lim.parallel);
    for (size_t i = 0; i < cats.size(); ++i) {
      if (found[i]) r.weak_suites.push_back(std::move(*found[i]));
      if (untested[i]) r.weak_not_tested.emplace_back(cats[i].name);
    }
    if (cbc_at && aead.empty() && !aead_unknown) {
      std::string accepted;
      for (const auto& v : r.accepted()) accepted += (accepted.empty() ? "" : ", ") + v;
      r.weak_suites.push_back(
          {"cbc-only-tls10", cbc_at->version, cbc_at->suite,
           cbc_at->version + " accepted with the CBC suite " + cbc_at->suite +
               " and no AEAD suite (GCM, CCM, ChaCha20-Poly1305) accepted on any version (" + accepted +
               "): every client gets CBC over " + cbc_at->version + " or older, open to BEAST and "
               "padding-oracle attacks (Lucky 13, POODLE on SSLv3)"});
    } else if (cbc_at && aead_unknown) {
      r.weak_not_tested.emplace_back("cbc-only-tls10");
    }
  }

  r.tls = !r.accepted().empty();
  if (!leaf.empty()) {
    r.cert = describe_certificate(leaf, std::time(nullptr));
    if (r.cert) r.cert->chain_length = chain;
  }
  co_return r;
}

namespace {

struct SshConn {
  std::unique_ptr<net::Conn> conn;
  std::string buf;  // unread bytes
  std::string ident;
  ssh::KexInit kexinit;
  std::string behaviour = "ok";
  std::string detail;
};

// Records how a read of the key exchange ended (`what`: what we were waiting for).
void record_end(SshConn& s, Got g, const std::string& what) {
  s.behaviour = behaviour_of(g);
  switch (g) {
    case Got::bad: s.detail = "malformed " + what; break;
    case Got::closed: s.detail = "closed before " + what; break;
    case Got::stalled: s.detail = "no " + what + " before the deadline"; break;
    case Got::done: break;
  }
}

// Reads one binary packet into `payload` (bounded by kMaxPacket and the connection budget).
Task<bool> read_packet(SshConn& s, std::string& payload, Clock::time_point deadline) {
  auto g = co_await read_until(*s.conn, s.buf, deadline, 16384, [&](std::string& b) {
    size_t used = 0;
    std::string_view p;
    switch (ssh::parse_packet(b, &used, &p)) {
      case ssh::Frame::ok:
        payload.assign(p);
        b.erase(0, used);
        return Step::done;
      case ssh::Frame::bad: return Step::bad;
      default: return Step::more;
    }
  });
  if (g != Got::done) record_end(s, g, "binary packet");
  co_return g == Got::done;
}

// Connects, exchanges identification lines and reads the server's KEXINIT.
Task<SshConn> ssh_open(Executor ex, Ip ip, uint16_t port, const PostureLimits& lim) {
  SshConn s;
  auto c = co_await net::Conn::connect(ex, ip, port, net::Limits{lim.connect, lim.handshake, lim.max_read});
  if (!c) {
    s.behaviour = "refused";
    s.detail = c.error().message;
    co_return s;
  }
  s.conn = std::move(*c);
  const auto deadline = Clock::now() + lim.handshake;
  [[maybe_unused]] auto sent = co_await s.conn->write("SSH-2.0-Mamori_0.1\r\n");  // a failure shows in the read
  auto g = co_await read_until(*s.conn, s.buf, deadline, 4096, [&](std::string& b) {
    size_t used = 0;
    bool bad = false;
    if (auto id = ssh::find_ident(b, &used, &bad)) {
      s.ident = net::printable(*id, 255);
      b.erase(0, used);
      return Step::done;
    }
    return bad ? Step::bad : Step::more;
  });
  if (g != Got::done) {
    record_end(s, g, "SSH identification line");
    co_return s;
  }
  std::string payload;
  for (int skipped = 0; skipped < 8; ++skipped) {
    if (!co_await read_packet(s, payload, deadline)) co_return s;
    auto type = payload.empty() ? 0 : static_cast<uint8_t>(payload[0]);
    if (type == 2 || type == 4) continue;  // IGNORE, DEBUG
    if (auto k = ssh::parse_kexinit(payload)) {
      s.kexinit = std::move(*k);
      co_return s;
    }
    break;
  }
  s.behaviour = "garbage";
  s.detail = "first packet is not a valid KEXINIT";
  co_return s;
}

std::string base64_nopad(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(std::max(n, 0)));
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The host key family of a host key algorithm ("" when we do not fetch it).
std::string family(const std::string& alg) {
  if (alg == "rsa-sha2-512" || alg == "rsa-sha2-256" || alg == "ssh-rsa") return "rsa";
  if (alg == "ssh-ed25519" || alg == "ssh-dss" || alg.rfind("ecdsa-sha2-nistp", 0) == 0) return alg;
  return "";
}

}  // namespace

Task<SshReport> analyze_ssh(Executor ex, Ip ip, uint16_t port, PostureLimits lim) {
  SshReport r;
  r.ip = ip;
  r.port = port;
  auto first = co_await ssh_open(ex, ip, port, lim);
  r.ident = first.ident;
  r.behaviour = first.behaviour;
  r.detail = first.detail;
  if (first.conn) first.conn->close();
  if (first.behaviour != "ok") co_return r;
  r.kexinit = first.kexinit;
  r.weak = ssh::weak_algorithms(first.kexinit);

  // Host keys: one key exchange per key family, up to the server's KEX reply (which carries
  // the host key); the exchange is then abandoned. Our KEX public value is random bytes: the
  // server's reply does not depend on it being a key we could use.
  std::string kex;
  for (const char* k : {"curve25519-sha256", "curve25519-sha256@libssh.org", "diffie-hellman-group14-sha256",
                        "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
                        "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"}) {
    if (contains(first.kexinit.kex, k)) {
      kex = k;
      break;
    }
  }
  if (kex.empty()) {
    r.detail = "host keys not fetched: no key exchange we can start (curve25519 or a fixed DH group)";
    co_return r;
  }
  // One connection per host key family (the first algorithm of each), at most lim.parallel at
  // once; the keys are reported in the server's order.
  std::vector<std::string> families, algs;
  for (const auto& alg : first.kexinit.host_key) {
    std::string fam = family(alg);
    if (fam.empty() || contains(families, fam) || families.size() >= lim.max_host_keys) continue;
    families.push_back(fam);
    algs.push_back(alg);
  }
  std::vector<std::optional<SshHostKey>> keys(algs.size());
  std::vector<std::string> why(algs.size());
  std::vector<std::function<Task<void>()>> jobs;
  for (size_t i = 0; i < algs.size(); ++i) {
    jobs.push_back([&, i]() -> Task<void> {
      const std::string& alg = algs[i];
      auto s = co_await ssh_open(ex, ip, port, lim);
      if (s.behaviour != "ok") {
        why[i] = "host key " + alg + ": " + s.detail;
        if (s.conn) s.conn->close();
        co_return;
      }
      ssh::KexInit mine = s.kexinit;  // the server's own lists: negotiation picks its first choice
      mine.kex = {kex};
      mine.host_key = {alg};
      std::string out = ssh::build_packet(ssh::build_kexinit(mine, random_bytes(16)));
      std::string init(1, static_cast<char>(30));  // SSH_MSG_KEXDH_INIT / KEX_ECDH_INIT
      std::string pub;
      if (kex.rfind("curve25519", 0) == 0) {
        pub = random_bytes(32);
      } else {
        pub = random_bytes(128);  // mpint e, positive and below p for every group we pick
        pub[0] = static_cast<char>((static_cast<uint8_t>(pub[0]) & 0x7f) | 0x40);
      }
      init += std::string({static_cast<char>(0), static_cast<char>(0), static_cast<char>(0),
                           static_cast<char>(pub.size())});
      init += pub;
      out += ssh::build_packet(init);
      const auto deadline = Clock::now() + lim.handshake;
      if (!co_await s.conn->write(out)) {
        s.conn->close();
        co_return;
      }
      std::string payload;
      for (int n = 0; n < 8; ++n) {
        if (!co_await read_packet(s, payload, deadline)) break;
        auto type = payload.empty() ? 0 : static_cast<uint8_t>(payload[0]);
        if (type == 2 || type == 4) continue;
        if (auto blob = ssh::parse_kex_reply_host_key(payload)) {
          SshHostKey hk;
          hk.algorithm = alg;
          if (auto info = ssh::parse_host_key_blob(*blob)) {
            hk.type = info->type;
            hk.bits = info->bits;
          }
          auto raw = sha256_raw(*blob);
          hk.sha256 = hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
          hk.fingerprint = "SHA256:" + base64_nopad(raw);
          keys[i] = std::move(hk);
        }
        break;
      }
      s.conn->close();
    });
  }
  co_await run_bounded(ex, std::move(jobs), lim.parallel);
  for (size_t i = 0; i < algs.size(); ++i) {
    if (keys[i]) r.host_keys.push_back(std::move(*keys[i]));
    if (!why[i].empty()) r.detail = why[i];
  }
  co_return r;
}

}  // namespace mamori::tls
