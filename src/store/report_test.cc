#include "store/report.h"

#include <regex>

#include <gtest/gtest.h>

namespace mamori::store {
namespace {

using nlohmann::json;

std::vector<json> sample() {
  const char* text = R"({"type":"scan","phase":"start","scan_id":"S1","time":"2026-11-01T00:00:00Z","version":"0.1.0","targets":["198.18.0.0/24"],"ports":"iot","vantage":"inside"}
{"type":"port","scan_id":"S1","ip":"198.18.0.10","port":80,"proto":"tcp","state":"open"}
{"type":"port","scan_id":"S1","ip":"198.18.0.10","port":554,"proto":"tcp","state":"open"}
{"type":"service","scan_id":"S1","ip":"198.18.0.10","port":80,"proto":"tcp","service":"http","product":"App-webs","evidence":{"wsd.xaddrs":"http://198.18.0.10/onvif"}}
{"type":"device","scan_id":"S1","ip":"198.18.0.10","category":"network_camera","confidence":0.99,"vendor":"Hikvision","model":"DS-2CD2032-I","connection_form":"port_forwarded"}
{"type":"credential","scan_id":"S1","ip":"198.18.0.10","port":80,"service":"http","outcome":"accepted","attempts":2,"username":"admin","password":"1***","list":"defaults"}
{"type":"finding","scan_id":"S1","ip":"198.18.0.10","port":80,"service":"http","check_id":"default-credential","severity":"critical","cia":["C","I","A"],"requirements":["JEITA-INITIAL-PASSWORD"],"evidence":{"username":"admin","password":"1***"},"title":"A known default or weak password is accepted","title_ja":"既知の初期パスワードまたは脆弱なパスワードでログインできる"}
{"type":"finding","scan_id":"S1","ip":"198.18.0.10","port":554,"check_id":"rtsp-stream-open","severity":"high","cia":["C"],"requirements":["JEITA-AUTH"],"evidence":{"path":"<script>alert(1)</script>"}}
{"type":"verdict","scan_id":"S1","ip":"198.18.0.10","requirement":"JEITA-INITIAL-PASSWORD","status":"fail","reason":"default password accepted"}
{"type":"port","scan_id":"S1","ip":"198.18.0.30","port":161,"proto":"udp","state":"open"}
{"type":"service","scan_id":"S1","ip":"198.18.0.30","port":161,"proto":"udp","service":"snmp"}
{"type":"device","scan_id":"S1","ip":"198.18.0.30","category":"mfp","confidence":0.9,"vendor":"Brother"}
{"type":"scan","phase":"end","scan_id":"S1","time":"2026-11-01T00:01:00Z","version":"0.1.0","targets":["198.18.0.0/24"],"ports":"iot","complete":true,"stats":{"hosts_scanned":256,"ports_open":3,"duration_s":60,"packets_sent":1000}}
)";
  auto p = parse_jsonl(text);
  EXPECT_TRUE(p.errors.empty());
  return p.records;
}

TEST(Report, ParseJsonlReportsBadLinesAndKeepsGoodOnes) {
  auto p = parse_jsonl("{\"type\":\"port\",\"scan_id\":\"a\"}\r\n\n  \nnot json\n[1,2]\n{\"type\":3}\n{\"type\":\"x\"}");
  EXPECT_EQ(p.records.size(), 2u);
  ASSERT_EQ(p.errors.size(), 3u);
  EXPECT_EQ(p.errors[0].rfind("line 4:", 0), 0u) << p.errors[0];
  EXPECT_EQ(p.errors[1].rfind("line 5:", 0), 0u);
}

TEST(Report, HtmlIsSelfContainedAndEscaped) {
  std::string h = render_report(sample(), "html", {});
  EXPECT_NE(h.find("Hikvision DS-2CD2032-I"), std::string::npos);
  EXPECT_NE(h.find("Brother"), std::string::npos);
  EXPECT_NE(h.find("<svg"), std::string::npos);
  EXPECT_NE(h.find("JEITA-INITIAL-PASSWORD"), std::string::npos);  // the verdict
  EXPECT_NE(h.find("A known default or weak password is accepted"), std::string::npos);
  EXPECT_EQ(h.find("<script"), std::string::npos);                 // escaped evidence
  EXPECT_NE(h.find("&lt;script&gt;"), std::string::npos);
  // Nothing is fetched: no src/href/url() pointing anywhere; URLs in evidence are text only.
  EXPECT_FALSE(std::regex_search(h, std::regex(R"((src|href)\s*=|url\(|@import|<link|<img|<iframe)",
                                               std::regex::icase)));
  EXPECT_NE(h.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(h.find("Findings per scan"), std::string::npos);  // no trend without history
  std::string t = render_report(sample(), "html", {.trend = {{"2026-10-01", 7}, {"2026-11-01", 2}}});
  EXPECT_NE(t.find("Findings per scan"), std::string::npos);
  EXPECT_NE(t.find(">2026-10-01<"), std::string::npos);
}

TEST(Report, JapaneseUsesTitleJa) {
  std::string h = render_report(sample(), "html", {.lang = "ja"});
  EXPECT_NE(h.find("既知の初期パスワードまたは脆弱なパスワードでログインできる"), std::string::npos);
  EXPECT_NE(h.find("lang=\"ja\""), std::string::npos);
  // A finding without titles takes them from the catalog.
  ReportOptions o{.lang = "ja", .titles = {{"rtsp-stream-open", {"RTSP stream open", "RTSP ストリームが認証なしで見られる"}}}};
  std::string h2 = render_report(sample(), "md", o);
  EXPECT_NE(h2.find("RTSP ストリームが認証なしで見られる"), std::string::npos);
  std::string en = render_report(sample(), "csv", {.titles = o.titles});
  EXPECT_NE(en.find("RTSP stream open"), std::string::npos);
}

TEST(Report, CsvQuotesAndNeutralisesFormulas) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("=cmd()"), "'=cmd()");
  std::string c = render_report(sample(), "csv", {});
  EXPECT_EQ(c.rfind("scan_id,ip,port,proto,service,check_id,severity,title", 0), 0u);
  EXPECT_NE(c.find("S1,198.18.0.10,80,,http,default-credential,critical"), std::string::npos) << c;
}

TEST(Report, JsonHasSummaryAndDevices) {
  json j = json::parse(render_report(sample(), "json", {}));
  EXPECT_EQ(j["scan_id"], "S1");
  EXPECT_EQ(j["summary"]["findings_by_severity"]["critical"], 1);
  EXPECT_EQ(j["summary"]["findings_by_category"]["network_camera"], 2);
  ASSERT_EQ(j["devices"].size(), 2u);
  EXPECT_EQ(j["devices"][0]["verdicts"].size(), 1u);
}

TEST(Report, ChartOfFindingsByConnectionForm) {
  auto recs = sample();
  // A second device with a finding and no connection form recorded.
  recs.insert(recs.end() - 1, json::parse(R"({"type":"finding","scan_id":"S1","ip":"198.18.0.30","port":161,)"
                                          R"("check_id":"snmp-default-community","severity":"high"})"));
  json j = json::parse(render_report(recs, "json", {}));
  EXPECT_EQ(j["summary"]["findings_by_connection_form"], json({{"port_forwarded", 2}, {"unknown", 1}}));
  std::string h = render_report(recs, "html", {});
  auto fig = h.find("<figure class=\"by-form\"><figcaption>Findings by connection form</figcaption><svg");
  ASSERT_NE(fig, std::string::npos);
  auto end = h.find("</figure>", fig);
  std::string chart = h.substr(fig, end - fig);
  EXPECT_NE(chart.find(">port_forwarded</text>"), std::string::npos) << chart;
  EXPECT_NE(chart.find(">unknown</text>"), std::string::npos) << chart;
  size_t bars = 0;
  for (size_t pos = 0; (pos = chart.find("<rect", pos)) != std::string::npos; ++pos) ++bars;
  EXPECT_EQ(bars, 2u);
  ReportOptions ja;
  ja.lang = "ja";
  EXPECT_NE(render_report(recs, "html", ja).find("接続形態別の検出事項"), std::string::npos);
}

TEST(Report, NmapXmlHasHostsPortsAndServices) {
  std::string x = render_report(sample(), "nmap-xml", {});
  EXPECT_NE(x.find("<nmaprun"), std::string::npos);
  EXPECT_NE(x.find("<address addr=\"198.18.0.10\" addrtype=\"ipv4\"/>"), std::string::npos);
  EXPECT_NE(x.find("<port protocol=\"tcp\" portid=\"80\"><state state=\"open\""), std::string::npos);
  EXPECT_NE(x.find("<service name=\"http\" product=\"App-webs\""), std::string::npos);
  EXPECT_NE(x.find("<port protocol=\"udp\" portid=\"161\">"), std::string::npos);
}

TEST(Report, UnknownFormatAndHostileInputDoNotThrow) {
  EXPECT_FALSE(known_report_format("pdf"));
  EXPECT_TRUE(known_report_format("nmap-xml"));
  std::vector<json> bad = {json{{"type", "device"}, {"ip", 5}}, json{{"type", "finding"}, {"ip", "1.2.3.4"}, {"port", "x"}},
                           json{{"type", "scan"}, {"phase", "start"}, {"targets", "notalist"}},
                           json{{"type", "service"}, {"ip", "1.2.3.4"}, {"evidence", std::string("\xff\xfe", 2)}}};
  for (const char* f : {"html", "json", "csv", "md", "nmap-xml"}) EXPECT_NO_THROW(render_report(bad, f, {})) << f;
}

}  // namespace
}  // namespace mamori::store
