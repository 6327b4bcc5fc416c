#include "tls/hello.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace mamori::tls {
namespace {

void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}
void put24(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  put16(out, static_cast<uint16_t>(v & 0xffff));
}
uint16_t get16(std::string_view b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) | static_cast<uint8_t>(b[at + 1]));
}
uint32_t get24(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 16) | get16(b, at + 1);
}

void put_extension(std::string& out, uint16_t type, const std::string& body) {
  put16(out, type);
  put16(out, static_cast<uint16_t>(body.size()));
  out += body;
}

constexpr size_t kMaxRecord = (1 << 14) + 2048;  // TLSCiphertext limit (RFC 5246 6.2.3)
constexpr size_t kMaxHandshake = 64 * 1024;

// IANA TLS Cipher Suites registry (names as registered).
struct Named {
  uint16_t code;
  const char* name;
};
constexpr Named kNames[] = {
    {0x0001, "TLS_RSA_WITH_NULL_MD5"},
    {0x0002, "TLS_RSA_WITH_NULL_SHA"},
    {0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
    {0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
    {0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
    {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"},
    {0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
    {0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"},
    {0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"},
    {0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"},
    {0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA"},
    {0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
    {0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
    {0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
    {0x003B, "TLS_RSA_WITH_NULL_SHA256"},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
    {0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
    {0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
    {0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"},
    {0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"},
    {0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
    {0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
    {0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
    {0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
    {0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
    {0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
    {0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
    {0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
    {0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
    {0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    {0xC015, "TLS_ECDH_anon_WITH_NULL_SHA"},
    {0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA"},
    {0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"},
    {0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
    {0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"},
    {0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
    {0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0x1301, "TLS_AES_128_GCM_SHA256"},
    {0x1302, "TLS_AES_256_GCM_SHA384"},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
};

constexpr uint16_t kNull[] = {0x0001, 0x0002, 0x003B, 0xC006, 0xC010, 0xC015};
constexpr uint16_t kAnon[] = {0x0017, 0x0018, 0x0019, 0x001A, 0x001B, 0x0034, 0x003A, 0x006C,
                              0x006D, 0x00A6, 0x00A7, 0xC015, 0xC016, 0xC017, 0xC018, 0xC019};
constexpr uint16_t kExport[] = {0x0003, 0x0006, 0x0008, 0x0011, 0x0014, 0x0017, 0x0019};
constexpr uint16_t kRc4[] = {0x0004, 0x0005, 0xC007, 0xC011, 0x0018, 0xC016};
constexpr uint16_t k3des[] = {0x000A, 0x0013, 0x0016, 0xC008, 0xC012, 0x001B, 0xC017};
constexpr uint16_t kDes[] = {0x0009, 0x0012, 0x0015, 0x001A};
// Static RSA key exchange: no forward secrecy (a stolen key decrypts recorded traffic).
constexpr uint16_t kStaticRsa[] = {0x002F, 0x0035, 0x003C, 0x003D, 0x009C, 0x009D, 0x0041, 0x0084,
                                   0x000A, 0x0005, 0x0004};
constexpr SuiteCategory kCategories[] = {
    {"null", kNull},   {"anonymous", kAnon}, {"export", kExport},         {"rc4", kRc4},
    {"3des", k3des},   {"des", kDes},        {"static-rsa", kStaticRsa},
};
constexpr uint16_t kAll[] = {
    0xC02F, 0xC030, 0xC02B, 0xC02C, 0xCCA8, 0xCCA9, 0x009E, 0x009F, 0xC013, 0xC014, 0xC009,
    0xC00A, 0xC027, 0xC023, 0x0033, 0x0039, 0x0067, 0x006B, 0x009C, 0x009D, 0x002F, 0x0035,
    0x003C, 0x003D, 0x0041, 0x0084, 0x0032, 0xC012, 0xC008, 0x0016, 0x0013, 0x000A, 0xC011,
    0xC007, 0x0005, 0x0004, 0x0015, 0x0012, 0x0009, 0x0014, 0x0011, 0x0008, 0x0006, 0x0003,
    0x0034, 0x003A, 0x0018, 0x001B, 0xC018, 0xC019, 0x0002, 0x0001};
constexpr uint16_t kAead[] = {0xC02F, 0xC030, 0xC02B, 0xC02C, 0xCCA8,
                              0xCCA9, 0x009E, 0x009F, 0x009C, 0x009D};

}  // namespace

std::string version_name(uint16_t v) {
  switch (v) {
    case kSsl3: return "SSLv3";
    case kTls10: return "TLSv1.0";
    case kTls11: return "TLSv1.1";
    case kTls12: return "TLSv1.2";
    case kTls13: return "TLSv1.3";
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

std::string suite_name(uint16_t suite) {
  for (const auto& n : kNames) {
    if (n.code == suite) return n.name;
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", suite);
  return buf;
}

std::span<const SuiteCategory> weak_suite_categories() { return kCategories; }
std::span<const uint16_t> all_legacy_suites() { return kAll; }
std::span<const uint16_t> aead_suites() { return kAead; }

std::string build_client_hello(uint16_t version, std::span<const uint16_t> suites,
                               std::string_view sni, std::string_view random) {
  std::string body;
  put16(body, version);
  std::array<char, 32> rnd{};
  std::copy_n(random.begin(), std::min<size_t>(random.size(), rnd.size()), rnd.begin());
  body.append(rnd.data(), rnd.size());
  body.push_back(0);  // no session id
  size_t n = std::min<size_t>(suites.size(), 0x7ff0);
  put16(body, static_cast<uint16_t>(2 * (n + 1)));
  for (size_t i = 0; i < n; ++i) put16(body, suites[i]);
  put16(body, 0x00FF);  // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
  body.push_back(1);
  body.push_back(0);  // null compression
  if (version >= kTls10) {
    std::string ext;
    if (!sni.empty() && sni.size() < 256) {
      std::string e;
      put16(e, static_cast<uint16_t>(sni.size() + 3));
      e.push_back(0);  // host_name
      put16(e, static_cast<uint16_t>(sni.size()));
      e.append(sni);
      put_extension(ext, 0x0000, e);
    }
    // supported_groups: x25519, secp256r1, secp384r1, secp521r1
    put_extension(ext, 0x000A, std::string("\x00\x08\x00\x1d\x00\x17\x00\x18\x00\x19", 10));
    put_extension(ext, 0x000B, std::string("\x01\x00", 2));  // ec_point_formats: uncompressed
    if (version >= kTls12) {
      // signature_algorithms: rsa_pss_rsae_sha256, rsa_pkcs1_sha256/384/512, ecdsa_secp256r1_sha256,
      // ecdsa_secp384r1_sha384, ed25519, rsa_pkcs1_sha1, ecdsa_sha1, dsa_sha1 (legacy devices)
      put_extension(ext, 0x000D, std::string("\x00\x14\x08\x04\x04\x01\x05\x01\x06\x01\x04\x03"
                                             "\x05\x03\x08\x07\x02\x01\x02\x03\x02\x02", 22));
    }
    put16(body, static_cast<uint16_t>(ext.size()));
    body += ext;
  }
  std::string hs;
  hs.push_back(1);  // client_hello
  put24(hs, static_cast<uint32_t>(body.size()));
  hs += body;
  std::string rec;
  rec.push_back(0x16);
  // Record layer version: SSLv3 for an SSLv3 hello, TLS 1.0 otherwise (what servers expect).
  put16(rec, version == kSsl3 ? kSsl3 : kTls10);
  put16(rec, static_cast<uint16_t>(hs.size()));
  rec += hs;
  return rec;
}

HelloReply parse_server_reply(std::string_view b) {
  HelloReply r;
  std::string hs;  // handshake bytes joined over records
  size_t at = 0;
  auto garbage = [&](std::string why) {
    r.kind = HelloReply::Kind::garbage;
    r.why = std::move(why);
    return r;
  };
  bool input_done = false;
  while (true) {
    // Try to parse the first handshake message from what was joined so far.
    if (hs.size() >= 4) {
      auto type = static_cast<uint8_t>(hs[0]);
      uint32_t len = get24(hs, 1);
      if (type != 2) return garbage("first handshake message is not a ServerHello");
      if (len > kMaxHandshake || len < 38) return garbage("ServerHello length out of range");
      if (hs.size() >= 4 + len) {
        std::string_view m(hs.data() + 4, len);
        r.version = get16(m, 0);
        size_t p = 2 + 32;
        auto sid = static_cast<uint8_t>(m[p]);
        p += 1 + sid;
        if (p + 3 > m.size()) return garbage("ServerHello truncated");
        r.cipher = get16(m, p);
        p += 3;  // cipher + compression
        if (p + 2 <= m.size()) {
          size_t ext_len = get16(m, p);
          p += 2;
          size_t end = std::min(m.size(), p + ext_len);
          while (p + 4 <= end) {
            uint16_t et = get16(m, p);
            size_t el = get16(m, p + 2);
            p += 4;
            if (p + el > end) break;
            if (et == 0x002B && el == 2) r.version = get16(m, p);  // supported_versions
            p += el;
          }
        }
        if ((r.version >> 8) != 3) return garbage("ServerHello version not SSL 3.x/TLS");
        r.kind = HelloReply::Kind::server_hello;
        return r;
      }
    }
    if (input_done || b.size() - at < 5) return r;  // incomplete
    auto ctype = static_cast<uint8_t>(b[at]);
    auto major = static_cast<uint8_t>(b[at + 1]);
    size_t len = get16(b, at + 3);
    if (major != 3) return garbage("record version is not 3.x");
    if (len == 0 || len > kMaxRecord) return garbage("record length out of range");
    if (ctype == 0x15) {
      if (b.size() - at < 7) return r;
      if (len != 2) return garbage("alert record of length " + std::to_string(len));
      r.kind = HelloReply::Kind::alert;
      r.alert_level = static_cast<uint8_t>(b[at + 5]);
      r.alert_description = static_cast<uint8_t>(b[at + 6]);
      return r;
    }
    if (ctype != 0x16) return garbage("record type " + std::to_string(ctype) + " before ServerHello");
    if (b.size() - at - 5 < len) {
      // Partial record: usable as a prefix of the handshake only when it is the ServerHello's.
      hs.append(b.substr(at + 5));
      input_done = true;
      continue;
    }
    if (hs.size() + len > kMaxHandshake + 4) return garbage("handshake too long");
    hs.append(b.substr(at + 5, len));
    at += 5 + len;
  }
}

}  // namespace mamori::tls
