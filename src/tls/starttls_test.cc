// FTP AUTH TLS preamble helpers on captured and hostile replies.
#include "tls/starttls.h"

#include <gtest/gtest.h>

#include "probes/ftp/ftp_probe.h"

namespace mamori::tls {
namespace {

TEST(FtpReplyEnd, SingleAndMultiLine) {
  EXPECT_EQ(ftp_reply_end("220 (vsFTPd 3.0.3)\r\n234 next"), 20u);
  std::string feat = "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n";
  EXPECT_EQ(ftp_reply_end(feat + "234 Proceed\r\n"), feat.size());
  // A continuation line that merely starts with the code and a dash does not end the reply.
  EXPECT_EQ(ftp_reply_end("220-a\r\n220-b\r\n220 c\n"), 20u);
  EXPECT_EQ(ftp_reply_end("220-a\r\n 220x\r\n220\r\n"), 19u);
  // Incomplete: the whole input.
  EXPECT_EQ(ftp_reply_end("220-a\r\n more"), 12u);
  EXPECT_EQ(ftp_reply_end(""), 0u);
}

TEST(FtpOffersAuthTls, FeatureForms) {
  auto feats = [](std::string_view reply) {
    auto r = probes::parse_ftp_reply(reply);
    return r ? probes::ftp_features(*r) : std::vector<std::string>{};
  };
  EXPECT_TRUE(ftp_offers_auth_tls(feats("211-Features:\r\n AUTH TLS\r\n EPSV\r\n211 End\r\n")));
  EXPECT_TRUE(ftp_offers_auth_tls(feats("211-Extensions supported:\r\n AUTH SSL;TLS\r\n211 END\r\n")));
  EXPECT_TRUE(ftp_offers_auth_tls(feats("211-Features:\r\n auth tls tls-c\r\n211 End\r\n")));
  EXPECT_FALSE(ftp_offers_auth_tls(feats("211-Features:\r\n AUTH SSL\r\n211 End\r\n")));
  EXPECT_FALSE(ftp_offers_auth_tls(feats("211-Features:\r\n EPSV\r\n UTF8\r\n211 End\r\n")));
  EXPECT_FALSE(ftp_offers_auth_tls(feats("211-Features:\r\n AUTH TLSX\r\n211 End\r\n")));
  EXPECT_FALSE(ftp_offers_auth_tls(feats("500 FEAT not understood\r\n")));
}

}  // namespace
}  // namespace mamori::tls
