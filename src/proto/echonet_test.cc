#include "proto/echonet.h"

#include <gtest/gtest.h>

#include "proto/test_util.h"

namespace mamori::proto::echonet {
namespace {

using mamori::proto::testing::hex;
using mamori::proto::testing::unhex;

TEST(EchonetController, NodeProfileGetBytes) {
  // EHD 1081, TID 0001, SEOJ 05FF01, DEOJ 0EF001, ESV 62, OPC 4, (8A 00)(D6 00)(83 00)(82 00).
  EXPECT_EQ(hex(encode_node_profile_get(1)), "10810001" "05ff01" "0ef001" "62" "04" "8a00d600830082" "00");
}

// A Get_Res as a low-voltage smart meter (maker 0x000005) answers the node-profile probe:
// D6 = 1 instance 028801; 83 = FE 000005 + 13 bytes; 82 = version 1.13 format type 01 01.
const char* kSmartMeterGetRes =
    "1081 0001 0ef001 05ff01 72 04"
    "8a 03 000005"
    "d6 04 01 028801"
    "83 11 fe000005 00112233445566778899aabbcc"
    "82 04 010d0101";

TEST(EchonetController, DecodesSmartMeterReply) {
  auto f = decode_get_reply(unhex(kSmartMeterGetRes));
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->tid, 1);
  EXPECT_EQ(f->seoj, kNodeProfile);
  EXPECT_EQ(f->deoj, kController);
  EXPECT_EQ(esv_name(f->esv), "Get_Res");
  ASSERT_EQ(f->properties.size(), 4u);
  EXPECT_EQ(format_manufacturer_code(parse_manufacturer_code(f->properties[0].edt).value()), "0x000005");
  auto list = parse_instance_list(f->properties[1].edt).value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].str(), "0x028801");
  EXPECT_EQ(class_name(list[0].class_id()), "low-voltage smart electric energy meter");
  EXPECT_EQ(class_group_name(list[0].class_group), "housing/facility-related device");
  EXPECT_EQ(parse_identification_number(f->properties[2].edt).value(),
            "fe00000500112233445566778899aabbcc");
  EXPECT_EQ(parse_version_info(f->properties[3].edt).value(), "1.13");
}

TEST(EchonetDevice, AnswersGetWithResOrSna) {
  auto req = decode_get_request(encode_node_profile_get(0x1234));
  ASSERT_TRUE(req.ok()) << req.error().message;
  PropertyMap props = {
      {epc::kManufacturerCode, encode_manufacturer_code(0x000005)},
      {epc::kSelfNodeInstanceListS, encode_instance_list({{0x02, 0x88, 0x01}})},
      {epc::kIdentificationNumber, unhex("fe00000500112233445566778899aabbcc")},
      {epc::kVersionInfo, unhex("010d0101")},
  };
  auto res = build_get_reply(*req, kNodeProfile, props);
  ASSERT_TRUE(res.ok());
  std::string expected = unhex(kSmartMeterGetRes);
  expected[2] = 0x12;
  expected[3] = 0x34;
  EXPECT_EQ(hex(*res), hex(expected));
  props.erase(epc::kIdentificationNumber);
  auto sna = decode_get_reply(build_get_reply(*req, kNodeProfile, props).value()).value();
  EXPECT_EQ(sna.esv, static_cast<uint8_t>(Esv::get_sna));
  EXPECT_EQ(sna.properties[2], (Property{epc::kIdentificationNumber, ""}));
  EXPECT_EQ(sna.properties[0].edt, unhex("000005"));
  EXPECT_FALSE(build_get_reply(sna, kNodeProfile, props).ok());
  EXPECT_FALSE(decode_get_request(encode(sna).value()).ok());
}

TEST(EchonetCodec, SetGetHasTwoListsAndRoundTrips) {
  Frame f{7, kController, {0x01, 0x30, 0x01}, static_cast<uint8_t>(Esv::set_get),
          {{0x80, "\x30"}}, {{0xB0, ""}, {0xB3, ""}}};
  auto b = encode(f).value();
  EXPECT_EQ(hex(b), "10810007" "05ff01" "013001" "6e" "01" "800130" "02" "b000b300");
  EXPECT_EQ(decode(b).value(), f);
  EXPECT_EQ(class_name(f.deoj.class_id()), "home air conditioner");
  Frame bad{1, kController, kNodeProfile, 0x62, {{0x80, ""}}, {{0x80, ""}}};
  EXPECT_FALSE(encode(bad).ok());
  bad.get_properties.clear();
  bad.properties[0].edt = std::string(256, 'x');
  EXPECT_FALSE(encode(bad).ok());
}

TEST(EchonetHostile, MalformedFrames) {
  const std::string good = unhex(kSmartMeterGetRes);
  ASSERT_TRUE(decode(good).ok());
  for (std::size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(decode(good.substr(0, n)).ok()) << n;
  EXPECT_FALSE(decode(good + "x").ok());
  EXPECT_FALSE(decode(unhex("1082 0001 05ff01 0ef001 62 00")).ok());   // format 2
  EXPECT_FALSE(decode(unhex("1181 0001 05ff01 0ef001 62 00")).ok());   // EHD1
  EXPECT_FALSE(decode(unhex("1081 0001 05ff01 0ef001 72 01 8a ff 00")).ok());  // PDC overflow
  EXPECT_FALSE(decode(unhex("1081 0001 05ff01 0ef001 72 ff 8a 00")).ok());     // OPC 255, 1 present
  EXPECT_FALSE(decode(unhex("1081 0001 05ff01 0ef001 6e 00")).ok());  // SetGet without OPCGet
  EXPECT_FALSE(decode(std::string(kMaxFrameBytes + 1, '\x10')).ok());
  // OPC 255 with 255 empty properties is fine.
  std::string full = unhex("1081 0001 05ff01 0ef001 62 ff");
  for (int i = 0; i < 255; ++i) full += unhex("8000");
  EXPECT_EQ(decode(full).value().properties.size(), 255u);
}

TEST(EchonetValues, Helpers) {
  EXPECT_FALSE(parse_manufacturer_code("ab").ok());
  EXPECT_EQ(format_manufacturer_code(0x00000B), "0x00000B");
  EXPECT_FALSE(parse_instance_list("").ok());
  EXPECT_FALSE(parse_instance_list(unhex("02 028801")).ok());   // count says 2, one present
  EXPECT_FALSE(parse_instance_list(unhex("ff")).ok());
  EXPECT_TRUE(parse_instance_list(unhex("00")).value().empty());
  auto two = parse_instance_list(unhex("02 028801 013001")).value();
  EXPECT_EQ(two[1], (Eoj{0x01, 0x30, 0x01}));
  EXPECT_EQ(parse_appendix_release(unhex("00004a00")).value(), 'J');
  EXPECT_FALSE(parse_appendix_release(unhex("00000000")).ok());
  EXPECT_FALSE(parse_version_info("abc").ok());
  EXPECT_FALSE(parse_identification_number(std::string(16, 'a')).ok());
  EXPECT_EQ(class_name(0x05FF), "controller");
  EXPECT_EQ(class_name(0x0EF0), "node profile");
  EXPECT_EQ(class_name(0x027B), "floor heater");
  EXPECT_EQ(class_name(0x1234), "");
  EXPECT_EQ(Eoj::from(0x0EF001), kNodeProfile);
  std::vector<Eoj> many(100, kNodeProfile);
  EXPECT_EQ(parse_instance_list(encode_instance_list(many)).value().size(), 84u);
}

}  // namespace
}  // namespace mamori::proto::echonet
