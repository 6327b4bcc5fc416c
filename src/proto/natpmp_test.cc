#include "proto/natpmp.h"

#include <gtest/gtest.h>

namespace mamori::proto::natpmp {
namespace {

TEST(NatPmp, RequestIsVersion0Opcode0) { EXPECT_EQ(build_external_address_request(), std::string("\0\0", 2)); }

TEST(NatPmp, ParsesTheAnswer) {
  // RFC 6886 §3.2: version 0, opcode 128, result 0, epoch, address.
  const std::string ok("\x00\x80\x00\x00\x00\x00\x0e\x10\xc6\x12\x00\x02", 12);
  auto a = parse_external_address_response(ok);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result, 0);
  EXPECT_EQ(a->epoch, 3600u);
  EXPECT_EQ(a->external_ip, "198.18.0.2");
  const std::string refused("\x00\x80\x00\x02\x00\x00\x00\x01\x00\x00\x00\x00", 12);
  a = parse_external_address_response(refused);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->result, 2);
  EXPECT_EQ(a->external_ip, "");
  EXPECT_EQ(result_name(2), "not authorized/refused");
  EXPECT_EQ(result_name(77), "code 77");
}

TEST(NatPmp, RefusesAnythingElse) {
  for (const std::string& bad :
       {std::string(), std::string("\x00\x80", 2), std::string("\x00\x80\x00\x00\x00\x00\x0e\x10\xc6\x12\x00", 11),
        std::string("\x00\x80\x00\x00\x00\x00\x0e\x10\xc6\x12\x00\x02\x00", 13),
        std::string("\x01\x80\x00\x00\x00\x00\x0e\x10\xc6\x12\x00\x02", 12),   // version 1 (PCP)
        std::string("\x00\x81\x00\x00\x00\x00\x0e\x10\xc6\x12\x00\x02", 12)}) {  // a mapping answer
    EXPECT_FALSE(parse_external_address_response(bad)) << bad.size();
  }
}

}  // namespace
}  // namespace mamori::proto::natpmp
