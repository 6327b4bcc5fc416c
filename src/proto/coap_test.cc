#include "proto/coap.h"

#include <gtest/gtest.h>

#include "proto/test_util.h"

namespace mamori::proto::coap {
namespace {

using mamori::proto::testing::hex;
using mamori::proto::testing::read_testdata;
using mamori::proto::testing::unhex;

// Captured: `coap-client-notls -m get coap://127.0.0.1:15683/.well-known/core` (libcoap 4.3.1).
TEST(CoapServer, DecodesLibcoapRequest) {
  auto m = decode(read_testdata("coap_client_get_wellknown.bin"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->type, Type::con);
  EXPECT_EQ(m->code, kGet);
  EXPECT_EQ(m->message_id, 0x7793);
  EXPECT_EQ(hex(m->token), "01");
  EXPECT_EQ(m->uri_path(), ".well-known/core");
  EXPECT_EQ(m->uint_option(option::kUriPort), 15683u);
  EXPECT_TRUE(m->payload.empty());
  auto resp = encode_response(*m, kContent, "</>;ct=0", kFormatLinkFormat);
  ASSERT_TRUE(resp.ok());
  auto r = decode(*resp).value();
  EXPECT_EQ(r.type, Type::ack);
  EXPECT_EQ(r.message_id, 0x7793);
  EXPECT_EQ(r.token, m->token);
  EXPECT_EQ(code_str(r.code), "2.05");
  EXPECT_EQ(r.content_format(), 40u);
  EXPECT_EQ(r.payload, "</>;ct=0");
}

// Captured: libcoap's example coap-server-notls answering that request.
TEST(CoapClient, DecodesLibcoapServerResponseAndLinks) {
  auto m = decode(read_testdata("coap_server_wellknown_response.bin"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->type, Type::ack);
  EXPECT_EQ(m->code, kContent);
  EXPECT_EQ(m->message_id, 0x7793);
  EXPECT_EQ(m->content_format(), kFormatLinkFormat);
  auto links = parse_link_format(m->payload);
  ASSERT_TRUE(links.ok()) << links.error().message;
  ASSERT_EQ(links->size(), 4u);
  EXPECT_EQ((*links)[1].target, "/time");
  EXPECT_EQ((*links)[1].attribute("rt"), "ticks");
  EXPECT_EQ((*links)[1].attribute("title"), "Internal Clock");
  EXPECT_EQ((*links)[1].attribute("obs"), "");
  EXPECT_EQ((*links)[1].attribute("sz"), std::nullopt);
}

TEST(CoapClient, EncodeGetMatchesRfcLayout) {
  // CON GET mid 0x1234 token 0xab, Uri-Path ".well-known" (delta 11, len 11), "core" (delta 0).
  auto b = encode_get(Type::con, 0x1234, "\xab", "/.well-known/core");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(hex(*b), "41011234ab" "bb2e77656c6c2d6b6e6f776e" "04636f7265");
  auto q = decode(encode_get(Type::non, 1, "", "a/b?x=1&y").value()).value();
  EXPECT_EQ(q.type, Type::non);
  EXPECT_EQ(q.uri_path(), "a/b");
  ASSERT_EQ(q.options.size(), 4u);
  EXPECT_EQ(q.options[2], (Option{option::kUriQuery, "x=1"}));
  EXPECT_FALSE(encode_get(Type::ack, 1, "", "a").ok());
  EXPECT_FALSE(encode_get(Type::con, 1, "123456789", "a").ok());
}

TEST(CoapCodec, ExtendedDeltasAndLengthsRoundTrip) {
  Message m;
  m.type = Type::non;
  m.code = kNotFound;
  m.message_id = 0xffff;
  m.token = "12345678";
  m.options = {{option::kSize1, "\x01\x00"},                // delta 60: 13-form
               {option::kUriPath, std::string(300, 'p')},   // length 300: 14-form
               {2000, "x"},                                 // delta 1940: 14-form
               {option::kUriPath, std::string(20, 'q')}};   // length 20: 13-form
  m.payload = "not found";
  auto b = encode(m);
  ASSERT_TRUE(b.ok());
  auto d = decode(*b).value();
  EXPECT_EQ(d.options.size(), 4u);
  EXPECT_EQ(d.options[0].number, option::kUriPath);
  EXPECT_EQ(d.options[0].value.size(), 300u);
  EXPECT_EQ(d.options[1].value, std::string(20, 'q'));  // stable order among equal numbers
  EXPECT_EQ(d.options[2].number, option::kSize1);
  EXPECT_EQ(d.options[3].number, 2000);
  EXPECT_EQ(d.payload, "not found");
  EXPECT_EQ(code_str(d.code), "4.04");
  EXPECT_EQ(code_str(kUnauthorized), "4.01");
  EXPECT_EQ(uint_value(0), "");
  EXPECT_EQ(hex(uint_value(15683)), "3d43");
}

TEST(CoapServer, NonRequestGetsNonResponse) {
  Message req;
  req.type = Type::non;
  req.code = kGet;
  req.token = "tk";
  auto r = decode(encode_response(req, kUnauthorized, "", std::nullopt, 99).value()).value();
  EXPECT_EQ(r.type, Type::non);
  EXPECT_EQ(r.message_id, 99);
  EXPECT_EQ(r.token, "tk");
  EXPECT_TRUE(r.options.empty());
  req.type = Type::ack;
  EXPECT_FALSE(encode_response(req, kContent, "", std::nullopt).ok());
}

TEST(CoapHostile, MalformedMessages) {
  EXPECT_FALSE(decode("").ok());
  EXPECT_FALSE(decode(unhex("4101")).ok());          // short header
  EXPECT_FALSE(decode(unhex("81010000")).ok());      // version 2
  EXPECT_FALSE(decode(unhex("49010000")).ok());      // TKL 9
  EXPECT_FALSE(decode(unhex("44010000 0102")).ok()); // token truncated
  EXPECT_FALSE(decode(unhex("40010000 ff")).ok());   // marker without payload
  EXPECT_FALSE(decode(unhex("40010000 f1 00")).ok());  // delta nibble 15
  EXPECT_FALSE(decode(unhex("40010000 1f 00")).ok());  // length nibble 15
  EXPECT_FALSE(decode(unhex("40010000 d1")).ok());     // extended delta missing
  EXPECT_FALSE(decode(unhex("40010000 1e 00")).ok());  // extended length truncated
  EXPECT_FALSE(decode(unhex("40010000 1e ffff")).ok());  // length 65804 > remaining
  EXPECT_FALSE(decode(unhex("40010000 15 6162")).ok());  // length 5 > remaining 2
  // Option numbers summing above 65535.
  EXPECT_FALSE(decode(unhex("40010000 e0 feff e0 feff")).ok());
  // More than kMaxOptions options (each delta 0, empty).
  EXPECT_FALSE(decode(unhex("40010000") + std::string(kMaxOptions + 1, '\x00')).ok());
  EXPECT_TRUE(decode(unhex("40010000") + std::string(kMaxOptions, '\x00')).ok());
  EXPECT_FALSE(decode(std::string(kMaxMessageBytes + 1, '\x40')).ok());
  const std::string good = read_testdata("coap_server_wellknown_response.bin");
  for (std::size_t n : {1, 3, 4, 6}) EXPECT_FALSE(decode(good.substr(0, n)).ok()) << n;  // 5 and 7 are valid prefixes
}

TEST(CoapLinkFormat, ParsesRfc6690Examples) {
  auto l = parse_link_format(R"(</sensors/temp>;rt="temperature";if="sensor",</light>)");
  ASSERT_TRUE(l.ok()) << l.error().message;
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].target, "/sensors/temp");
  EXPECT_EQ((*l)[0].attributes,
            (std::vector<std::pair<std::string, std::string>>{{"rt", "temperature"}, {"if", "sensor"}}));
  EXPECT_EQ((*l)[1].target, "/light");
  EXPECT_TRUE((*l)[1].attributes.empty());
  // Commas and semicolons inside quotes, escapes, whitespace, bare values.
  auto m = parse_link_format(" </a> ; title=\"x, \\\"y\\\"; z\" ; ct=40 ,\n </b>;anchor=\"/x\";ct=0 ");
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].attribute("title"), "x, \"y\"; z");
  EXPECT_EQ((*m)[0].attribute("ct"), "40");
  EXPECT_EQ((*m)[1].attribute("anchor"), "/x");
  EXPECT_TRUE(parse_link_format("").value().empty());
}

TEST(CoapLinkFormat, RoundTrip) {
  std::vector<Link> links = {{"/sensors/temp", {{"rt", "temperature"}, {"if", "sensor"}, {"ct", "0"}}},
                             {"/light", {{"obs", ""}, {"title", "a \"b\", c\\d"}}}};
  const std::string text = format_link_format(links);
  EXPECT_EQ(text.substr(0, 51), R"(</sensors/temp>;rt="temperature";if="sensor";ct=0,<)");
  EXPECT_EQ(parse_link_format(text).value(), links);
}

TEST(CoapLinkFormat, HostileInputs) {
  for (auto bad : {"/a>", "</a", "</a>;", "</a>;=x", "</a>;t=\"open", "</a>,", "</a> </b>", ",</a>", "</a>;t=\"x\"y"})
    EXPECT_FALSE(parse_link_format(bad).ok()) << bad;
  std::string many;
  for (std::size_t i = 0; i <= kMaxLinks; ++i) many += "</a>,";
  many.pop_back();
  EXPECT_FALSE(parse_link_format(many).ok());
  std::string attrs = "</a>";
  for (std::size_t i = 0; i <= kMaxLinkAttributes; ++i) attrs += ";x";
  EXPECT_FALSE(parse_link_format(attrs).ok());
  EXPECT_FALSE(parse_link_format(std::string(kMaxLinkFormatBytes + 1, ' ')).ok());
}

}  // namespace
}  // namespace mamori::proto::coap
