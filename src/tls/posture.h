// TLS and SSH posture of one endpoint, observed from the network without authenticating.
//
// analyze_tls: each of SSLv3, TLS 1.0, 1.1, 1.2, 1.3 tried on its own connection (OpenSSL 3 at
// security level 0 with min = max version for TLS 1.0-1.3; a hand-built ClientHello for SSLv3,
// which OpenSSL 3 cannot offer), the negotiated cipher of each, the weak suite categories the
// server accepts (hand-built hellos offering only that category, at the highest accepted version
// up to TLS 1.2; "cbc-only-tls10" when SSLv3/TLS 1.0 is accepted with a CBC suite and no AEAD
// suite is accepted on any version), and the leaf certificate. A version never actually offered
// is "not_tested", never "rejected". With `starttls` = ftp every connection first runs the FTP
// preamble (220 greeting, AUTH TLS, 234; RFC 4217) and the first one also checks that FEAT lists
// AUTH TLS: a server that does not offer it ends with behaviour "no_starttls" and tls = false.
// Up to `PostureLimits::parallel` connections to the endpoint are open at once.
// analyze_ssh: identification line, the server's KEXINIT, and each host key (type and SHA-256
// fingerprint) taken from the server's key-exchange reply; no authentication is attempted.
//
// Both are coroutines on the given executor; every connect, read and write has a deadline and
// every connection a byte budget. A peer that stalls, floods or answers garbage is recorded in
// `behaviour` and the per-version status; nothing here throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/ip.h"
#include "tls/ssh_wire.h"

namespace mamori::tls {

template <class T>
using Task = boost::asio::awaitable<T>;
using Executor = boost::asio::any_io_executor;
using Millis = std::chrono::milliseconds;

struct PostureLimits {
  Millis connect{3000};
  Millis handshake{5000};       // one whole handshake or key-exchange step
  size_t max_read = 256 * 1024;  // bytes read per connection
  size_t max_cert_list = 100 * 1024;  // OpenSSL's cap on the certificate chain message
  unsigned max_host_keys = 4;   // SSH host key types fetched (one connection each)
  unsigned parallel = 4;        // connections to one endpoint open at once (at least 1)
};

// A plain-text protocol that upgrades to TLS on the same connection.
enum class StartTls { none, ftp };
// The upgrade to use for an identified service: ftp for "ftp" not already inside TLS; none
// otherwise (MQTT has no STARTTLS: MQTT over TLS is its own port, 8883).
StartTls starttls_for(const std::string& service, bool implicit_tls);

struct VersionProbe {
  std::string version;  // "SSLv3" .. "TLSv1.3"
  // "accepted", "rejected" (alert, close or a different version chosen), "not_tested" (never
  // offered: the peer stalled or we stopped), "error" (garbage, timeout, local failure).
  std::string status;
  std::string cipher;  // negotiated, when accepted (OpenSSL or IANA name)
  std::string detail;  // why, when not accepted
  std::string suite;   // IANA name of the negotiated suite, when accepted
};

struct CertInfo {
  std::string subject, issuer;  // RFC 2253
  bool self_signed = false;
  std::string not_before, not_after;  // RFC 3339 UTC
  bool expired = false;       // now > not_after
  bool not_yet_valid = false; // now < not_before
  std::string key_type;       // "RSA", "EC", "ED25519", "DSA", ...
  int key_bits = 0;
  std::string sig_alg;        // "sha256WithRSAEncryption"
  std::vector<std::string> sans;  // "DNS:name", "IP:addr"
  std::string sha256;         // of the DER certificate, 64 hex digits
  std::string spki_sha256;    // of the DER SubjectPublicKeyInfo
  int chain_length = 0;       // certificates the server sent
};

struct WeakSuite {
  // "rc4", "3des", "export", "null", "anonymous", "des", "static-rsa", "cbc-only-tls10"
  std::string category;
  std::string version;   // the version it was accepted on
  std::string suite;     // IANA name the server chose
  std::string note;      // why it is weak, when the category name does not say it all
};

struct TlsReport {
  Ip ip;
  uint16_t port = 0;
  std::string service;  // the identified service it runs (set by the caller), e.g. "https"
  std::string sni;
  std::string starttls;  // "ftp" when reached through FTP AUTH TLS; empty for TLS from the start
  bool tls = false;  // some version was accepted
  std::vector<VersionProbe> versions;  // SSLv3 .. TLSv1.3, in that order
  std::optional<CertInfo> cert;
  std::vector<WeakSuite> weak_suites;
  std::vector<std::string> weak_not_tested;  // categories we could not test (no version <= 1.2)
  // "ok", "garbage", "stalled", "closed", "refused"; "no_starttls" (the STARTTLS preamble was
  // refused or not offered: detail in versions[TLSv1.2].detail)
  std::string behaviour = "ok";
  std::vector<std::string> accepted() const;  // accepted version names, oldest first
};

struct SshHostKey {
  std::string type;  // from the key blob: "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256" ...
  std::string algorithm;  // the host key algorithm we asked for
  int bits = 0;           // RSA/DSA modulus size
  std::string sha256;     // hex of SHA-256 over the blob (OpenSSH's fingerprint, in hex)
  std::string fingerprint;  // "SHA256:<base64 without padding>" as ssh-keygen -l prints
};

struct SshReport {
  Ip ip;
  uint16_t port = 0;
  std::string ident;  // "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
  std::optional<ssh::KexInit> kexinit;
  std::vector<SshHostKey> host_keys;
  std::vector<ssh::WeakAlgorithm> weak;
  std::string behaviour = "ok";  // "ok", "garbage", "stalled", "closed", "refused"
  std::string detail;
};

Task<TlsReport> analyze_tls(Executor ex, Ip ip, uint16_t port, std::string sni,
                            PostureLimits limits = {}, StartTls starttls = StartTls::none);
Task<SshReport> analyze_ssh(Executor ex, Ip ip, uint16_t port, PostureLimits limits = {});

// Certificate facts from DER bytes (nullopt when they do not parse). `now` for expiry tests.
std::optional<CertInfo> describe_certificate(std::string_view der, std::time_t now);

}  // namespace mamori::tls
