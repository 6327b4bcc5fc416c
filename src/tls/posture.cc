#include "tls/posture.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/conn.h"
#include "tls/hello.h"

namespace mamori::tls {
namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

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

tcp::endpoint to_endpoint(Ip ip, uint16_t port) {
  if (ip.is_v4()) return {asio::ip::address_v4(ip.v4()), port};
  asio::ip::address_v6::bytes_type b;
  ip.to_bytes(b.data());
  return {asio::ip::address_v6(b), port};
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

struct RawResult {
  HelloReply reply;
  std::string behaviour = "ok";  // ok, stalled, closed, refused, garbage
};

// One hand-built ClientHello on a fresh connection; reads until the reply is classified.
Task<RawResult> raw_hello(Executor ex, Ip ip, uint16_t port, const std::string& hello,
                          const PostureLimits& lim) {
  RawResult out;
  net::Limits nl{lim.connect, lim.handshake, lim.max_read};
  auto conn = co_await net::Conn::connect(ex, ip, port, nl);
  if (!conn) {
    out.behaviour = "refused";
    out.reply.why = conn.error().message;
    co_return out;
  }
  auto& c = **conn;
  if (!co_await c.write(hello)) {
    out.behaviour = "closed";
    co_return out;
  }
  std::string buf;
  const auto deadline = std::chrono::steady_clock::now() + lim.handshake;
  for (;;) {
    out.reply = parse_server_reply(buf);
    if (out.reply.kind != HelloReply::Kind::incomplete) break;
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (c.eof()) {
      out.behaviour = buf.empty() ? "closed" : "garbage";
      if (!buf.empty()) out.reply.why = "truncated reply";
      break;
    }
    if (left.count() <= 0 || c.budget_exhausted()) {
      out.behaviour = "stalled";
      break;
    }
    co_await c.read_some(buf, left, 16384);
  }
  if (out.reply.kind == HelloReply::Kind::garbage) out.behaviour = "garbage";
  c.close();
  co_return out;
}

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

// One OpenSSL handshake offering exactly `version` (security level 0: every suite and key size
// the library still has), on a fresh connection, within the handshake deadline.
Task<SslResult> openssl_handshake(Executor ex, Ip ip, uint16_t port, uint16_t version,
                                  const std::string& sni, const PostureLimits& lim) {
  SslResult out;
  out.probe.version = version_name(version);
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  SSL_CTX* raw = ctx.native_handle();
  ctx.set_verify_mode(asio::ssl::verify_none);
  SSL_CTX_set_security_level(raw, 0);
  SSL_CTX_set_min_proto_version(raw, openssl_version(version));
  SSL_CTX_set_max_proto_version(raw, openssl_version(version));
  SSL_CTX_set_options(raw, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_max_cert_list(raw, static_cast<long>(lim.max_cert_list));
  if (version != kTls13) SSL_CTX_set_cipher_list(raw, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");

  tcp::socket sock(ex);
  asio::steady_timer timer(ex);
  timer.expires_after(lim.connect);
  auto c = co_await (sock.async_connect(to_endpoint(ip, port), kTuple) || timer.async_wait(kTuple));
  if (c.index() == 1 || std::get<0>(c) != std::tuple<boost::system::error_code>{}) {
    out.probe.status = "not_tested";
    out.probe.detail = c.index() == 1 ? "connect timed out" : "connect: " + std::get<0>(std::get<0>(c)).message();
    out.behaviour = "refused";
    co_return out;
  }
  asio::ssl::stream<tcp::socket&> stream(sock, ctx);
  SSL* ssl = stream.native_handle();
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl, sni.c_str());
  ERR_clear_error();
  timer.expires_after(lim.handshake);
  auto h = co_await (stream.async_handshake(asio::ssl::stream_base::client, kTuple) ||
                     timer.async_wait(kTuple));
  if (h.index() == 1) {
    out.probe.status = "error";
    out.probe.detail = "handshake timed out";
    out.behaviour = "stalled";
  } else if (auto [ec] = std::get<0>(h); ec) {
    out.probe.status = "rejected";
    std::string reason = ec.category() == asio::error::get_ssl_category()
                             ? ssl_error_reason(static_cast<unsigned long>(ec.value()))
                             : ec.message();
    out.probe.detail = reason.empty() ? ec.message() : reason;
  } else if (SSL_version(ssl) != openssl_version(version)) {
    out.probe.status = "rejected";
    out.probe.detail = std::string("server chose ") + SSL_get_version(ssl);
  } else {
    out.probe.status = "accepted";
    out.probe.cipher = SSL_get_cipher_name(ssl);
    if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) out.chain_length = sk_X509_num(chain);
    if (X509* cert = SSL_get1_peer_certificate(ssl)) {
      int len = i2d_X509(cert, nullptr);
      if (len > 0 && static_cast<size_t>(len) <= lim.max_cert_list) {
        out.leaf_der.resize(static_cast<size_t>(len));
        auto* p = reinterpret_cast<unsigned char*>(out.leaf_der.data());
        i2d_X509(cert, &p);
      }
      X509_free(cert);
    }
  }
  ERR_clear_error();
  boost::system::error_code ignored;
  sock.close(ignored);
  co_return out;
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

Task<TlsReport> analyze_tls(Executor ex, Ip ip, uint16_t port, std::string sni, PostureLimits lim) {
  TlsReport r;
  r.ip = ip;
  r.port = port;
  r.sni = sni;
  const uint16_t order[] = {kSsl3, kTls10, kTls11, kTls12, kTls13};
  for (uint16_t v : order) r.versions.push_back({version_name(v), "not_tested", "", ""});
  auto slot = [&](uint16_t v) -> VersionProbe& { return r.versions[v - kSsl3]; };

  // Pre-flight: a broad TLS 1.2 hello. A TLS peer answers with a ServerHello or an alert;
  // garbage or silence here ends the analysis (every version stays not_tested).
  auto pre = co_await raw_hello(ex, ip, port, build_client_hello(kTls12, all_legacy_suites(), sni, random_bytes(32)), lim);
  if (pre.behaviour == "refused" || pre.behaviour == "stalled" || pre.behaviour == "garbage") {
    r.behaviour = pre.behaviour;
    slot(kTls12).detail = pre.behaviour + (pre.reply.why.empty() ? "" : ": " + pre.reply.why);
    co_return r;
  }

  std::string leaf;
  int chain = 0;
  for (uint16_t v : {kTls13, kTls12, kTls11, kTls10}) {
    auto s = co_await openssl_handshake(ex, ip, port, v, sni, lim);
    if (s.behaviour == "stalled" || s.behaviour == "refused") {
      r.behaviour = s.behaviour;
      slot(v) = s.probe;
      co_return r;  // a peer that stalled mid-handshake: the rest stay not_tested
    }
    if (s.probe.status != "accepted" && v != kTls13) {
      // OpenSSL may lack every suite the server has (RC4-only, export...): ask by hand.
      auto raw = co_await raw_hello(ex, ip, port, build_client_hello(v, all_legacy_suites(), sni, random_bytes(32)), lim);
      if (raw.reply.kind == HelloReply::Kind::server_hello && raw.reply.version == v) {
        s.probe.status = "accepted";
        s.probe.cipher = suite_name(raw.reply.cipher);
        s.probe.detail = "ServerHello to a hand-built hello (OpenSSL: " + s.probe.detail + ")";
      }
    }
    slot(v) = s.probe;
    if (s.probe.status == "accepted" && leaf.empty() && !s.leaf_der.empty()) {
      leaf = std::move(s.leaf_der);
      chain = s.chain_length;
    }
  }

  // SSLv3: OpenSSL 3 cannot offer it; a hand-built SSLv3 hello.
  {
    auto raw = co_await raw_hello(ex, ip, port, build_client_hello(kSsl3, all_legacy_suites(), "", random_bytes(32)), lim);
    auto& p = slot(kSsl3);
    if (raw.reply.kind == HelloReply::Kind::server_hello) {
      p.status = raw.reply.version == kSsl3 ? "accepted" : "rejected";
      if (raw.reply.version == kSsl3) p.cipher = suite_name(raw.reply.cipher);
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
  }

  // Weak suite categories, each offered alone at the highest accepted version <= TLS 1.2.
  uint16_t weak_at = 0;
  for (uint16_t v : {kTls12, kTls11, kTls10, kSsl3}) {
    if (slot(v).status == "accepted") {
      weak_at = v;
      break;
    }
  }
  for (const auto& cat : weak_suite_categories()) {
    if (weak_at == 0) {
      r.weak_not_tested.emplace_back(cat.name);
      continue;
    }
    auto raw = co_await raw_hello(ex, ip, port, build_client_hello(weak_at, cat.suites, sni, random_bytes(32)), lim);
    if (raw.reply.kind == HelloReply::Kind::server_hello) {
      bool offered = std::find(cat.suites.begin(), cat.suites.end(), raw.reply.cipher) != cat.suites.end();
      if (offered) r.weak_suites.push_back({std::string(cat.name), version_name(raw.reply.version), suite_name(raw.reply.cipher)});
    } else if (raw.behaviour == "stalled" || raw.behaviour == "refused") {
      r.weak_not_tested.emplace_back(cat.name);
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

// Reads one binary packet into `payload` (bounded by kMaxPacket and the connection budget).
Task<bool> read_packet(SshConn& s, std::string& payload, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    size_t used = 0;
    std::string_view p;
    auto f = ssh::parse_packet(s.buf, &used, &p);
    if (f == ssh::Frame::ok) {
      payload.assign(p);
      s.buf.erase(0, used);
      co_return true;
    }
    if (f == ssh::Frame::bad) {
      s.behaviour = "garbage";
      s.detail = "malformed binary packet";
      co_return false;
    }
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (s.conn->eof()) {
      s.behaviour = "closed";
      s.detail = "closed during key exchange";
      co_return false;
    }
    if (left.count() <= 0 || s.conn->budget_exhausted()) {
      s.behaviour = "stalled";
      s.detail = "no complete packet before the deadline";
      co_return false;
    }
    co_await s.conn->read_some(s.buf, left, 16384);
  }
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
  const auto deadline = std::chrono::steady_clock::now() + lim.handshake;
  co_await s.conn->write("SSH-2.0-Mamori_0.1\r\n");
  for (;;) {
    size_t used = 0;
    bool bad = false;
    if (auto id = ssh::find_ident(s.buf, &used, &bad)) {
      s.ident = net::printable(*id, 255);
      s.buf.erase(0, used);
      break;
    }
    if (bad) {
      s.behaviour = "garbage";
      s.detail = "no SSH identification line";
      co_return s;
    }
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (s.conn->eof()) {
      s.behaviour = "closed";
      s.detail = "closed before identification";
      co_return s;
    }
    if (left.count() <= 0 || s.conn->budget_exhausted()) {
      s.behaviour = "stalled";
      s.detail = "no identification line before the deadline";
      co_return s;
    }
    co_await s.conn->read_some(s.buf, left, 4096);
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
  std::vector<std::string> families;
  for (const auto& alg : first.kexinit.host_key) {
    std::string fam = family(alg);
    if (fam.empty() || contains(families, fam) || families.size() >= lim.max_host_keys) continue;
    families.push_back(fam);
    auto s = co_await ssh_open(ex, ip, port, lim);
    if (s.behaviour != "ok") {
      r.detail = "host key " + alg + ": " + s.detail;
      if (s.conn) s.conn->close();
      continue;
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
    const auto deadline = std::chrono::steady_clock::now() + lim.handshake;
    if (!co_await s.conn->write(out)) {
      s.conn->close();
      continue;
    }
    std::string payload;
    for (int i = 0; i < 8; ++i) {
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
        r.host_keys.push_back(std::move(hk));
      }
      break;
    }
    s.conn->close();
  }
  co_return r;
}

}  // namespace mamori::tls
