// The SSDP + UPnP probe against an in-process SSDP responder and HTTP server on 127.0.0.1,
// answers built from proto::ssdp / proto::upnp's device side and miniupnpd's rootDesc.xml layout.
#include "probes/ssdp/ssdp_probe.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>

#include "probes/snmp/udp_test_util.h"
#include "proto/ssdp.h"
#include "proto/upnp.h"
#include "probes/ssdp/igd_client.h"

namespace mamori::probes {
namespace {

namespace ssdp = proto::ssdp;
namespace upnp = proto::upnp;
using testing::field;
using testing::HttpServer;
using testing::run_udp;
using testing::UdpResponder;

std::string read_proto_testdata(const std::string& name) {
  std::ifstream f(std::string(MAMORI_PROTO_TESTDATA_DIR) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const char* kUuid = "uuid:3ddcd1d3-2380-45f5-b069-00112233445a";

// The M-SEARCH answers of a device whose description is at `location`: one per ST, as
// miniupnpd sends them for ssdp:all.
UdpResponder::Handler responder(std::string location,
                                std::vector<std::string> sts = {"upnp:rootdevice", std::string(upnp::kIgdDevice1),
                                                                std::string(upnp::kWanIpConnection1)}) {
  return [=](const std::string& req) -> std::vector<std::string> {
    auto s = ssdp::parse_search(req);
    if (!s) return {};
    std::vector<std::string> out;
    for (const auto& st : sts) {
      ssdp::SearchResponse r;
      r.location = location;
      r.server = "AsusWRT/386 UPnP/1.1 MiniUPnPd/2.3.0";
      r.st = st;
      r.usn = std::string(kUuid) + "::" + st;
      out.push_back(*ssdp::build_search_response(r));
    }
    return out;
  };
}

TEST(SsdpProbe, RequestIsUnicastMSearch) {
  auto s = ssdp::parse_search(testing::request_for(ssdp_probe(), 1900, "127.0.0.9"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->host, "127.0.0.9:1900");  // the device's own address, not 239.255.255.250
  EXPECT_EQ(s->st, "ssdp:all");
  EXPECT_EQ(s->mx, 1);
}

TEST(SsdpProbe, SameHostUrl) {
  const Ip v4 = *Ip::parse("127.0.0.1");
  auto u = same_host_http_url("http://127.0.0.1:49152/rootDesc.xml", v4);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 49152);
  EXPECT_EQ(u->path, "/rootDesc.xml");
  u = same_host_http_url("HTTP://127.0.0.1", v4);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->path, "/");
  EXPECT_EQ(same_host_http_url("http://127.0.0.1:80?x=1#f", v4)->path, "/?x=1");
  for (const char* bad : {"http://127.0.0.2/", "http://127.0.0.1.example/", "http://127.0.0.1@198.51.100.1/",
                          "https://127.0.0.1/", "http://127.0.0.1:0/", "http://127.0.0.1:65536/",
                          "http://127.0.0.1:8x/", "http://[::ffff:127.0.0.1]/", "http://127.0.0.1/a b",
                          "ftp://127.0.0.1/", "http://localhost/", "http://127.1/", ""}) {
    EXPECT_FALSE(same_host_http_url(bad, v4)) << bad;
  }
  const Ip v6 = *Ip::parse("::1");
  u = same_host_http_url("http://[::1]:5000/desc.xml", v6);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 5000);
  EXPECT_FALSE(same_host_http_url("http://::1/desc.xml", v6));
}

TEST(SsdpProbe, IgdDescriptionFromMiniupnpdLayout) {
  const std::string xml = read_proto_testdata("miniupnpd_rootDesc.xml");
  ASSERT_FALSE(xml.empty());
  HttpServer http([&](const std::string& head) {
    return head.starts_with("GET /rootDesc.xml ") ? testing::http_ok(xml) : "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  });
  const std::string location = "http://127.0.0.1:" + std::to_string(http.port()) + "/rootDesc.xml";
  UdpResponder dev(responder(location));
  ASSERT_TRUE(dev.ok());
  auto obs = run_udp(ssdp_probe(), dev.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "ssdp");
  EXPECT_EQ(obs->proto, Proto::udp);
  EXPECT_EQ(field(*obs, "ssdp.server"), "AsusWRT/386 UPnP/1.1 MiniUPnPd/2.3.0");
  EXPECT_EQ(field(*obs, "ssdp.st"),
            "upnp:rootdevice,urn:schemas-upnp-org:device:InternetGatewayDevice:1,"
            "urn:schemas-upnp-org:service:WANIPConnection:1");
  EXPECT_EQ(field(*obs, "ssdp.location"), location);
  EXPECT_EQ(field(*obs, "upnp.fetch"), "ok");
  EXPECT_EQ(field(*obs, "upnp.udn"), kUuid);
  EXPECT_EQ(field(*obs, "upnp.device_type"), upnp::kIgdDevice1);
  EXPECT_EQ(field(*obs, "upnp.friendly_name"), "RT-AC68U");
  EXPECT_EQ(field(*obs, "upnp.manufacturer"), "ASUSTeK Computer Inc.");
  EXPECT_EQ(field(*obs, "upnp.model"), "RT-AC68U");
  EXPECT_EQ(field(*obs, "upnp.model_number"), "386.7");
  EXPECT_EQ(field(*obs, "upnp.serial"), "00:11:22:33:44:55");
  EXPECT_EQ(field(*obs, "upnp.igd_service"), upnp::kWanIpConnection1);
  EXPECT_EQ(field(*obs, "upnp.igd_control"), "/ctl/IPConn");
  EXPECT_EQ(field(*obs, "upnp.igd_port"), std::to_string(http.port()));
  // The description, then the two read-only IGD actions (this server answers them with 404).
  ASSERT_EQ(http.requests().size(), 3u);
  EXPECT_TRUE(http.requests()[0].starts_with("GET /rootDesc.xml "));
  EXPECT_NE(http.requests()[0].find("Host: 127.0.0.1:" + std::to_string(http.port())), std::string::npos);
  EXPECT_TRUE(http.requests()[1].starts_with("POST /ctl/IPConn "));
  EXPECT_EQ(field(*obs, "upnp.mapping_query"), "failed");
  EXPECT_EQ(field(*obs, "upnp.mapping_count"), "0");
  EXPECT_EQ(field(*obs, "upnp.mappings"), "<absent>");
}

// An IGD answering the two read-only actions: miniupnpd's description, its external address,
// `table` as the port-mapping table (then fault 713), or `fault` for every entry request.
struct FakeIgd {
  std::vector<upnp::PortMapping> table;
  int fault = 0;
  std::string xml = read_proto_testdata("miniupnpd_rootDesc.xml");
  std::atomic<int> entry_calls{0};
  std::string answer(const std::string& head) {
    auto soap = [](const std::string& body, int code = 200) {
      return std::string(code == 200 ? "HTTP/1.1 200 OK" : "HTTP/1.1 500 Internal Server Error") +
             "\r\nContent-Type: text/xml\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\nConnection: close\r\n\r\n" + body;
    };
    const std::string type(upnp::kWanIpConnection1);
    if (head.starts_with("GET /rootDesc.xml ")) return testing::http_ok(xml);
    if (!head.starts_with("POST /ctl/IPConn ")) return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    // Only the read-only actions may ever be asked for.
    EXPECT_TRUE(head.find("#GetExternalIPAddress\"") != std::string::npos ||
                head.find("#GetGenericPortMappingEntry\"") != std::string::npos)
        << head;
    if (head.find("#GetExternalIPAddress\"") != std::string::npos) {
      return soap(upnp::build_get_external_ip_response(type, "198.18.0.2"));
    }
    const size_t i = static_cast<size_t>(entry_calls++);
    if (fault != 0) return soap(upnp::build_soap_fault(fault, "Action not authorized"), 500);
    if (i >= table.size()) return soap(upnp::build_soap_fault(713, "SpecifiedArrayIndexInvalid"), 500);
    return soap(upnp::build_get_generic_port_mapping_entry_response(type, table[i]));
  }
};

std::optional<ServiceObservation> probe_igd(FakeIgd& igd) {
  HttpServer http([&](const std::string& head) { return igd.answer(head); });
  UdpResponder dev(responder("http://127.0.0.1:" + std::to_string(http.port()) + "/rootDesc.xml"));
  if (!dev.ok()) return std::nullopt;
  return run_udp(ssdp_probe(), dev.port());
}

TEST(SsdpProbe, IgdMappingsAreListedReadOnly) {
  FakeIgd igd;
  upnp::PortMapping a{"", 8081, "TCP", 80, "198.19.1.11", true, "mamori-test", 0};
  upnp::PortMapping b{"198.51.100.7", 5000, "UDP", 5001, "198.19.1.12", false, "game, console", 3600};
  igd.table = {a, b};
  auto obs = probe_igd(igd);
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "upnp.external_ip"), "198.18.0.2");
  EXPECT_EQ(field(*obs, "upnp.mapping_query"), "ok");
  EXPECT_EQ(field(*obs, "upnp.mapping_count"), "2");
  EXPECT_EQ(field(*obs, "upnp.mappings"),
            "TCP 8081->198.19.1.11:80,UDP 5000->198.19.1.12:5001 disabled from=198.51.100.7");
  EXPECT_EQ(igd.entry_calls.load(), 3);  // two entries and the 713 that ends the table
}

TEST(SsdpProbe, IgdEmptyTableAndRefusal) {
  FakeIgd empty;
  auto obs = probe_igd(empty);
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "upnp.mapping_query"), "ok");
  EXPECT_EQ(field(*obs, "upnp.mapping_count"), "0");
  FakeIgd refusing;
  refusing.fault = 606;
  obs = probe_igd(refusing);
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "upnp.mapping_query"), "fault 606");
  EXPECT_EQ(field(*obs, "upnp.external_ip"), "198.18.0.2");
}

TEST(SsdpProbe, IgdTableIsBounded) {
  FakeIgd igd;
  igd.table.assign(kMaxIgdMappings + 10, upnp::PortMapping{"", 8080, "TCP", 80, "198.19.1.10", true, "x", 0});
  auto obs = probe_igd(igd);
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "upnp.mapping_query"), "truncated");
  EXPECT_EQ(field(*obs, "upnp.mapping_count"), std::to_string(kMaxIgdMappings));
  EXPECT_EQ(igd.entry_calls.load(), static_cast<int>(kMaxIgdMappings));
}

TEST(SsdpProbe, MappingsFieldKeepsSeparatorsOut) {
  upnp::PortMapping m{"", 1, "TCP", 2, "a,b c>d", true, "", 0};
  EXPECT_EQ(mappings_field({m}), "TCP 1->a_b_c_d:2");
}

TEST(SsdpProbe, PlainDeviceHasNoIgdFields) {
  upnp::Description d;
  d.root.device_type = "urn:schemas-upnp-org:device:MediaRenderer:1";
  d.root.friendly_name = "Living room TV";
  d.root.manufacturer = "Sony Corporation";
  d.root.model_name = "KJ-55X8500F";
  d.root.udn = "uuid:00000000-0000-1010-8000-0011223344aa";
  d.root.services.push_back({"urn:schemas-upnp-org:service:RenderingControl:1", "urn:upnp-org:serviceId:RenderingControl",
                             "/rcs.xml", "/upnp/control/RenderingControl", "/upnp/event/RenderingControl"});
  const std::string xml = upnp::build_description(d);
  HttpServer http([&](const std::string&) { return testing::http_ok(xml); });
  UdpResponder dev(responder("http://127.0.0.1:" + std::to_string(http.port()) + "/dmr.xml", {"upnp:rootdevice"}));
  auto obs = run_udp(ssdp_probe(), dev.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "upnp.manufacturer"), "Sony Corporation");
  EXPECT_EQ(field(*obs, "upnp.model"), "KJ-55X8500F");
  EXPECT_EQ(field(*obs, "upnp.udn"), "uuid:00000000-0000-1010-8000-0011223344aa");  // description wins
  EXPECT_EQ(field(*obs, "upnp.igd_control"), "<absent>");
  EXPECT_EQ(field(*obs, "upnp.igd_service"), "<absent>");
}

TEST(SsdpProbe, NeverFollowsLocationToAnotherHost) {
  HttpServer http([](const std::string&) { return testing::http_ok("<root/>"); });
  // Same port, another address: the probe must not fetch it (and the server would not see it:
  // it listens on 127.0.0.1 only; we check the probe's own decision).
  UdpResponder dev(responder("http://127.0.0.2:" + std::to_string(http.port()) + "/rootDesc.xml"));
  auto obs = run_udp(ssdp_probe(), dev.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "upnp.fetch"), "offhost");
  EXPECT_EQ(field(*obs, "upnp.manufacturer"), "<absent>");
  EXPECT_TRUE(http.requests().empty());
}

TEST(SsdpProbe, IgdControlUrlOnAnotherHostIsNotRecordedAsPath) {
  upnp::Description d;
  d.url_base = "http://198.51.100.7:5000/";
  d.root.device_type = std::string(upnp::kIgdDevice1);
  d.root.manufacturer = "Evil";
  d.root.services.push_back({std::string(upnp::kWanIpConnection1), "id", "/scpd.xml", "/ctl/IPConn", "/evt"});
  const std::string xml = upnp::build_description(d);
  HttpServer http([&](const std::string&) { return testing::http_ok(xml); });
  UdpResponder dev(responder("http://127.0.0.1:" + std::to_string(http.port()) + "/d.xml"));
  auto obs = run_udp(ssdp_probe(), dev.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "upnp.igd_service"), upnp::kWanIpConnection1);
  EXPECT_EQ(field(*obs, "upnp.igd_control_url"), "http://198.51.100.7:5000/ctl/IPConn");
  EXPECT_EQ(field(*obs, "upnp.igd_control"), "<absent>");
}

TEST(SsdpProbe, DescriptionFailures) {
  HttpServer notfound([](const std::string&) { return std::string("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"); });
  UdpResponder dev1(responder("http://127.0.0.1:" + std::to_string(notfound.port()) + "/x.xml"));
  auto obs = run_udp(ssdp_probe(), dev1.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "upnp.fetch"), "http 404");

  HttpServer xxe([](const std::string&) {
    return testing::http_ok("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><root><device>"
                            "<friendlyName>&x;</friendlyName></device></root>");
  });
  UdpResponder dev2(responder("http://127.0.0.1:" + std::to_string(xxe.port()) + "/x.xml"));
  obs = run_udp(ssdp_probe(), dev2.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "upnp.fetch"), "bad_description");
  EXPECT_EQ(field(*obs, "upnp.friendly_name"), "<absent>");

  HttpServer garbage([](const std::string&) { return std::string("\x16\x03\x01garbage", 10); });
  UdpResponder dev3(responder("http://127.0.0.1:" + std::to_string(garbage.port()) + "/x.xml"));
  obs = run_udp(ssdp_probe(), dev3.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "upnp.fetch"), "failed");

  // Nothing listens there (the HTTP server is gone).
  uint16_t closed_port;
  {
    HttpServer gone([](const std::string&) { return std::string(); });
    closed_port = gone.port();
  }
  UdpResponder dev4(responder("http://127.0.0.1:" + std::to_string(closed_port) + "/x.xml"));
  obs = run_udp(ssdp_probe(), dev4.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "upnp.fetch"), "failed");
}

TEST(SsdpProbe, GarbageTruncatedAndOversizedAnswers) {
  UdpResponder garbage([](const std::string&) {
    return std::vector<std::string>{"HTTP/1.", std::string(64, '\0'), "HTTP/1.1 404 Not Found\r\n\r\n",
                                    "M-SEARCH * HTTP/1.1\r\nHOST: 1.2.3.4:1900\r\n\r\n"};
  });
  EXPECT_FALSE(run_udp(ssdp_probe(), garbage.port()));
  UdpResponder huge([](const std::string&) {
    return std::vector<std::string>{"HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nX: " + std::string(9000, 'a') + "\r\n\r\n"};
  });
  EXPECT_FALSE(run_udp(ssdp_probe(), huge.port()));
  UdpResponder injected([](const std::string&) {
    return std::vector<std::string>{"HTTP/1.1 200 OK\r\nST: a\x01\x02\r\nLOCATION: http://127.0.0.1:1/\r\n\r\n"};
  });
  EXPECT_FALSE(run_udp(ssdp_probe(), injected.port()));  // control bytes in a header: refused
}

// identify_udp's timing (exchange_udp): stop at the first accepted reply, retransmit once on
// silence, never wait beyond the total.
struct Timed {
  std::optional<ServiceObservation> obs;
  std::chrono::milliseconds elapsed{0};
};

Timed exchange(uint16_t port, UdpWait wait) {
  boost::asio::io_context ioc;
  ProbeContext ctx = testing::context(ioc, "127.0.0.1", port, wait.total);
  const auto t0 = std::chrono::steady_clock::now();
  auto fut = boost::asio::co_spawn(ioc, exchange_udp(ssdp_probe(), ctx, wait), boost::asio::use_future);
  ioc.run();
  Timed t;
  t.obs = fut.get();
  t.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  return t;
}

TEST(UdpTiming, StopsAtTheFirstAcceptedReply) {
  UdpResponder dev(responder("http://127.0.0.1:1/rootDesc.xml"));
  ASSERT_TRUE(dev.ok());
  auto t = exchange(dev.port(), {Millis(3000), Millis(1500)});
  ASSERT_TRUE(t.obs);
  EXPECT_LT(t.elapsed.count(), 2500);  // not the 3 s total
  EXPECT_EQ(dev.requests().size(), 1u);
  // The answers sent together for each search target are all taken.
  EXPECT_EQ(field(*t.obs, "ssdp.st"),
            "upnp:rootdevice,urn:schemas-upnp-org:device:InternetGatewayDevice:1,"
            "urn:schemas-upnp-org:service:WANIPConnection:1");
}

TEST(UdpTiming, RetransmitsOnceWhenTheFirstRequestIsLost) {
  std::atomic<int> seen{0};
  auto answer = responder("http://127.0.0.1:1/rootDesc.xml", {"upnp:rootdevice"});
  UdpResponder dev([&](const std::string& req) -> std::vector<std::string> {
    if (seen.fetch_add(1) == 0) return {};  // lost
    return answer(req);
  });
  ASSERT_TRUE(dev.ok());
  auto t = exchange(dev.port(), {Millis(3000), Millis(300)});
  ASSERT_TRUE(t.obs);
  EXPECT_EQ(dev.requests().size(), 2u);
  EXPECT_EQ(dev.requests()[0], dev.requests()[1]);
  EXPECT_GE(t.elapsed.count(), 290);
  EXPECT_LT(t.elapsed.count(), 2000);
}

TEST(UdpTiming, SilenceCostsTheTotalAndTwoRequests) {
  UdpResponder dev([](const std::string&) { return std::vector<std::string>{}; });
  ASSERT_TRUE(dev.ok());
  auto t = exchange(dev.port(), {Millis(600), Millis(200)});
  EXPECT_FALSE(t.obs);
  EXPECT_GE(t.elapsed.count(), 590);
  EXPECT_LT(t.elapsed.count(), 1500);
  EXPECT_EQ(dev.requests().size(), 2u);

  UdpResponder once([](const std::string&) { return std::vector<std::string>{}; });
  auto t2 = exchange(once.port(), {Millis(300), Millis(300)});  // retransmit >= total: never
  EXPECT_FALSE(t2.obs);
  EXPECT_EQ(once.requests().size(), 1u);
}

TEST(UdpTiming, GarbageIsNotAnAnswerAndNotSilence) {
  UdpResponder dev([](const std::string&) { return std::vector<std::string>{"HTTP/1.1 404 Not Found\r\n\r\n"}; });
  ASSERT_TRUE(dev.ok());
  auto t = exchange(dev.port(), {Millis(500), Millis(100)});
  EXPECT_FALSE(t.obs);
  EXPECT_GE(t.elapsed.count(), 490);         // kept listening for a real answer
  EXPECT_EQ(dev.requests().size(), 1u);      // something answered: no retransmission
}

TEST(UdpTiming, ClosedPortEndsAtOnce) {
  const uint16_t port = testing::free_udp_port("127.0.0.1");
  ASSERT_NE(port, 0);
  auto t = exchange(port, {Millis(3000), Millis(1500)});
  EXPECT_FALSE(t.obs);
  EXPECT_LT(t.elapsed.count(), 2500);  // ICMP port unreachable on loopback: not the 3 s total
}

TEST(UdpTiming, DefaultWaitIsTheProbeTimeout) {
  boost::asio::io_context ioc;
  ProbeContext ctx = testing::context(ioc, "127.0.0.1", 1900, Millis(2000));
  UdpWait w = default_udp_wait(ctx);
  EXPECT_EQ(w.total, Millis(2000));
  EXPECT_EQ(w.retransmit, Millis(1000));
}

}  // namespace
}  // namespace mamori::probes
