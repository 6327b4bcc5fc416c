// TLS records on the wire, without a TLS library: a ClientHello built by hand for protocol
// versions or cipher suites the linked OpenSSL will not offer (SSLv3, RC4, export, NULL...), as
// sslscan and testssl.sh do, and a bounded parser of what the server sends back. Pure functions
// of bytes; no I/O. The parser never reads past its input and never allocates more than the
// input size (it is a libFuzzer target: fuzz/tls/hello_fuzz.cc).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mamori::tls {

// Protocol version codes as on the wire.
inline constexpr uint16_t kSsl3 = 0x0300;
inline constexpr uint16_t kTls10 = 0x0301;
inline constexpr uint16_t kTls11 = 0x0302;
inline constexpr uint16_t kTls12 = 0x0303;
inline constexpr uint16_t kTls13 = 0x0304;

// "SSLv3", "TLSv1.0" .. "TLSv1.3" (the results contract's names); "0x...." otherwise.
std::string version_name(uint16_t version);

// A ClientHello record offering exactly `version` (legacy_version, no supported_versions
// extension, so at most TLS 1.2) and `suites`, with SNI when `sni` is not empty and, from TLS
// 1.0 on, the extensions a modern server needs to pick an ECDHE suite (supported groups, point
// formats, signature algorithms, renegotiation info). SSLv3 hellos carry no extensions.
// `random` supplies the 32 client random bytes (fewer: zero-filled).
std::string build_client_hello(uint16_t version, std::span<const uint16_t> suites,
                               std::string_view sni, std::string_view random);

// What the first bytes of a server's answer to a ClientHello are.
struct HelloReply {
  enum class Kind {
    incomplete,    // a valid prefix: more bytes are needed
    server_hello,  // version and cipher are set
    alert,         // alert_level / alert_description are set
    garbage,       // not TLS (or a malformed record or message)
  };
  Kind kind = Kind::incomplete;
  uint16_t version = 0;  // negotiated (supported_versions extension when present)
  uint16_t cipher = 0;
  uint8_t alert_level = 0;
  uint8_t alert_description = 0;
  std::string why;  // for garbage: what was wrong
};

// Parses the server's first records (`bytes` is everything received so far). Handshake
// fragments spread over several records are joined, up to 64 KiB of handshake data (beyond
// that: garbage).
HelloReply parse_server_reply(std::string_view bytes);

// The cipher suites of a weak-suite category, by IANA code.
struct SuiteCategory {
  std::string_view name;  // "null", "anonymous", "export", "rc4", "3des", "des", "static-rsa"
  std::span<const uint16_t> suites;
};
std::span<const SuiteCategory> weak_suite_categories();
// A broad SSLv3/TLS 1.0-1.2 list (strong and weak suites) for version tests.
std::span<const uint16_t> all_legacy_suites();
// The authenticated TLS 1.2 AEAD suites of that list (GCM, ChaCha20-Poly1305).
std::span<const uint16_t> aead_suites();
// IANA name of a suite, e.g. "TLS_RSA_WITH_RC4_128_SHA", or "0x0005" when unknown.
std::string suite_name(uint16_t suite);

}  // namespace mamori::tls
