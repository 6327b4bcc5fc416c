#include "proto/snmp.h"

#include <gtest/gtest.h>

#include "proto/test_util.h"

namespace mamori::proto::snmp {
namespace {

using mamori::proto::testing::hex;
using mamori::proto::testing::read_testdata;
using mamori::proto::testing::unhex;

Oid oid(std::string_view s) { return Oid::parse(s).value(); }

TEST(SnmpOid, TextRoundTrip) {
  EXPECT_EQ(oid(".1.3.6.1.2.1.1.1.0").str(), "1.3.6.1.2.1.1.1.0");
  EXPECT_EQ(oid(kSysName).str(), "1.3.6.1.2.1.1.5.0");
  EXPECT_EQ(oid("2.999.4294967295").arcs.back(), 4294967295u);
  for (auto bad : {"", ".", "1", "1..3", "1.3.", "3.1", "1.40", "1.3.x", "1.3.4294967296", "1.-3"})
    EXPECT_FALSE(Oid::parse(bad).ok()) << bad;
  std::string many = "1.3";
  for (int i = 0; i < 127; ++i) many += ".1";
  EXPECT_FALSE(Oid::parse(many).ok());
  EXPECT_TRUE(oid("1.3.6.1.2.1.1.1.0").starts_with(oid("1.3.6.1.2.1.1")));
  EXPECT_FALSE(oid("1.3.6.1.2.1.1").starts_with(oid("1.3.6.1.2.1.1.1.0")));
}

TEST(SnmpOid, BinaryRoundTrip) {
  EXPECT_EQ(hex(encode_oid_contents(oid(kSysDescr)).value()), "2b06010201010100");
  EXPECT_EQ(hex(encode_oid_contents(oid("2.999.3")).value()), "883703");
  EXPECT_EQ(hex(encode_oid_contents(oid("1.3.6.1.4.1.311")).value()), "2b060104018237");
  EXPECT_EQ(decode_oid_contents(unhex("883703")).value().str(), "2.999.3");
  EXPECT_EQ(decode_oid_contents(unhex("8fffffff7f")).value().str(), "2.4294967215");
  EXPECT_FALSE(decode_oid_contents(unhex("")).ok());
  EXPECT_FALSE(decode_oid_contents(unhex("2b86")).ok());  // truncated arc
  EXPECT_FALSE(decode_oid_contents(unhex("2b808001")).ok());      // non-minimal arc
  EXPECT_FALSE(decode_oid_contents(unhex("2b9fffffff7f")).ok());  // > 32 bits
}

// Captured: `snmpget -v2c -c public 127.0.0.1:16161 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.5.0`
// (net-snmp 5.9.3) sent to a loopback UDP socket.
TEST(SnmpAgent, DecodesNetSnmpGetRequest) {
  const std::string bytes = read_testdata("snmpget_v2c_sysdescr.bin");
  ASSERT_EQ(bytes.size(), 57u);
  auto m = decode_request(bytes);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->version, Version::v2c);
  EXPECT_EQ(m->community, "public");
  EXPECT_EQ(m->pdu, PduType::get_request);
  EXPECT_EQ(m->request_id, 0x75b7ba03);
  ASSERT_EQ(m->varbinds.size(), 2u);
  EXPECT_EQ(m->varbinds[0].oid.str(), kSysDescr);
  EXPECT_EQ(m->varbinds[1].oid.str(), kSysName);
  EXPECT_EQ(m->varbinds[0].value.type, ValueType::null);
  // Our encoder produces the same bytes for the same request.
  EXPECT_EQ(hex(encode_request(Version::v2c, "public", PduType::get_request, 0x75b7ba03,
                               {oid(kSysDescr), oid(kSysName)}).value()),
            hex(bytes));
}

// Captured: `snmpgetnext -v1 -c private 127.0.0.1:16162 1.3.6.1.2.1.1`.
TEST(SnmpAgent, DecodesNetSnmpV1GetNext) {
  auto m = decode_request(read_testdata("snmpgetnext_v1.bin"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->version, Version::v1);
  EXPECT_EQ(m->community, "private");
  EXPECT_EQ(m->pdu, PduType::get_next_request);
  ASSERT_EQ(m->varbinds.size(), 1u);
  EXPECT_EQ(m->varbinds[0].oid.str(), "1.3.6.1.2.1.1");
}

TEST(SnmpAgent, V2cResponseWithValuesAndNoSuchObject) {
  auto req = decode_request(read_testdata("snmpget_v2c_sysdescr.bin")).value();
  auto bytes = encode_get_response(
      req, {VarBind{oid(kSysDescr), Value::octets("Linux cam 4.9")}, std::nullopt});
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  auto r = decode_response(*bytes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->request_id, req.request_id);
  EXPECT_EQ(r->community, "public");
  EXPECT_EQ(r->error_status, 0);
  ASSERT_EQ(r->varbinds.size(), 2u);
  EXPECT_EQ(r->varbinds[0].value.to_string(), "Linux cam 4.9");
  EXPECT_EQ(r->varbinds[1].oid.str(), kSysName);
  EXPECT_EQ(r->varbinds[1].value.type, ValueType::no_such_object);
  EXPECT_EQ(r->varbinds[1].value.to_string(), "noSuchObject");
}

TEST(SnmpAgent, V2cGetNextMissIsEndOfMibView) {
  auto req = decode_request(read_testdata("snmpgetnext_v1.bin")).value();
  req.version = Version::v2c;
  auto r = decode_response(encode_get_response(req, {std::nullopt}).value()).value();
  EXPECT_EQ(r.varbinds[0].value.type, ValueType::end_of_mib_view);
}

TEST(SnmpAgent, V1MissIsNoSuchNameWithIndex) {
  Message req;
  req.version = Version::v1;
  req.community = "public";
  req.request_id = 7;
  req.varbinds = {{oid(kSysDescr), {}}, {oid(kSysName), {}}};
  auto r = decode_response(
               encode_get_response(req, {VarBind{oid(kSysDescr), Value::octets("x")}, std::nullopt}).value())
               .value();
  EXPECT_EQ(r.version, Version::v1);
  EXPECT_EQ(r.error_status, static_cast<int32_t>(ErrorStatus::no_such_name));
  EXPECT_EQ(r.error_index, 2);
  EXPECT_EQ(r.varbinds, req.varbinds);  // echoed
  EXPECT_FALSE(encode_get_response(req, {std::nullopt}).ok());  // count mismatch
  auto err = decode_response(encode_error_response(req, ErrorStatus::gen_err, 1).value()).value();
  EXPECT_EQ(err.error_status, 5);
}

// A GetResponse as sent by net-snmp's snmpd (handmade from its well-known layout):
// sysDescr "Linux", sysObjectID 1.3.6.1.4.1.8072.3.2.10, sysUpTime 12345, IpAddress, Counter32,
// Gauge32, Counter64, negative INTEGER, noSuchInstance.
TEST(SnmpManager, DecodesAllValueTypes) {
  Message m;
  m.pdu = PduType::get_response;
  m.community = "public";
  m.request_id = -5;
  m.varbinds = {
      {oid(kSysDescr), Value::octets("Linux")},
      {oid(kSysObjectId), Value::object_id(oid("1.3.6.1.4.1.8072.3.2.10"))},
      {oid(kSysUpTime), Value::time_ticks(12345)},
      {oid("1.3.6.1.2.1.4.20.1.1.10.0.0.1"), Value::ip_address(10, 0, 0, 1)},
      {oid("1.3.6.1.2.1.2.2.1.10.1"), Value::counter32(4294967295u)},
      {oid("1.3.6.1.2.1.2.2.1.5.1"), Value::gauge32(1000000000)},
      {oid("1.3.6.1.2.1.31.1.1.1.6.1"), Value::counter64(18446744073709551615ull)},
      {oid("1.3.6.1.2.1.1.7.0"), Value::make_integer(-129)},
      {oid("1.3.6.1.2.1.1.9.9.9"), Value::exception(ValueType::no_such_instance)},
      {oid("1.3.6.1.2.1.1.4.0"), Value::octets(std::string("\x00\xff", 2))},
  };
  auto bytes = encode_message(m).value();
  auto d = decode_response(bytes);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->varbinds, m.varbinds);
  EXPECT_EQ(d->request_id, -5);
  EXPECT_EQ(d->varbinds[3].value.to_string(), "10.0.0.1");
  EXPECT_EQ(d->varbinds[9].value.to_string(), "00ff");
  EXPECT_EQ(d->varbinds[6].value.to_string(), "18446744073709551615");
}

// Exact bytes for a small response, checked by hand against X.690.
TEST(SnmpManager, DecodesHandmadeResponse) {
  const std::string bytes = unhex(
      "3029 020101 0406 7075626c6963 a21c 020101 020100 020100 3011"
      "300f 0608 2b06010201010300 4303 01e240");  // sysUpTime = 123456
  auto m = decode_response(bytes);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->varbinds[0].value.type, ValueType::time_ticks);
  EXPECT_EQ(m->varbinds[0].value.unsigned_value, 123456u);
  // Lenient on a Counter32 sent without its leading zero (ff ff ff ff).
  auto lenient = unhex("302a 020101 0406 7075626c6963 a21d 020101 020100 020100 3012"
                       "3010 0608 2b06010201010300 4104 ffffffff");
  EXPECT_EQ(decode_response(lenient).value().varbinds[0].value.unsigned_value, 4294967295u);
  // A request is not a response and vice versa.
  EXPECT_FALSE(decode_request(bytes).ok());
  EXPECT_FALSE(decode_response(read_testdata("snmpget_v2c_sysdescr.bin")).ok());
}

TEST(SnmpHostile, TruncationsAreErrors) {
  const std::string good = read_testdata("snmpget_v2c_sysdescr.bin");
  ASSERT_TRUE(decode_message(good).ok());
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_FALSE(decode_message(good.substr(0, n)).ok()) << n;
  EXPECT_FALSE(decode_message(good + std::string(1, '\0')).ok());  // trailing byte
}

TEST(SnmpHostile, LengthsAndTags) {
  // Indefinite length.
  EXPECT_FALSE(decode_message(unhex("3080 020101 0000")).ok());
  // Length of 5 octets / huge long-form length.
  EXPECT_FALSE(decode_message(unhex("3085 0000000003 020101")).ok());
  EXPECT_FALSE(decode_message(unhex("3084 ffffffff 020101")).ok());
  // Inner length larger than the outer container.
  EXPECT_FALSE(decode_message(unhex("3005 0210 01")).ok());
  // Multi-octet tag.
  EXPECT_FALSE(decode_message(unhex("1f8101 00")).ok());
  // SNMPv3 and v1 trap are refused explicitly.
  auto v3 = decode_message(unhex("3003 020103"));
  ASSERT_FALSE(v3.ok());
  EXPECT_NE(v3.error().message.find("v3"), std::string::npos);
  // INTEGER too long for int32 request-id.
  EXPECT_FALSE(decode_message(unhex("3017 020101 0406 7075626c6963 a00a 020501ffffffff 020100 020100 3000")).ok());
  // IpAddress of 5 octets.
  EXPECT_FALSE(decode_message(unhex("3021 020101 0406 7075626c6963 a214 020101 020100 020100 3009"
                                    "3007 06012b 400500")).ok());
}

TEST(SnmpHostile, DeepNestingIsRefusedWithoutRecursion) {
  // 3000 nested SEQUENCEs with correct long-form lengths.
  std::string msg = unhex("0500");
  for (int i = 0; i < 3000; ++i) {
    std::string len;
    if (msg.size() < 128) len = std::string(1, static_cast<char>(msg.size()));
    else len = std::string{'\x82', static_cast<char>(msg.size() >> 8), static_cast<char>(msg.size() & 0xff)};
    msg = "\x30" + len + msg;
  }
  EXPECT_FALSE(decode_message(msg).ok());
}

TEST(SnmpHostile, HugeCountsAndSizes) {
  // More than kMaxVarbinds varbinds.
  Message m;
  m.pdu = PduType::get_response;
  for (std::size_t i = 0; i < kMaxVarbinds; ++i) m.varbinds.push_back({oid("1.3.6"), {}});
  auto ok = encode_message(m);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(decode_message(*ok).ok());
  m.varbinds.push_back({oid("1.3.6"), {}});
  EXPECT_FALSE(encode_message(m).ok());
  // Hand-build a list with 513 varbinds and decode it.
  std::string list;
  for (int i = 0; i < 513; ++i) list += unhex("3005 06012b 0500");
  std::string pdu = unhex("020101 020100 020100") + "\x30\x82" + std::string{char(list.size() >> 8), char(list.size() & 0xff)} + list;
  std::string body = unhex("020101 0406 7075626c6963") + "\xa2\x82" + std::string{char(pdu.size() >> 8), char(pdu.size() & 0xff)} + pdu;
  std::string msg = std::string("\x30\x82") + std::string{char(body.size() >> 8), char(body.size() & 0xff)} + body;
  auto r = decode_message(msg);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("too many"), std::string::npos);
  // Over 64 KiB in total.
  EXPECT_FALSE(decode_message(std::string(kMaxMessageBytes + 1, '\x30')).ok());
  Message big;
  big.pdu = PduType::get_response;
  big.varbinds = {{oid("1.3.6"), Value::octets(std::string(70000, 'a'))}};
  EXPECT_FALSE(encode_message(big).ok());
}

TEST(SnmpEncode, RefusesWhatV1CannotCarry) {
  Message m;
  m.version = Version::v1;
  m.pdu = PduType::get_response;
  m.varbinds = {{oid("1.3.6"), Value::counter64(1)}};
  EXPECT_FALSE(encode_message(m).ok());
  m.varbinds = {{oid("1.3.6"), Value::exception(ValueType::end_of_mib_view)}};
  EXPECT_FALSE(encode_message(m).ok());
  EXPECT_FALSE(encode_request(Version::v2c, "public", PduType::set_request, 1, {oid("1.3.6")}).ok());
  EXPECT_FALSE(encode_request(Version::v2c, "public", PduType::get_request, 1, {}).ok());
}

}  // namespace
}  // namespace mamori::proto::snmp
