#include "checks/creds/http/http_auth.h"

#include <gtest/gtest.h>

namespace mamori::creds::http {
namespace {

TEST(Challenges, BasicWithRealm) {
  auto c = parse_challenges("Basic realm=\"Router Admin\"");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "Router Admin");
}

TEST(Challenges, SeveralInOneHeaderWithCommasAndEscapesInQuotes) {
  auto c = parse_challenges(
      "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple, yes\","
      "Digest realm=\"d\", nonce=\"abc,def\", qop=\"auth,auth-int\", algorithm=SHA-256, stale=TRUE");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].scheme, "newauth");
  EXPECT_EQ(c[0].param("type"), "1");
  EXPECT_EQ(c[0].param("title"), "Login to \"apps\"");
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_EQ(c[1].param("realm"), "simple, yes");
  EXPECT_EQ(c[2].scheme, "digest");
  EXPECT_EQ(c[2].param("nonce"), "abc,def");
  EXPECT_EQ(c[2].param("qop"), "auth,auth-int");
  EXPECT_EQ(c[2].param("stale"), "TRUE");
  EXPECT_EQ(digest_algorithm(c[2]), DigestAlgorithm::sha256);
  EXPECT_TRUE(digest_answerable(c[2]));
}

TEST(Challenges, SeveralHeadersAndToken68) {
  auto c = parse_challenges(std::vector<std::string>{"Negotiate YIIabc==", "NTLM", "Digest realm=x, nonce=n"});
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].token68, "YIIabc==");
  EXPECT_EQ(c[1].scheme, "ntlm");
  EXPECT_EQ(c[2].param("realm"), "x");
  EXPECT_EQ(choose_challenge(c), &c[2]);
}

TEST(Challenges, ChoosesStrongestDigestThenBasic) {
  auto c = parse_challenges(
      "Basic realm=\"r\", Digest realm=\"r\", nonce=\"1\", algorithm=MD5, qop=auth, "
      "Digest realm=\"r\", nonce=\"2\", algorithm=SHA-256, qop=auth");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(choose_challenge(c), &c[2]);
  auto only_int = parse_challenges("Digest realm=r, nonce=1, qop=\"auth-int\", Basic realm=r");
  ASSERT_EQ(only_int.size(), 2u);
  EXPECT_FALSE(digest_answerable(only_int[0]));
  EXPECT_EQ(choose_challenge(only_int), &only_int[1]);
  EXPECT_EQ(choose_challenge(parse_challenges("Bearer realm=x")), nullptr);
  EXPECT_EQ(choose_challenge(parse_challenges("Digest realm=x, nonce=1, algorithm=SHA-1")), nullptr);
  EXPECT_EQ(choose_challenge(parse_challenges("Digest realm=x")), nullptr);  // no nonce
}

TEST(Challenges, HostileInputIsBounded) {
  EXPECT_TRUE(parse_challenges("").empty());
  EXPECT_TRUE(parse_challenges(",,,  ,").empty());
  EXPECT_TRUE(parse_challenges("realm=\"x\"").empty());  // a parameter without a scheme
  auto open = parse_challenges("Digest realm=\"never closed");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].param("realm"), "never closed");
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "S" + std::to_string(i) + " a=b, ";
  EXPECT_EQ(parse_challenges(many).size(), kMaxChallenges);
  std::string params = "Digest ";
  for (int i = 0; i < 1000; ++i) params += "p" + std::to_string(i) + "=v,";
  EXPECT_LE(parse_challenges(params)[0].params.size(), Challenge::kMaxParams);
  std::string huge = "Basic realm=\"" + std::string(1 << 20, 'x') + "\"";
  auto h = parse_challenges(huge);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_LE(h[0].param("realm").size(), Challenge::kMaxValue);
  std::string garbage;
  for (int i = 0; i < 5000; ++i) garbage.push_back(static_cast<char>((i * 131) % 256));
  EXPECT_LE(parse_challenges(garbage).size(), kMaxChallenges);
}

TEST(Basic, Rfc7617Example) {
  EXPECT_EQ(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

// RFC 2617 section 3.5.
TEST(Digest, Rfc2617Example) {
  auto c = parse_challenges(
      "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  ASSERT_EQ(c.size(), 1u);
  auto a = digest_authorization(c[0], {"GET", "/dir/index.html", "0a4f113b", 1}, "Mufasa", "Circle Of Life");
  ASSERT_TRUE(a);
  EXPECT_NE(a->find("response=\"6629fae49393a05397450978507c4ef1\""), std::string::npos) << *a;
  EXPECT_NE(a->find("nc=00000001"), std::string::npos);
  EXPECT_NE(a->find("qop=auth,"), std::string::npos);
  EXPECT_NE(a->find("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""), std::string::npos);
  EXPECT_EQ(a->find("Circle"), std::string::npos);  // the password never crosses the wire
}

// RFC 7616 section 3.9.1, MD5 and SHA-256.
TEST(Digest, Rfc7616Examples) {
  const std::string common =
      "realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
      "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
  const DigestRequest req{"GET", "/dir/index.html", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", 1};
  auto md5 = parse_challenges("Digest " + common + ", algorithm=MD5");
  auto a = digest_authorization(md5[0], req, "Mufasa", "Circle of Life");
  ASSERT_TRUE(a);
  EXPECT_NE(a->find("response=\"8ca523f5e9506fed4657c9700eebdbec\""), std::string::npos) << *a;
  auto sha = parse_challenges("Digest " + common + ", algorithm=SHA-256");
  auto b = digest_authorization(sha[0], req, "Mufasa", "Circle of Life");
  ASSERT_TRUE(b);
  EXPECT_NE(b->find("response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""), std::string::npos)
      << *b;
  EXPECT_NE(b->find("algorithm=SHA-256"), std::string::npos);
}

TEST(Digest, SessAndRfc2069AndUserhash) {
  // MD5-sess: HA1 = H(H(user:realm:pass):nonce:cnonce).
  auto c = parse_challenges("Digest realm=\"r\", nonce=\"n\", qop=auth, algorithm=MD5-sess");
  auto a = digest_authorization(c[0], {"GET", "/", "cn", 1}, "u", "p");
  ASSERT_TRUE(a);
  std::string ha1 = md5_hex(md5_hex("u:r:p") + ":n:cn");
  std::string expect = md5_hex(ha1 + ":n:00000001:cn:auth:" + md5_hex("GET:/"));
  EXPECT_NE(a->find(expect), std::string::npos);
  // RFC 2069: no qop, response = H(HA1:nonce:HA2), no nc/cnonce sent.
  auto old = parse_challenges("Digest realm=\"r\", nonce=\"n\"");
  auto b = digest_authorization(old[0], {"DESCRIBE", "rtsp://h:554/x", "cn", 1}, "u", "p");
  ASSERT_TRUE(b);
  EXPECT_NE(b->find(md5_hex(md5_hex("u:r:p") + ":n:" + md5_hex("DESCRIBE:rtsp://h:554/x"))), std::string::npos);
  EXPECT_EQ(b->find("cnonce"), std::string::npos);
  // -sess without qop cannot be computed by the RFC 2069 rule.
  EXPECT_FALSE(digest_authorization(parse_challenges("Digest realm=r, nonce=n, algorithm=MD5-sess")[0], {}, "u", "p"));
  auto uh = parse_challenges("Digest realm=\"r\", nonce=\"n\", qop=auth, algorithm=SHA-256, userhash=true");
  auto d = digest_authorization(uh[0], {"GET", "/", "cn", 1}, "u", "p");
  ASSERT_TRUE(d);
  EXPECT_NE(d->find("username=\"" + sha256_hex("u:r") + "\""), std::string::npos);
  EXPECT_NE(d->find("userhash=true"), std::string::npos);
}

TEST(Digest, QuotesHostileUserAndRealm) {
  auto c = parse_challenges("Digest realm=\"a\\\"b\", nonce=\"n\", qop=auth");
  auto a = digest_authorization(c[0], {"GET", "/", "cn", 1}, "x\"y\r\nEvil: 1", "p");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->find('\r'), std::string::npos);
  EXPECT_EQ(a->find('\n'), std::string::npos);
  EXPECT_NE(a->find("username=\"x\\\"yEvil: 1\""), std::string::npos) << *a;
  EXPECT_NE(a->find("realm=\"a\\\"b\""), std::string::npos);
}

TEST(Reply, ParsesWithBeastAndKeepsRepeatedHeaders) {
  std::string bytes =
      "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"a\"\r\nWWW-Authenticate: Digest realm=\"b\", "
      "nonce=\"n\"\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2; Path=/\r\nContent-Length: 5\r\n\r\nhello";
  auto r = parse_http_reply(bytes, false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->all("www-authenticate").size(), 2u);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(parse_challenges(r->all("www-authenticate")).size(), 2u);
  EXPECT_FALSE(parse_http_reply("RTSP/1.0 200 OK\r\n\r\n", true));
  EXPECT_FALSE(parse_http_reply("HTTP/1.1 200 OK\r\nX: y\r\n", true));  // header section cut short
  EXPECT_FALSE(parse_http_reply("HTTP/1.1 2", true));
  EXPECT_FALSE(parse_http_reply("HTTP/1.1 200 OK\r\n" + std::string(64 * 1024, 'a') + "\r\n\r\n", true));
  auto cut = parse_http_reply("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc", true);
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->status, 200);
}

TEST(Cookies, JarKeepsNameValueOnly) {
  CookieJar j;
  EXPECT_EQ(j.absorb({"SESSIONID=abc; Path=/; HttpOnly", "lang=en", "junk", "=novalue"}), 2u);
  EXPECT_EQ(j.header(), "SESSIONID=abc; lang=en");
  EXPECT_EQ(j.absorb({"lang=en"}), 0u);  // unchanged
  EXPECT_EQ(j.absorb({"SESSIONID=deleted; Max-Age=0"}), 0u);
  EXPECT_EQ(j.header(), "lang=en");
  std::vector<std::string> many;
  for (int i = 0; i < 100; ++i) many.push_back("c" + std::to_string(i) + "=v");
  j.absorb(many);
  EXPECT_LE(j.size(), 32u);
}

TEST(Lockout, StatusHeaderAndTextOnRefusalsOnly) {
  Reply r;
  r.status = 429;
  EXPECT_TRUE(lockout_signs(r));
  r.status = 401;
  EXPECT_FALSE(lockout_signs(r));
  r.headers.emplace_back("retry-after", "60");
  EXPECT_TRUE(lockout_signs(r));
  r.headers.clear();
  r.body = "<p>Account LOCKED for 5 minutes</p>";
  EXPECT_TRUE(lockout_signs(r));
  r.body = "Too many failed attempts";
  EXPECT_TRUE(lockout_signs(r));
  r.status = 200;  // a page that talks about a screen lock is not a refusal
  r.body = "Screen locked settings";
  EXPECT_FALSE(lockout_signs(r));
}

TEST(Paths, SameHostOnly) {
  CheckTarget t;
  t.ip = *Ip::parse("127.0.0.1");
  t.port = 8080;
  EXPECT_EQ(same_host_path("/login", t, false), "/login");
  EXPECT_EQ(same_host_path("http://127.0.0.1:8080/x?y", t, false), "/x?y");
  EXPECT_EQ(same_host_path("http://127.0.0.1:8080", t, false), "/");
  EXPECT_EQ(same_host_path("http://127.0.0.1/x", t, false), "");  // port 80: another service
  EXPECT_EQ(same_host_path("http://evil.example:8080/x", t, false), "");
  EXPECT_EQ(same_host_path("//evil.example/x", t, false), "");
  EXPECT_EQ(same_host_path("https://127.0.0.1:8080/x", t, false), "");
  t.port = 80;
  EXPECT_EQ(same_host_path("HTTP://127.0.0.1/x", t, false), "/x");
}

}  // namespace
}  // namespace mamori::creds::http
