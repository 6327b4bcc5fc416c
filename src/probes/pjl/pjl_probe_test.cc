#include "probes/pjl/pjl_probe.h"

#include <gtest/gtest.h>

#include <future>

#include "probes/telnet/test_server.h"

namespace mamori::probes {
namespace {
using namespace testing;

TEST(Pjl, ParsesInfoId) {
  struct Case {
    std::string reply;
    std::optional<std::string> id;
  } cases[] = {
      {"@PJL INFO ID\r\n\"HP LaserJet 4250\"\r\n\f", "\"HP LaserJet 4250\""},
      {"\x1b%-12345X@PJL INFO ID\r\n\"HP LaserJet Pro M404-M405\"\r\n\f", "\"HP LaserJet Pro M404-M405\""},
      {"@PJL INFO ID\n\n  Brother HL-L2350DW series  \n\f", "Brother HL-L2350DW series"},
      {"@pjl info id\r\nKONICA MINOLTA bizhub C258\r\n\f", "KONICA MINOLTA bizhub C258"},
      {"@PJL INFO ID\r\n\f", ""},
      {"@PJL INFO ID", ""},
      {"@PJL INFO ID\r\n\x01\x02\r\n", "\\x01\\x02"},
      {"HTTP/1.1 400 Bad Request\r\n\r\n", std::nullopt},
      {"", std::nullopt},
      {"@PJL INFO STATUS\r\nCODE=10001\r\n", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_pjl_info_id(c.reply), c.id) << c.reply;
  EXPECT_EQ(parse_pjl_info_id("@PJL INFO ID\r\n" + std::string(10000, 'M'))->size(), 128u);
  EXPECT_FALSE(parse_pjl_info_id(std::string(5000, ' ') + "@PJL INFO ID\r\nx\r\n"));  // past 4 KiB
}

TEST(Pjl, OnlyOn9100) {
  EXPECT_EQ(pjl_probe().affinity(9100), 100);
  for (uint16_t p : {9101, 80, 515, 631, 0, 65535}) EXPECT_LT(pjl_probe().affinity(p), 0) << p;
  EXPECT_FALSE(pjl_probe().claims_banner("@PJL"));
}

TEST(PjlProbe, SendsOnlyTheQuery) {
  auto got = std::make_shared<std::promise<std::string>>();
  auto fut = got->get_future();
  ScriptServer srv([got](tcp::socket s) -> asio::awaitable<void> {
    std::string req = co_await read_until(s, "@PJL INFO ID\r\n\x1b%-12345X\r\n");
    co_await send(s, "@PJL INFO ID\r\n\"HP LaserJet 4250\"\r\n\f");
    req += co_await read_for(s, 300);
    got->set_value(req);
  });
  auto obs = run_probe(pjl_probe(), srv.port(), 9100);
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "jetdirect");
  EXPECT_EQ(obs->port, 9100);
  EXPECT_EQ(obs->fields["pjl.id"], "\"HP LaserJet 4250\"");
  EXPECT_EQ(fut.get(), kPjlInfoId);
}

TEST(PjlProbe, SilentRawPortIsNotPjl) {
  ScriptServer srv([](tcp::socket s) -> asio::awaitable<void> { co_await read_for(s, 3000); });
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(run_probe(pjl_probe(), srv.port(), 9100));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(2800));
}

}  // namespace
}  // namespace mamori::probes
