// SSH transport bytes before encryption (RFC 4253): the identification line, the binary packet
// framing, SSH_MSG_KEXINIT and the server's key-exchange reply (for its host key). Pure,
// bounded functions of bytes (libFuzzer target: fuzz/tls/kexinit_fuzz.cc); no I/O, no crypto.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::tls::ssh {

inline constexpr size_t kMaxPacket = 35000;  // RFC 4253 6.1: packets up to 35000 bytes

// Finds the server's identification line ("SSH-2.0-..." up to CR LF) in `bytes`; lines before it
// are allowed (RFC 4253 4.2). Returns the line without CR LF; nullopt when none is complete yet.
// `bad` is set when the input can no longer become a valid identification (a line over 255
// bytes, more than 32 lines, or 8 KiB without one).
std::optional<std::string> find_ident(std::string_view bytes, size_t* consumed, bool* bad);

// One unencrypted binary packet at the start of `bytes`.
enum class Frame { incomplete, ok, bad };
Frame parse_packet(std::string_view bytes, size_t* consumed, std::string_view* payload);
// The packet carrying `payload` (padding of zeros to a multiple of 8, at least 4 bytes).
std::string build_packet(std::string_view payload);

struct KexInit {
  std::vector<std::string> kex, host_key, cipher_c2s, cipher_s2c, mac_c2s, mac_s2c, comp_c2s,
      comp_s2c;
};
// SSH_MSG_KEXINIT (20) payload. nullopt when malformed.
std::optional<KexInit> parse_kexinit(std::string_view payload);
// Our SSH_MSG_KEXINIT: the given lists joined with commas (languages empty).
std::string build_kexinit(const KexInit& k, std::string_view cookie);

// From SSH_MSG_KEXDH_REPLY / SSH_MSG_KEX_ECDH_REPLY (31): the server's host key blob (K_S).
std::optional<std::string> parse_kex_reply_host_key(std::string_view payload);
// The key type named inside a host key blob ("ssh-ed25519", "ssh-rsa"...) and, for RSA and
// DSA, the modulus size in bits (0 otherwise).
struct HostKeyInfo {
  std::string type;
  int bits = 0;
};
std::optional<HostKeyInfo> parse_host_key_blob(std::string_view blob);

// A deprecated or weak algorithm an SSH server offers.
struct WeakAlgorithm {
  std::string kind;  // "kex", "host_key", "cipher", "mac"
  std::string name;
  std::string reason;  // with its source, e.g. "SHA-1 and a 1024-bit group (RFC 9142 4: SHOULD NOT)"
};
std::vector<WeakAlgorithm> weak_algorithms(const KexInit& k);

}  // namespace mamori::tls::ssh
