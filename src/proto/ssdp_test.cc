#include "proto/ssdp.h"

#include <gtest/gtest.h>

namespace mamori::proto::ssdp {
namespace {

TEST(SsdpControlPoint, BuildSearch) {
  EXPECT_EQ(build_search({}),
            "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\n"
            "ST: ssdp:all\r\n\r\n");
  SearchRequest unicast{"192.0.2.1:1900", "upnp:rootdevice", -1, "mamori/0.1 UPnP/1.1"};
  const std::string s = build_search(unicast);
  EXPECT_EQ(s.find("MX:"), std::string::npos);
  EXPECT_NE(s.find("USER-AGENT: mamori/0.1 UPnP/1.1\r\n"), std::string::npos);
}

// A typical home router (miniupnpd) answer, header names in mixed case, bare LF mixed in.
TEST(SsdpControlPoint, ParsesRouterResponse) {
  const std::string resp =
      "HTTP/1.1 200 OK\r\n"
      "Cache-Control: max-age=120\r\n"
      "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
      "usn: uuid:11111111-2222-3333-4444-555555555555::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
      "EXT:\r\n"
      "Server: AsusWRT/386 UPnP/1.1 MiniUPnPd/2.2.0\n"
      "location:   http://192.168.1.1:49152/rootDesc.xml  \r\n"
      "OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n"
      "\r\n";
  auto a = parse_announcement(resp);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_FALSE(a->is_notify);
  EXPECT_EQ(a->location, "http://192.168.1.1:49152/rootDesc.xml");
  EXPECT_EQ(a->server, "AsusWRT/386 UPnP/1.1 MiniUPnPd/2.2.0");
  EXPECT_EQ(a->st, "urn:schemas-upnp-org:device:InternetGatewayDevice:1");
  EXPECT_EQ(a->usn.substr(0, 5), "uuid:");
  EXPECT_EQ(a->max_age, 120);
  auto m = parse(resp).value();
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.header("ext"), "");
  EXPECT_EQ(m.header("OPT"), "\"http://schemas.upnp.org/upnp/1/0/\"; ns=01");
}

TEST(SsdpControlPoint, ParsesNotify) {
  auto a = parse_announcement(
      "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: no-cache, max-age = 1800\r\n"
      "LOCATION: http://10.0.0.5:80/desc.xml\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n"
      "SERVER: Linux/3.4 UPnP/1.0 IpBridge/1.26.0\r\nUSN: uuid:2f402f80-da50-11e1-9b23::upnp:rootdevice\r\n\r\n");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE(a->is_notify);
  EXPECT_EQ(a->st, "upnp:rootdevice");
  EXPECT_EQ(a->nts, "ssdp:alive");
  EXPECT_EQ(a->max_age, 1800);
  EXPECT_FALSE(parse_announcement("HTTP/1.1 404 Not Found\r\n\r\n").ok());
  EXPECT_FALSE(parse_announcement(build_search({})).ok());
}

TEST(SsdpDevice, ParseSearchAndRespond) {
  auto s = parse_search(build_search({"239.255.255.250:1900", "upnp:rootdevice", 3, ""}));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->st, "upnp:rootdevice");
  EXPECT_EQ(s->mx, 3);
  EXPECT_EQ(s->host, "239.255.255.250:1900");
  // Case-insensitive headers, unquoted MAN tolerated, no MX (unicast).
  auto t = parse_search("m-search * HTTP/1.1\nman: ssdp:discover\nst: ssdp:all\n\n");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->mx, -1);
  EXPECT_FALSE(parse_search("M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n\r\n").ok());       // no MAN
  EXPECT_FALSE(parse_search("M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\n\r\n").ok());  // no ST
  EXPECT_FALSE(parse_search("M-SEARCH / HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: a\r\n\r\n").ok());
  EXPECT_FALSE(parse_search("NOTIFY * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: a\r\n\r\n").ok());

  SearchResponse r;
  r.location = "http://127.0.0.1:8080/desc.xml";
  r.st = "upnp:rootdevice";
  r.usn = "uuid:abc::upnp:rootdevice";
  r.date = "Sat, 01 Jan 2000 00:00:00 GMT";
  auto bytes = build_search_response(r);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->substr(0, 17), "HTTP/1.1 200 OK\r\n");
  EXPECT_NE(bytes->find("\r\nEXT:\r\n"), std::string::npos);
  auto a = parse_announcement(*bytes).value();
  EXPECT_EQ(a.location, r.location);
  EXPECT_EQ(a.server, r.server);
  EXPECT_EQ(a.usn, r.usn);
  EXPECT_EQ(a.max_age, 1800);
  r.location = "http://x/\r\nEVIL: 1";
  EXPECT_FALSE(build_search_response(r).ok());
}

TEST(SsdpHostile, Bounds) {
  EXPECT_FALSE(parse("").ok());
  EXPECT_FALSE(parse("\r\n").ok());
  EXPECT_FALSE(parse("GARBAGE\r\n\r\n").ok());
  EXPECT_FALSE(parse("HTTP/1.1 20x OK\r\n\r\n").ok());
  EXPECT_FALSE(parse("M-SEARCH * HTTP/1.1\r\nno colon here\r\n\r\n").ok());
  EXPECT_FALSE(parse("M-SEARCH * HTTP/1.1\r\n: empty name\r\n\r\n").ok());
  EXPECT_FALSE(parse(std::string("M-SEARCH * HTTP/1.1\r\nST: a\0b\r\n\r\n", 30)).ok());
  std::string many = "NOTIFY * HTTP/1.1\r\n";
  for (std::size_t i = 0; i < kMaxHeaders; ++i) many += "X: y\r\n";
  EXPECT_TRUE(parse(many + "\r\n").ok());
  EXPECT_FALSE(parse(many + "X: y\r\n\r\n").ok());
  std::string big = "NOTIFY * HTTP/1.1\r\nX: " + std::string(kMaxMessageBytes, 'a') + "\r\n\r\n";
  EXPECT_FALSE(parse(big).ok());
  // Headers after the blank line are a body and ignored.
  auto m = parse("NOTIFY * HTTP/1.1\r\nA: 1\r\n\r\nB: 2\r\n").value();
  EXPECT_EQ(m.headers.size(), 1u);
  // Truncated datagram without a blank line is accepted as far as it goes.
  EXPECT_EQ(parse("NOTIFY * HTTP/1.1\r\nA: 1").value().header("a"), "1");
}

}  // namespace
}  // namespace mamori::proto::ssdp
