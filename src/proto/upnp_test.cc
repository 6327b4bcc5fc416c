#include "proto/upnp.h"

#include <gtest/gtest.h>

#include "proto/test_util.h"

namespace mamori::proto::upnp {
namespace {

using mamori::proto::testing::read_testdata;

// Layout as served by miniupnpd 2.x (rootDesc.xml, one line), values made up.
TEST(UpnpDescription, ParsesMiniupnpdIgd) {
  auto d = parse_description(read_testdata("miniupnpd_rootDesc.xml"));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->spec_major, 1);
  EXPECT_EQ(d->spec_minor, 1);
  EXPECT_EQ(d->root.device_type, kIgdDevice1);
  EXPECT_EQ(d->root.friendly_name, "RT-AC68U");
  EXPECT_EQ(d->root.manufacturer, "ASUSTeK Computer Inc.");
  EXPECT_EQ(d->root.model_number, "386.7");
  EXPECT_EQ(d->root.serial_number, "00:11:22:33:44:55");
  EXPECT_EQ(d->root.presentation_url, "http://192.168.1.1/");
  ASSERT_EQ(d->root.devices.size(), 1u);
  ASSERT_EQ(d->root.devices[0].devices.size(), 1u);
  EXPECT_EQ(all_services(*d).size(), 3u);
  auto wan = find_wan_connection(*d);
  ASSERT_TRUE(wan.has_value());
  EXPECT_EQ(wan->service.service_type, kWanIpConnection1);
  EXPECT_EQ(wan->service.control_url, "/ctl/IPConn");
  EXPECT_EQ(wan->device_udn, "uuid:3ddcd1d3-2380-45f5-b069-00112233445c");
  EXPECT_EQ(resolve_url("http://192.168.1.1:49152/rootDesc.xml", wan->service.control_url),
            "http://192.168.1.1:49152/ctl/IPConn");
}

TEST(UpnpDescription, PrefixedElementsPppAndWhitespace) {
  const char* xml = R"(<?xml version="1.0" encoding="utf-8"?>
<u:root xmlns:u="urn:schemas-upnp-org:device-1-0">
 <u:URLBase>http://10.0.0.138:80/</u:URLBase>
 <u:device>
  <u:deviceType> urn:schemas-upnp-org:device:InternetGatewayDevice:1 </u:deviceType>
  <u:friendlyName>Fritz &amp; Co</u:friendlyName>
  <u:deviceList><u:device><u:deviceList><u:device>
   <u:serviceList><u:service>
     <u:serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</u:serviceType>
     <u:controlURL><![CDATA[/upnp/control/wanpppconn1]]></u:controlURL>
   </u:service></u:serviceList>
  </u:device></u:deviceList></u:device></u:deviceList>
 </u:device>
</u:root>)";
  auto d = parse_description(xml);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->root.device_type, kIgdDevice1);
  EXPECT_EQ(d->root.friendly_name, "Fritz & Co");
  EXPECT_EQ(d->url_base, "http://10.0.0.138:80/");
  auto wan = find_wan_connection(*d);
  ASSERT_TRUE(wan);
  EXPECT_EQ(wan->service.service_type, kWanPppConnection1);
  EXPECT_EQ(resolve_url(d->url_base, wan->service.control_url), "http://10.0.0.138:80/upnp/control/wanpppconn1");
}

TEST(UpnpDescription, NotAnIgd) {
  Description d;
  d.root.device_type = "urn:schemas-upnp-org:device:MediaRenderer:1";
  d.root.services = {{"urn:schemas-upnp-org:service:AVTransport:1", "", "", "/ctl", ""}};
  EXPECT_FALSE(find_wan_connection(d).has_value());
}

TEST(UpnpDescription, BuildRoundTrip) {
  Description d;
  d.spec_minor = 1;
  d.root = {"urn:schemas-upnp-org:device:InternetGatewayDevice:1", "Lab <router> & \"co\"", "Mamori Lab",
            "http://example.invalid/", "desc", "LabGW", "1.0", "SN1", "uuid:1", "/", {}, {}};
  Device wan;
  wan.device_type = "urn:schemas-upnp-org:device:WANDevice:1";
  wan.udn = "uuid:2";
  Device conn;
  conn.device_type = "urn:schemas-upnp-org:device:WANConnectionDevice:1";
  conn.udn = "uuid:3";
  conn.services = {{std::string(kWanIpConnection1), "urn:upnp-org:serviceId:WANIPConn1", "/scpd.xml", "/ctl/IPConn",
                    "/evt/IPConn"}};
  wan.devices = {conn};
  d.root.devices = {wan};
  const std::string xml = build_description(d);
  auto back = parse_description(xml);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, d);
  EXPECT_NE(xml.find("Lab &lt;router&gt; &amp; &quot;co&quot;"), std::string::npos);
}

TEST(UpnpResolveUrl, Cases) {
  EXPECT_EQ(resolve_url("http://h:1/a/b.xml", "c"), "http://h:1/a/c");
  EXPECT_EQ(resolve_url("http://h:1/a/b.xml", "/c"), "http://h:1/c");
  EXPECT_EQ(resolve_url("http://h:1", "c"), "http://h:1/c");
  EXPECT_EQ(resolve_url("http://h:1/a/", "http://x/y"), "http://x/y");
  EXPECT_EQ(resolve_url("http://h:1/a?q=/z", "c"), "http://h:1/c");
}

TEST(UpnpXmlSafety, RefusesDoctypeEntitiesAndBombs) {
  const char* billion = R"(<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>
<root><device><friendlyName>&lol2;</friendlyName></device></root>)";
  auto r = parse_description(billion);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("DOCTYPE"), std::string::npos);
  EXPECT_FALSE(parse_description("<root><!-- <!entity x 'y'> --><device/></root>").ok());
  EXPECT_FALSE(parse_description("<root><device/></root><!doctype x>").ok());
  const char* xxe = R"(<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><root><device><UDN>&x;</UDN></device></root>)";
  EXPECT_FALSE(parse_description(xxe).ok());
  EXPECT_FALSE(parse_soap_request(xxe).ok());
  // UTF-16 cannot smuggle a DOCTYPE: the buffer is read as UTF-8 and fails to parse.
  std::string utf16 = "\xff\xfe";
  for (char c : std::string("<!DOCTYPE x><root><device/></root>")) { utf16.push_back(c); utf16.push_back('\0'); }
  EXPECT_FALSE(parse_description(utf16).ok());
  // Size cap.
  std::string big = "<root><device><friendlyName>" + std::string(kMaxXmlBytes, 'a') + "</friendlyName></device></root>";
  EXPECT_FALSE(parse_description(big).ok());
  // Depth cap: 10000 nested elements inside <device>.
  std::string deep = "<root><device>";
  for (int i = 0; i < 10000; ++i) deep += "<x>";
  for (int i = 0; i < 10000; ++i) deep += "</x>";
  deep += "</device></root>";
  auto dr = parse_description(deep);
  ASSERT_FALSE(dr.ok());
  EXPECT_NE(dr.error().message.find("deep"), std::string::npos);
  // Too many devices (flat).
  std::string many = "<root><device><deviceList>";
  for (std::size_t i = 0; i < kMaxDevices; ++i) many += "<device/>";
  many += "</deviceList></device></root>";
  EXPECT_FALSE(parse_description(many).ok());
  // Field too long.
  EXPECT_FALSE(parse_description("<root><device><UDN>" + std::string(kMaxFieldBytes + 1, 'u') + "</UDN></device></root>").ok());
  // Structure.
  EXPECT_FALSE(parse_description("<root/>").ok());
  EXPECT_FALSE(parse_description("<html><device/></html>").ok());
  EXPECT_FALSE(parse_description("<root><device>").ok());
  EXPECT_FALSE(parse_description("").ok());
}

TEST(UpnpSoap, RequestsAreParseableAndReadOnly) {
  const std::string req = build_get_generic_port_mapping_entry_request(kWanIpConnection1, 3);
  auto call = parse_soap_request(req);
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_EQ(call->action, "GetGenericPortMappingEntry");
  EXPECT_EQ(call->service_type, kWanIpConnection1);
  EXPECT_EQ(call->argument("NewPortMappingIndex"), "3");
  auto ip = parse_soap_request(build_get_external_ip_request(kWanPppConnection1)).value();
  EXPECT_EQ(ip.action, "GetExternalIPAddress");
  EXPECT_EQ(ip.service_type, kWanPppConnection1);
  EXPECT_TRUE(ip.arguments.empty());
  EXPECT_EQ(soap_action_header(kWanIpConnection1, "GetExternalIPAddress"),
            "\"urn:schemas-upnp-org:service:WANIPConnection:1#GetExternalIPAddress\"");
}

// As miniupnpd answers (single line, u: prefix).
TEST(UpnpSoap, ParsesResponsesAndFaults) {
  const char* ip =
      "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:GetExternalIPAddressResponse "
      "xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\"><NewExternalIPAddress>203.0.113.7"
      "</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>\r\n";
  auto r = parse_get_external_ip_response(ip);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(std::holds_alternative<std::string>(*r));
  EXPECT_EQ(std::get<std::string>(*r), "203.0.113.7");

  const std::string fault = build_soap_fault(kErrorSpecifiedArrayIndexInvalid, "SpecifiedArrayIndexInvalid");
  auto f = parse_get_generic_port_mapping_entry_response(fault);
  ASSERT_TRUE(f.ok()) << f.error().message;
  ASSERT_TRUE(std::holds_alternative<SoapFault>(*f));
  EXPECT_EQ(std::get<SoapFault>(*f), (SoapFault{713, "SpecifiedArrayIndexInvalid", "UPnPError"}));
  EXPECT_TRUE(std::holds_alternative<SoapFault>(parse_get_external_ip_response(fault).value()));

  PortMapping m{"", 8080, "TCP", 80, "192.168.1.20", true, "cam <web>", 3600};
  auto pm = parse_get_generic_port_mapping_entry_response(build_get_generic_port_mapping_entry_response(kWanIpConnection1, m));
  ASSERT_TRUE(pm.ok()) << pm.error().message;
  EXPECT_EQ(std::get<PortMapping>(*pm), m);
  auto back_ip = parse_get_external_ip_response(build_get_external_ip_response(kWanIpConnection1, "198.51.100.1"));
  EXPECT_EQ(std::get<std::string>(back_ip.value()), "198.51.100.1");
}

TEST(UpnpSoap, MalformedResponses) {
  // Wrong action response.
  EXPECT_FALSE(parse_get_external_ip_response(build_get_external_ip_request(kWanIpConnection1)).ok());
  // Out-of-range port.
  PortMapping m{"", 1, "UDP", 1, "10.0.0.2", false, "", 0};
  std::string s = build_get_generic_port_mapping_entry_response(kWanIpConnection1, m);
  std::string bad = s;
  bad.replace(bad.find("<NewExternalPort>1<"), 19, "<NewExternalPort>70000<");
  EXPECT_FALSE(parse_get_generic_port_mapping_entry_response(bad).ok());
  bad = s;
  bad.replace(bad.find("<NewInternalPort>1<"), 19, "<NewInternalPort>-1<");
  EXPECT_FALSE(parse_get_generic_port_mapping_entry_response(bad).ok());
  bad = s;
  bad.erase(bad.find("<NewInternalClient>"), std::string("<NewInternalClient>10.0.0.2</NewInternalClient>").size());
  EXPECT_FALSE(parse_get_generic_port_mapping_entry_response(bad).ok());
  EXPECT_FALSE(parse_get_external_ip_response("<Envelope/>").ok());
  EXPECT_FALSE(parse_get_external_ip_response("<Envelope><Body/></Envelope>").ok());
  EXPECT_FALSE(parse_get_external_ip_response("<x><Body><GetExternalIPAddressResponse/></Body></x>").ok());
  EXPECT_FALSE(parse_get_external_ip_response(
      "<Envelope><Body><GetExternalIPAddressResponse/></Body></Envelope>").ok());  // no IP element
  EXPECT_FALSE(parse_get_external_ip_response(
      "<Envelope><Body><Fault><detail><UPnPError><errorCode>x</errorCode></UPnPError></detail></Fault></Body></Envelope>").ok());
  std::string args = "<Envelope><Body><u:A xmlns:u=\"urn:x\">";
  for (int i = 0; i < 65; ++i) args += "<a/>";
  EXPECT_FALSE(parse_soap_request(args + "</u:A></Body></Envelope>").ok());
}

}  // namespace
}  // namespace mamori::proto::upnp
