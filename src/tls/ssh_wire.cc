#include "tls/ssh_wire.h"

#include <algorithm>

namespace mamori::tls::ssh {
namespace {

uint32_t get32(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3]));
}
void put32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

// Reads an SSH string at *at; false when it would run past the end.
bool read_string(std::string_view b, size_t* at, std::string_view* out) {
  if (b.size() < 4 || *at > b.size() - 4) return false;
  uint32_t len = get32(b, *at);
  if (len > b.size() - *at - 4) return false;
  *out = b.substr(*at + 4, len);
  *at += 4 + len;
  return true;
}

std::vector<std::string> split_names(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size() && !s.empty()) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    if (comma > start) out.emplace_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out.push_back(',');
    out += s;
  }
  return out;
}

void put_string(std::string& out, std::string_view s) {
  put32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Significant bits of an mpint's magnitude.
int mpint_bits(std::string_view m) {
  size_t i = 0;
  while (i < m.size() && m[i] == 0) ++i;
  if (i == m.size()) return 0;
  auto top = static_cast<uint8_t>(m[i]);
  int bits = static_cast<int>((m.size() - i - 1) * 8);
  while (top) {
    ++bits;
    top >>= 1;
  }
  return bits;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

}  // namespace

std::optional<std::string> find_ident(std::string_view b, size_t* consumed, bool* bad) {
  *bad = false;
  size_t at = 0;
  for (int line = 0; line < 32; ++line) {
    size_t nl = b.find('\n', at);
    if (nl == std::string_view::npos) {
      if (b.size() - at > 255 || b.size() > 8192) *bad = true;
      return std::nullopt;
    }
    if (nl - at > 255) {
      *bad = true;
      return std::nullopt;
    }
    std::string_view l = b.substr(at, nl - at);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    at = nl + 1;
    if (starts_with(l, "SSH-")) {
      *consumed = at;
      return std::string(l);
    }
    if (at > 8192) break;
  }
  *bad = true;
  return std::nullopt;
}

Frame parse_packet(std::string_view b, size_t* consumed, std::string_view* payload) {
  if (b.size() < 5) return Frame::incomplete;
  uint32_t len = get32(b, 0);
  auto pad = static_cast<uint8_t>(b[4]);
  if (len < 5 || len > kMaxPacket || pad + 1u > len) return Frame::bad;
  if (b.size() - 4 < len) return Frame::incomplete;
  *payload = b.substr(5, len - pad - 1);
  *consumed = 4 + len;
  return Frame::ok;
}

std::string build_packet(std::string_view payload) {
  size_t pad = 8 - ((payload.size() + 5) % 8);
  if (pad < 4) pad += 8;
  std::string out;
  put32(out, static_cast<uint32_t>(payload.size() + pad + 1));
  out.push_back(static_cast<char>(pad));
  out.append(payload);
  out.append(pad, '\0');
  return out;
}

std::optional<KexInit> parse_kexinit(std::string_view p) {
  if (p.size() < 17 || static_cast<uint8_t>(p[0]) != 20) return std::nullopt;
  size_t at = 17;
  KexInit k;
  std::vector<std::string>* lists[] = {&k.kex,      &k.host_key, &k.cipher_c2s, &k.cipher_s2c,
                                       &k.mac_c2s,  &k.mac_s2c,  &k.comp_c2s,   &k.comp_s2c};
  for (auto* l : lists) {
    std::string_view s;
    if (!read_string(p, &at, &s)) return std::nullopt;
    *l = split_names(s);
    if (l->size() > 256) return std::nullopt;
  }
  std::string_view lang;
  for (int i = 0; i < 2; ++i) {
    if (!read_string(p, &at, &lang)) return std::nullopt;
  }
  if (p.size() - at < 5) return std::nullopt;  // first_kex_packet_follows, reserved
  return k;
}

std::string build_kexinit(const KexInit& k, std::string_view cookie) {
  std::string p;
  p.push_back(20);
  std::string c(cookie.substr(0, 16));
  c.resize(16, '\0');
  p += c;
  for (const auto* l : {&k.kex, &k.host_key, &k.cipher_c2s, &k.cipher_s2c, &k.mac_c2s, &k.mac_s2c,
                        &k.comp_c2s, &k.comp_s2c}) {
    put_string(p, join(*l));
  }
  put_string(p, "");
  put_string(p, "");
  p.push_back(0);
  put32(p, 0);
  return p;
}

std::optional<std::string> parse_kex_reply_host_key(std::string_view p) {
  if (p.empty() || static_cast<uint8_t>(p[0]) != 31) return std::nullopt;
  size_t at = 1;
  std::string_view ks;
  if (!read_string(p, &at, &ks) || ks.empty()) return std::nullopt;
  return std::string(ks);
}

std::optional<HostKeyInfo> parse_host_key_blob(std::string_view blob) {
  size_t at = 0;
  std::string_view type;
  if (!read_string(blob, &at, &type) || type.empty() || type.size() > 64) return std::nullopt;
  HostKeyInfo info{std::string(type), 0};
  std::string_view a, b;
  if (type == "ssh-rsa") {  // string e, string n
    if (read_string(blob, &at, &a) && read_string(blob, &at, &b)) info.bits = mpint_bits(b);
  } else if (type == "ssh-dss") {  // p, q, g, y
    if (read_string(blob, &at, &a)) info.bits = mpint_bits(a);
  }
  return info;
}

std::vector<WeakAlgorithm> weak_algorithms(const KexInit& k) {
  std::vector<WeakAlgorithm> out;
  auto add = [&](const char* kind, const std::string& name, std::string reason) {
    for (const auto& w : out) {
      if (w.kind == kind && w.name == name) return;
    }
    out.push_back({kind, name, std::move(reason)});
  };
  for (const auto& a : k.kex) {
    if (a == "diffie-hellman-group1-sha1") {
      add("kex", a, "1024-bit MODP group with SHA-1 (RFC 9142 sec. 4: SHOULD NOT; Logjam)");
    } else if (a == "diffie-hellman-group14-sha1") {
      add("kex", a, "SHA-1 exchange hash (RFC 9142 sec. 4: MAY only for transition; NIST SP 800-131A Rev. 2)");
    } else if (a == "diffie-hellman-group-exchange-sha1") {
      add("kex", a, "SHA-1 exchange hash (RFC 9142 sec. 4: SHOULD NOT)");
    } else if (a == "rsa1024-sha1") {
      add("kex", a, "1024-bit RSA with SHA-1 (RFC 9142 sec. 4: MUST NOT)");
    } else if (starts_with(a, "gss-group1-sha1-") || starts_with(a, "gss-gex-sha1-")) {
      add("kex", a, "SHA-1 / 1024-bit group (RFC 9142 sec. 4: SHOULD NOT)");
    }
  }
  for (const auto& a : k.host_key) {
    if (a == "ssh-dss") {
      add("host_key", a, "DSA, 1024-bit with SHA-1 signatures (FIPS 186-5 withdraws DSA; disabled since OpenSSH 7.0)");
    } else if (a == "ssh-rsa") {
      add("host_key", a, "RSA signatures with SHA-1 (RFC 8332 defines rsa-sha2-256/512; NIST SP 800-131A Rev. 2 disallows SHA-1 signatures)");
    } else if (ends_with(a, "-cert-v00@openssh.com") || a == "ssh-dss-cert-v01@openssh.com" ||
               a == "ssh-rsa-cert-v01@openssh.com") {
      add("host_key", a, "legacy certificate type with SHA-1 or DSA signatures");
    }
  }
  for (const auto* list : {&k.cipher_c2s, &k.cipher_s2c}) {
    for (const auto& a : *list) {
      if (starts_with(a, "arcfour")) {
        add("cipher", a, "RC4 (RFC 8758: MUST NOT be used)");
      } else if (a == "3des-cbc") {
        add("cipher", a, "Triple DES, 64-bit block (NIST SP 800-131A Rev. 2: disallowed after 2023; Sweet32)");
      } else if (a == "des-cbc" || a == "blowfish-cbc" || a == "cast128-cbc" || a == "idea-cbc" ||
                 starts_with(a, "rijndael-cbc")) {
        add("cipher", a, "obsolete cipher (64-bit block or non-standard; RFC 4253 sec. 6.3 lists it as optional/legacy)");
      } else if (a == "none") {
        add("cipher", a, "no encryption (RFC 4253 sec. 6.3: NOT RECOMMENDED)");
      } else if (ends_with(a, "-cbc") || ends_with(a, "-cbc@openssh.com")) {
        add("cipher", a, "CBC mode (plaintext recovery, CVE-2008-5161; RFC 4344 recommends CTR)");
      }
    }
  }
  for (const auto* list : {&k.mac_c2s, &k.mac_s2c}) {
    for (const auto& a : *list) {
      if (starts_with(a, "hmac-md5")) {
        add("mac", a, "MD5 (RFC 6151; removed from OpenSSH's defaults in 7.2)");
      } else if (a == "hmac-sha1-96" || a == "hmac-sha1-96-etm@openssh.com") {
        add("mac", a, "SHA-1 truncated to 96 bits (removed from OpenSSH's defaults in 7.2)");
      } else if (starts_with(a, "hmac-ripemd160") || starts_with(a, "umac-32")) {
        add("mac", a, "legacy MAC (removed from OpenSSH's defaults)");
      } else if (a == "none") {
        add("mac", a, "no integrity protection (RFC 4253 sec. 6.4: NOT RECOMMENDED)");
      }
    }
  }
  return out;
}

}  // namespace mamori::tls::ssh
