#include "tls/ssh_wire.h"

#include <gtest/gtest.h>

namespace mamori::tls::ssh {
namespace {

KexInit legacy() {
  KexInit k;
  k.kex = {"curve25519-sha256", "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"};
  k.host_key = {"ssh-ed25519", "ssh-rsa", "ssh-dss"};
  k.cipher_c2s = k.cipher_s2c = {"aes128-ctr", "aes128-cbc", "3des-cbc", "arcfour"};
  k.mac_c2s = k.mac_s2c = {"hmac-sha2-256", "hmac-md5", "hmac-sha1-96"};
  k.comp_c2s = k.comp_s2c = {"none"};
  return k;
}

TEST(SshWire, KexInitRoundTrip) {
  auto k = legacy();
  auto payload = build_kexinit(k, "0123456789abcdef");
  auto parsed = parse_kexinit(payload);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->kex, k.kex);
  EXPECT_EQ(parsed->host_key, k.host_key);
  EXPECT_EQ(parsed->mac_s2c, k.mac_s2c);
  // Every truncation is rejected, never read past.
  for (size_t n = 0; n < payload.size() - 5; ++n) EXPECT_FALSE(parse_kexinit(payload.substr(0, n))) << n;
}

TEST(SshWire, PacketFraming) {
  auto pkt = build_packet("\x14hello");
  EXPECT_EQ(pkt.size() % 8, 0u);
  size_t used = 0;
  std::string_view payload;
  EXPECT_EQ(parse_packet(pkt.substr(0, 7), &used, &payload), Frame::incomplete);
  std::string more = pkt + "tail";
  ASSERT_EQ(parse_packet(more, &used, &payload), Frame::ok);
  EXPECT_EQ(payload, "\x14hello");
  EXPECT_EQ(used, pkt.size());
  EXPECT_EQ(parse_packet(std::string("\x7f\xff\xff\xff\x04", 5), &used, &payload), Frame::bad);
  EXPECT_EQ(parse_packet(std::string("\x00\x00\x00\x08\x09", 5), &used, &payload), Frame::bad);
}

TEST(SshWire, IdentificationLine) {
  size_t used = 0;
  bool bad = false;
  auto id = find_ident("Welcome\r\nSSH-2.0-OpenSSH_9.2p1 Debian\r\n\x00\x00", &used, &bad);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "SSH-2.0-OpenSSH_9.2p1 Debian");
  EXPECT_EQ(used, 39u);
  EXPECT_FALSE(find_ident("SSH-2.0-partial", &used, &bad));
  EXPECT_FALSE(bad);
  EXPECT_FALSE(find_ident(std::string(300, 'x'), &used, &bad));
  EXPECT_TRUE(bad);
}

TEST(SshWire, HostKeyFromKexReply) {
  std::string blob = std::string("\0\0\0\x07ssh-rsa\0\0\0\x01\x03\0\0\0\x81\0", 21) + std::string(128, '\xff');
  std::string reply = std::string("\x1f\0\0\0", 4) + static_cast<char>(blob.size()) + blob + std::string(8, 'z');
  auto k = parse_kex_reply_host_key(reply);
  ASSERT_TRUE(k);
  EXPECT_EQ(*k, blob);
  auto info = parse_host_key_blob(*k);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->type, "ssh-rsa");
  EXPECT_EQ(info->bits, 1024);
  EXPECT_FALSE(parse_kex_reply_host_key(std::string("\x1f\0\0\xff\xff", 5)));
}

TEST(SshWire, WeakAlgorithmsNameTheirSource) {
  auto w = weak_algorithms(legacy());
  std::vector<std::string> names;
  for (const auto& a : w) {
    names.push_back(a.name);
    EXPECT_FALSE(a.reason.empty());
  }
  for (const char* n : {"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "ssh-rsa", "ssh-dss",
                        "aes128-cbc", "3des-cbc", "arcfour", "hmac-md5", "hmac-sha1-96"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
  for (const char* n : {"curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256"}) {
    EXPECT_EQ(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
  KexInit modern;
  modern.kex = {"sntrup761x25519-sha512@openssh.com", "curve25519-sha256"};
  modern.host_key = {"rsa-sha2-512", "ssh-ed25519"};
  modern.cipher_c2s = {"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com"};
  modern.mac_c2s = {"hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com"};
  EXPECT_TRUE(weak_algorithms(modern).empty());
}

}  // namespace
}  // namespace mamori::tls::ssh
