// The bounded DNS codec, and the mDNS probe against an in-process responder on 127.0.0.1.
#include "probes/mdns/mdns_probe.h"

#include <gtest/gtest.h>

#include "probes/mdns/dns.h"
#include "probes/snmp/udp_test_util.h"

namespace mamori::probes {
namespace {

using testing::field;
using testing::run_udp;
using testing::UdpResponder;

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

// A response header: id, flags 0x8400, counts.
std::string header(uint16_t id, int qd, int an, int ns, int ar) {
  return bytes({id >> 8, id & 0xff, 0x84, 0x00, 0, qd, 0, an, 0, ns, 0, ar});
}

TEST(Dns, RoundTrip) {
  dns::Message m;
  m.id = 0x1234;
  m.flags = dns::kFlagResponse | dns::kFlagAuthoritative;
  m.questions = {{"_services._dns-sd._udp.local", dns::type::kPtr, dns::kClassIn, true}};
  dns::Record ptr{"_services._dns-sd._udp.local", dns::type::kPtr, dns::kClassIn, false, 4500, "_ipp._tcp.local"};
  dns::Record srv{"My\\.Printer (2)._ipp._tcp.local", dns::type::kSrv, dns::kClassIn, true, 120, "prn.local"};
  srv.port = 631;
  srv.priority = 0;
  srv.weight = 0;
  dns::Record txt{"My\\.Printer (2)._ipp._tcp.local", dns::type::kTxt, dns::kClassIn, true, 4500};
  txt.txt = {"txtvers=1", "ty=Brother HL-L2350DW", "", "\\x"};
  dns::Record a{"prn.local", dns::type::kA, dns::kClassIn, true, 120};
  a.rdata = bytes({127, 0, 0, 1});
  dns::Record odd{"ctl\\009\\127.local", 99, 3, false, 1};
  odd.rdata = "raw";
  m.answers = {ptr};
  m.additional = {srv, txt, a, odd};
  auto b = dns::encode(m);
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto back = dns::parse(*b);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(*back, m);
  EXPECT_EQ(back->additional[0].name, "My\\.Printer (2)._ipp._tcp.local");
  EXPECT_EQ(back->additional[3].name, "ctl\\009\\127.local");
}

TEST(Dns, CompressionPointers) {
  // Question "_services._dns-sd._udp.local" at offset 12; the answer's owner name points to it,
  // and its PTR target "_http._tcp" + pointer to "local" (offset 12 + 10 + 8 + 5 = 35).
  std::string m = header(7, 1, 1, 0, 0);
  m += bytes({9}) + "_services" + bytes({7}) + "_dns-sd" + bytes({4}) + "_udp" + bytes({5}) + "local" + bytes({0});
  m += bytes({0, 12, 0x80, 1});
  ASSERT_EQ(m.substr(35, 6), bytes({5}) + "local");
  const std::string rdata = bytes({5}) + "_http" + bytes({4}) + "_tcp" + bytes({0xc0, 35});
  m += bytes({0xc0, 12, 0, 12, 0, 1, 0, 0, 0x11, 0x94, 0, static_cast<int>(rdata.size())}) + rdata;
  auto p = dns::parse(m);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->answers.size(), 1u);
  EXPECT_EQ(p->answers[0].name, "_services._dns-sd._udp.local");
  EXPECT_EQ(p->answers[0].target, "_http._tcp.local");
  EXPECT_TRUE(p->questions[0].unicast_response);
  EXPECT_EQ(p->answers[0].ttl, 4500u);

  // Every truncation of it is refused, never read past.
  for (size_t n = 0; n < m.size(); ++n) EXPECT_FALSE(dns::parse(m.substr(0, n)).ok()) << n;
  // Trailing bytes are refused.
  EXPECT_FALSE(dns::parse(m + "x").ok());
}

TEST(Dns, RefusesLoopsForwardPointersAndOverlongNames) {
  // Pointer to itself.
  EXPECT_FALSE(dns::parse(header(1, 1, 0, 0, 0) + bytes({0xc0, 12, 0, 12, 0, 1})).ok());
  // Two labels, then a pointer back to the first label: a loop through a backward pointer.
  EXPECT_FALSE(dns::parse(header(1, 1, 0, 0, 0) + bytes({1, 'a', 1, 'b', 0xc0, 12, 0, 12, 0, 1})).ok());
  // Name A at 12 points forward to a name B that points back to A.
  std::string fwd = header(1, 2, 0, 0, 0) + bytes({0xc0, 18, 0, 12, 0, 1}) + bytes({0xc0, 12, 0, 12, 0, 1});
  EXPECT_FALSE(dns::parse(fwd).ok());
  // Extended label types.
  EXPECT_FALSE(dns::parse(header(1, 1, 0, 0, 0) + bytes({0x41, 0, 0, 0, 12, 0, 1})).ok());
  EXPECT_FALSE(dns::parse(header(1, 1, 0, 0, 0) + bytes({0x80, 0, 0, 0, 12, 0, 1})).ok());
  // A 256-byte name: 4 labels of 63 + 4 length bytes + root = 257 > 255.
  std::string longname = header(1, 1, 0, 0, 0);
  for (int i = 0; i < 4; ++i) longname += bytes({63}) + std::string(63, 'x');
  longname += bytes({0, 0, 12, 0, 1});
  EXPECT_FALSE(dns::parse(longname).ok());
  // The longest legal name (255 bytes) parses.
  std::string maxname = header(1, 1, 0, 0, 0);
  for (int i = 0; i < 3; ++i) maxname += bytes({63}) + std::string(63, 'x');
  maxname += bytes({61}) + std::string(61, 'y') + bytes({0, 0, 12, 0, 1});
  EXPECT_TRUE(dns::parse(maxname).ok());
  // Pointer chains: each question is "b" + a pointer to the previous question's name. Every hop
  // goes strictly backwards, so 40 hops parse; 70 exceed kMaxPointerHops.
  auto chain = [](int n) {
    std::string m = header(1, n, 0, 0, 0) + bytes({1, 'a', 0, 0, 12, 0, 1});
    size_t prev = 12;
    for (int i = 1; i < n; ++i) {
      const size_t here = m.size();
      m += bytes({1, 'b', 0xc0 | static_cast<int>(prev >> 8), static_cast<int>(prev & 0xff), 0, 12, 0, 1});
      prev = here;
    }
    return m;
  };
  auto c40 = dns::parse(chain(40));
  ASSERT_TRUE(c40.ok()) << c40.error().message;
  std::string expect;
  for (int i = 0; i < 39; ++i) expect += "b.";
  EXPECT_EQ(c40->questions[39].name, expect + "a");
  EXPECT_FALSE(dns::parse(chain(70)).ok());
  // Counts over the record cap, message over 9000 bytes, PTR whose name runs past RDLENGTH.
  EXPECT_FALSE(dns::parse(bytes({0, 1, 0x84, 0, 0x01, 0x00, 0, 0, 0, 0, 0, 1})).ok());
  EXPECT_FALSE(dns::parse(header(1, 0, 0, 0, 0) + std::string(9000, '\0')).ok());
  std::string ptr = header(1, 0, 1, 0, 0) + bytes({0, 0, 12, 0, 1, 0, 0, 0, 1, 0, 3, 5}) + "local" + bytes({0});
  EXPECT_FALSE(dns::parse(ptr).ok());
  // A TXT string longer than its RDATA.
  EXPECT_FALSE(dns::parse(header(1, 0, 1, 0, 0) + bytes({0, 0, 16, 0, 1, 0, 0, 0, 1, 0, 2, 5, 'a'})).ok());
}

TEST(Dns, NameEscapes) {
  EXPECT_EQ(*dns::encode_name(""), bytes({0}));
  EXPECT_EQ(*dns::encode_name("a.b"), bytes({1, 'a', 1, 'b', 0}));
  EXPECT_EQ(*dns::encode_name("a\\.b"), bytes({3, 'a', '.', 'b', 0}));
  EXPECT_EQ(*dns::encode_name("\\000"), bytes({1, 0, 0}));
  EXPECT_FALSE(dns::encode_name("a..b").ok());
  EXPECT_FALSE(dns::encode_name("a\\").ok());
  EXPECT_FALSE(dns::encode_name("\\25").ok());
  EXPECT_FALSE(dns::encode_name("\\256").ok());
  EXPECT_FALSE(dns::encode_name(std::string(64, 'x')).ok());
  EXPECT_TRUE(dns::same_name("_IPP._tcp.Local", "_ipp._TCP.local"));
  EXPECT_FALSE(dns::same_name("_ipp._tcp.local", "_ipps._tcp.local"));
}

// A DNS-SD responder: answers the service enumeration and PTR queries for its types, with SRV
// and TXT in the additional section (as Avahi and mDNSResponder do).
struct Responder {
  std::vector<std::pair<std::string, std::string>> instances = {
      {"_ipp._tcp.local", "Brother HL-L2350DW series._ipp._tcp.local"},
      {"_http._tcp.local", "Brother HL-L2350DW series._http._tcp.local"},
      {"_printer._tcp.local", "Brother HL-L2350DW series._printer._tcp.local"},
  };
  bool echo_id = true;
  bool as_query = false;

  std::vector<std::string> operator()(const std::string& req) const {
    auto q = dns::parse(req);
    if (!q || q->is_response()) return {};
    dns::Message r;
    r.id = echo_id ? q->id : static_cast<uint16_t>(q->id + 1);
    r.flags = as_query ? 0 : dns::kFlagResponse | dns::kFlagAuthoritative;
    r.questions = q->questions;
    for (const auto& question : q->questions) {
      for (const auto& [type, instance] : instances) {
        if (dns::same_name(question.name, "_services._dns-sd._udp.local")) {
          bool dup = false;
          for (const auto& a : r.answers) dup = dup || a.target == type;
          if (!dup) r.answers.push_back({question.name, dns::type::kPtr, dns::kClassIn, false, 10, type});
        } else if (dns::same_name(question.name, type)) {
          r.answers.push_back({type, dns::type::kPtr, dns::kClassIn, false, 10, instance});
          dns::Record srv{instance, dns::type::kSrv, dns::kClassIn, false, 10, "BRN3C2AF4.local"};
          srv.port = type == "_ipp._tcp.local" ? 631 : 80;
          r.additional.push_back(srv);
          dns::Record txt{instance, dns::type::kTxt, dns::kClassIn, false, 10};
          txt.txt = {"txtvers=1", "ty=Brother HL-L2350DW series", "usb_MFG=Brother", "usb_MDL=HL-L2350DW series"};
          r.additional.push_back(txt);
        }
      }
    }
    auto out = dns::encode(r);
    return out ? std::vector<std::string>{*out} : std::vector<std::string>{};
  }
};

TEST(MdnsProbe, RequestIsOneShotUnicastServiceEnumeration) {
  auto q = dns::parse(testing::request_for(mdns_probe(), 5353));
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_FALSE(q->is_response());
  ASSERT_EQ(q->questions.size(), 1u);
  EXPECT_EQ(q->questions[0].name, "_services._dns-sd._udp.local");
  EXPECT_EQ(q->questions[0].type, dns::type::kPtr);
  EXPECT_TRUE(q->questions[0].unicast_response);
  EXPECT_NE(q->id, 0);
}

TEST(MdnsProbe, ServicesInstancesAndTxt) {
  UdpResponder dev(Responder{});
  ASSERT_TRUE(dev.ok());
  auto obs = run_udp(mdns_probe(), dev.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "mdns");
  EXPECT_EQ(obs->proto, Proto::udp);
  EXPECT_EQ(field(*obs, "mdns.services"), "_ipp._tcp.local,_http._tcp.local,_printer._tcp.local");
  EXPECT_EQ(field(*obs, "mdns.instances"),
            "Brother HL-L2350DW series._ipp._tcp.local,Brother HL-L2350DW series._http._tcp.local,"
            "Brother HL-L2350DW series._printer._tcp.local");
  EXPECT_EQ(field(*obs, "mdns.txt"), "txtvers=1;ty=Brother HL-L2350DW series;usb_MFG=Brother;usb_MDL=HL-L2350DW series");
  EXPECT_EQ(field(*obs, "mdns.hostname"), "BRN3C2AF4.local");
  ASSERT_EQ(dev.requests().size(), 2u);
  auto second = dns::parse(dev.requests()[1]);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->questions.size(), 3u);
}

TEST(MdnsProbe, ResponderWithNothingToListIsStillMdns) {
  Responder r;
  r.instances.clear();
  UdpResponder dev(r);
  auto obs = run_udp(mdns_probe(), dev.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "mdns");
  EXPECT_EQ(field(*obs, "mdns.services"), "<absent>");
  EXPECT_EQ(dev.requests().size(), 1u);  // no follow-up without types
}

TEST(MdnsProbe, QueriesAndForeignIdsAreNotAnswers) {
  Responder q;
  q.as_query = true;
  UdpResponder dev1(q);
  EXPECT_FALSE(run_udp(mdns_probe(), dev1.port()));
  Responder other;
  other.echo_id = false;
  UdpResponder dev2(other);
  EXPECT_FALSE(run_udp(mdns_probe(), dev2.port()));
}

TEST(MdnsProbe, HostileServiceNamesAreBoundedAndNotQueried) {
  Responder r;
  r.instances.clear();
  for (int i = 0; i < 60; ++i) r.instances.push_back({"_s" + std::to_string(i) + std::string(40, 'x') + "._tcp.local", "i._tcp.local"});
  r.instances.push_back({"evil,type\\001._tcp.local", "x._tcp.local"});
  UdpResponder dev(r);
  auto obs = run_udp(mdns_probe(), dev.port());
  ASSERT_TRUE(obs);
  EXPECT_LE(field(*obs, "mdns.services").size(), kMdnsMaxListBytes);
  ASSERT_EQ(dev.requests().size(), 2u);
  auto second = dns::parse(dev.requests()[1]);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->questions.size(), kMdnsMaxTypeQueries);
}

TEST(MdnsProbe, GarbageTruncatedAndOversizedAnswers) {
  UdpResponder truncated([](const std::string& req) {
    std::string r = Responder{}(req).at(0);
    return std::vector<std::string>{r.substr(0, r.size() - 1), r.substr(0, 11)};
  });
  EXPECT_FALSE(run_udp(mdns_probe(), truncated.port()));
  UdpResponder garbage([](const std::string&) {
    return std::vector<std::string>{std::string(12, '\xff'), "SSH-2.0-x\r\n", bytes({0, 0, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12})};
  });
  EXPECT_FALSE(run_udp(mdns_probe(), garbage.port()));
  UdpResponder huge([](const std::string& req) {
    return std::vector<std::string>{Responder{}(req).at(0) + std::string(9000, '\0')};
  });
  EXPECT_FALSE(run_udp(mdns_probe(), huge.port()));
}

}  // namespace
}  // namespace mamori::probes
