#include "store/report.h"
#include "core/json_fields.h"
#include "core/text.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "store/store.h"

namespace mamori::store {
namespace {

using nlohmann::json;

const char* const kSeverities[] = {"critical", "high", "medium", "low", "info"};


struct Device {
  std::string ip;
  json device = json::object();  // the `device` record, if any
  std::vector<json> ports, services, findings, verdicts, credentials, tls;
  std::vector<std::pair<std::string, std::string>> keys;
};

struct Model {
  json start = json::object(), end = json::object();
  std::string scan_id;
  std::map<std::string, Device> devices;  // by address text
  std::vector<std::string> order;         // first appearance
};

Model build(const std::vector<json>& records) {
  Model m;
  for (const json& r : records) {
    if (!r.is_object()) continue;
    const std::string type = field_str(r, "type");
    if (m.scan_id.empty()) m.scan_id = field_str(r, "scan_id");
    if (type == "scan") {
      (field_str(r, "phase") == "end" ? m.end : m.start) = r;
      continue;
    }
    const std::string ip = field_str(r, "ip");
    if (ip.empty()) continue;
    if (type == "port" && field_str(r, "state") != "open") continue;
    auto [it, fresh] = m.devices.try_emplace(ip);
    Device& d = it->second;
    if (fresh) {
      d.ip = ip;
      m.order.push_back(ip);
    }
    for (auto& k : identity_keys(r)) {
      if (std::find(d.keys.begin(), d.keys.end(), k) == d.keys.end()) d.keys.push_back(k);
    }
    if (type == "device") d.device = r;
    else if (type == "port") d.ports.push_back(r);
    else if (type == "service") d.services.push_back(r);
    else if (type == "finding") d.findings.push_back(r);
    else if (type == "verdict") d.verdicts.push_back(r);
    else if (type == "credential") d.credentials.push_back(r);
    else if (type == "tls") d.tls.push_back(r);
  }
  return m;
}

int severity_rank(const std::string& s) {
  for (int i = 0; i < 5; ++i)
    if (s == kSeverities[i]) return i;
  return 5;
}

struct Texts {
  const char *title, *scan, *started, *ended, *vantage, *targets, *complete, *incomplete, *summary,
      *devices, *open_ports, *services, *findings, *by_severity, *by_category, *device, *identity,
      *category, *vendor, *model, *firmware, *connection, *port, *service, *product, *check, *severity,
      *evidence, *verdicts, *requirement, *status, *reason, *credentials, *outcome, *none, *caveat,
      *unknown, *trend, *by_form;
};
const Texts kEn{"Mamori report", "Scan", "Started", "Ended", "Vantage", "Targets", "complete",
                "incomplete (interrupted or still running)", "Summary", "Devices", "Open ports", "Services",
                "Findings", "Findings by severity", "Findings by device category", "Device", "Identity",
                "Category", "Vendor", "Model", "Firmware", "Connection form", "Port", "Service", "Product",
                "Check", "Severity", "Evidence", "Requirement verdicts", "Requirement", "Status", "Reason",
                "Credential audit", "Outcome", "none",
                "What this report shows was observed from the network at the time of the scan; it does not "
                "prove the absence of weaknesses Mamori does not test.",
                "unknown", "Findings per scan (trend)", "Findings by connection form"};
const Texts kJa{"Mamori 診断レポート", "スキャン", "開始", "終了", "観測地点", "対象", "完了",
                "未完了（中断または実行中）", "概要", "機器", "開いているポート", "サービス", "検出事項",
                "重大度別の検出事項", "機器カテゴリ別の検出事項", "機器", "識別情報", "カテゴリ", "ベンダー",
                "モデル", "ファームウェア", "接続形態", "ポート", "サービス", "製品", "チェック", "重大度",
                "根拠", "要件の判定", "要件", "判定", "理由", "認証情報の監査", "結果", "なし",
                "このレポートはスキャン時点でネットワークから観測できた内容を示すものであり、Mamori が検査しない"
                "弱点が存在しないことを保証するものではありません。",
                "不明", "スキャンごとの検出事項（推移）", "接続形態別の検出事項"};
const char* severity_label(const std::string& s, bool ja) {
  if (!ja) return nullptr;
  static const std::map<std::string, const char*> m{
      {"critical", "緊急"}, {"high", "高"}, {"medium", "中"}, {"low", "低"}, {"info", "情報"}};
  auto it = m.find(s);
  return it == m.end() ? nullptr : it->second;
}

std::string finding_title(const json& f, const ReportOptions& o) {
  const bool ja = o.lang == "ja";
  std::string t = field_str(f, ja ? "title_ja" : "title");
  if (t.empty()) {
    auto it = o.titles.find(field_str(f, "check_id"));
    if (it != o.titles.end()) t = ja ? it->second.second : it->second.first;
  }
  if (t.empty()) t = field_str(f, ja ? "title" : "title_ja");
  if (t.empty()) t = field_str(f, "check_id");
  return t;
}

std::string esc(const std::string& s) { return xml_escape(s); }

std::string safe_dump(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string port_text(const json& r) {
  auto p = field_port(r);
  if (!p) return "";
  std::string proto = field_str(r, "proto");
  return std::to_string(*p) + (proto.empty() ? "" : "/" + proto);
}

std::map<std::string, int> count_by_severity(const Model& m) {
  std::map<std::string, int> c;
  for (const auto& [ip, d] : m.devices)
    for (const auto& f : d.findings) c[field_str(f, "severity")]++;
  return c;
}
std::map<std::string, int> count_by_category(const Model& m, const std::string& unknown) {
  std::map<std::string, int> c;
  for (const auto& [ip, d] : m.devices) {
    if (d.findings.empty()) continue;
    std::string cat = field_str(d.device, "category");
    c[cat.empty() ? unknown : cat] += static_cast<int>(d.findings.size());
  }
  return c;
}

// Findings by the connection form of their device (the `device` record's connection_form:
// direct, port_forwarded, nat, lan_only...; none recorded counts as `unknown`).
std::map<std::string, int> count_by_form(const Model& m, const std::string& unknown) {
  std::map<std::string, int> c;
  for (const auto& [ip, d] : m.devices) {
    if (d.findings.empty()) continue;
    std::string form = field_str(d.device, "connection_form");
    c[form.empty() ? unknown : form] += static_cast<int>(d.findings.size());
  }
  return c;
}

// A horizontal bar chart as inline SVG.
std::string svg_bars(const std::vector<std::pair<std::string, int>>& bars, const std::string& label) {
  int max = 1;
  for (const auto& b : bars) max = std::max(max, b.second);
  const int row = 22, width = 520, label_w = 150, bar_w = width - label_w - 50;
  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\">",
      esc(label), width, row * std::max<size_t>(bars.size(), 1) + 4, width, row * std::max<size_t>(bars.size(), 1) + 4);
  int y = 2;
  for (const auto& [name, n] : bars) {
    int w = n * bar_w / max;
    std::string cls = severity_rank(name) < 5 ? " class=\"sev-" + name + "\"" : "";
    o += fmt::format("<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text>", y + 15, esc(name));
    o += fmt::format("<rect{} x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\" fill=\"#4a6fa5\"/>", cls, label_w, y + 2,
                     std::max(w, 1));
    o += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"13\">{}</text>", label_w + w + 6, y + 15, n);
    y += row;
  }
  return o + "</svg>";
}

std::string html(const Model& m, const ReportOptions& o) {
  const bool ja = o.lang == "ja";
  const Texts& t = ja ? kJa : kEn;
  std::string h;
  h += fmt::format("<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">", ja ? "ja" : "en");
  // No fetches of any kind: the policy forbids every source but inline style and data: images.
  h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
       "img-src data:\">";
  h += fmt::format("<title>{} {}</title>", esc(t.title), esc(m.scan_id));
  h += R"(<style>
body{font-family:system-ui,"Hiragino Sans","Noto Sans CJK JP",sans-serif;margin:2em;color:#222;max-width:70em}
h1{font-size:1.6em}h2{border-bottom:2px solid #4a6fa5;padding-bottom:.2em}h3{margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#eef2f8}pre{white-space:pre-wrap;word-break:break-all;margin:0;font-size:.85em}
.sev{display:inline-block;padding:0 .5em;border-radius:3px;color:#fff;font-weight:bold}
.sev-critical{background:#7b1fa2;fill:#7b1fa2}.sev-high{background:#c62828;fill:#c62828}
.sev-medium{background:#ef6c00;fill:#ef6c00}.sev-low{background:#f9a825;fill:#f9a825}.sev-info{background:#607d8b;fill:#607d8b}
.st-pass{color:#2e7d32;font-weight:bold}.st-fail{color:#c62828;font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:2em}.device{border:1px solid #ddd;padding:0 1em 1em;margin:1em 0;border-radius:4px}
.caveat{color:#555;font-size:.9em}
</style></head><body>
)";
  h += fmt::format("<h1>{}</h1>\n<table>", esc(t.title));
  auto row = [&](const char* k, const std::string& v) {
    if (!v.empty()) h += fmt::format("<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
  };
  row(t.scan, m.scan_id);
  row(t.started, field_str(m.start, "time"));
  row(t.ended, field_str(m.end, "time"));
  row(t.vantage, field_str(m.start, "vantage"));
  std::string targets;
  if (auto it = m.start.find("targets"); it != m.start.end() && it->is_array())
    for (const auto& x : *it)
      if (x.is_string()) targets += (targets.empty() ? "" : ", ") + x.get<std::string>();
  row(t.targets, targets);
  auto c = m.end.find("complete");
  row(t.complete, (c != m.end.end() && c->is_boolean() && c->get<bool>()) ? t.complete : t.incomplete);
  h += "</table>\n";

  size_t nports = 0, nservices = 0, nfindings = 0, ndevices = 0;
  for (const auto& [ip, d] : m.devices) {
    nports += d.ports.size();
    nservices += d.services.size();
    nfindings += d.findings.size();
    if (!d.device.empty()) ++ndevices;
  }
  h += fmt::format("<h2>{}</h2>\n<table><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr>"
                   "<tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr></table>\n",
                   esc(t.summary), esc(t.devices), ndevices, esc(t.open_ports), nports, esc(t.services), nservices,
                   esc(t.findings), nfindings);
  auto sev = count_by_severity(m);
  std::vector<std::pair<std::string, int>> sev_bars;
  for (const char* s : kSeverities) sev_bars.emplace_back(s, sev.count(s) ? sev[s] : 0);
  auto cat = count_by_category(m, t.unknown);
  std::vector<std::pair<std::string, int>> cat_bars(cat.begin(), cat.end());
  std::sort(cat_bars.begin(), cat_bars.end(), [](auto& a, auto& b) { return a.second > b.second; });
  h += "<div class=\"charts\">";
  h += fmt::format("<figure><figcaption>{}</figcaption>{}</figure>", esc(t.by_severity), svg_bars(sev_bars, t.by_severity));
  h += fmt::format("<figure><figcaption>{}</figcaption>{}</figure>", esc(t.by_category), svg_bars(cat_bars, t.by_category));
  auto form = count_by_form(m, t.unknown);
  std::vector<std::pair<std::string, int>> form_bars(form.begin(), form.end());
  std::sort(form_bars.begin(), form_bars.end(), [](auto& a, auto& b) { return a.second > b.second; });
  h += fmt::format("<figure class=\"by-form\"><figcaption>{}</figcaption>{}</figure>", esc(t.by_form),
                   svg_bars(form_bars, t.by_form));
  if (o.trend.size() >= 2) {
    std::vector<std::pair<std::string, int>> trend;
    for (const auto& [label, n] : o.trend) trend.emplace_back(label, static_cast<int>(n));
    h += fmt::format("<figure><figcaption>{}</figcaption>{}</figure>", esc(t.trend), svg_bars(trend, t.trend));
  }
  h += "</div>\n";

  h += fmt::format("<h2>{}</h2>\n", esc(t.devices));
  for (const std::string& ip : m.order) {
    const Device& d = m.devices.at(ip);
    std::string name = field_str(d.device, "vendor");
    std::string model = field_str(d.device, "model");
    if (!model.empty()) name += (name.empty() ? "" : " ") + model;
    std::string category = field_str(d.device, "category");
    h += fmt::format("<section class=\"device\"><h3>{}{}{}</h3>\n", esc(ip), name.empty() ? "" : " — ", esc(name));
    h += fmt::format("<h4>{}</h4><table>", esc(t.identity));
    row(t.category, category.empty() ? t.unknown : category);
    row(t.vendor, field_str(d.device, "vendor"));
    row(t.model, model);
    row(t.firmware, field_str(d.device, "firmware"));
    row(t.connection, field_str(d.device, "connection_form"));
    for (const auto& [k, v] : d.keys) row(k.c_str(), v);
    h += "</table>\n";
    if (!d.services.empty() || !d.ports.empty()) {
      h += fmt::format("<h4>{}</h4><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>", esc(t.services), esc(t.port),
                       esc(t.service), esc(t.product));
      std::set<std::string> shown;
      for (const auto& s : d.services) {
        std::string prod = field_str(s, "product");
        std::string ver = field_str(s, "version");
        if (!ver.empty()) prod += " " + ver;
        std::string vend = field_str(s, "vendor");
        if (prod.empty()) prod = vend;
        shown.insert(port_text(s));
        h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", esc(port_text(s)), esc(field_str(s, "service")),
                         esc(prod));
      }
      for (const auto& p : d.ports)
        if (!shown.count(port_text(p)))
          h += fmt::format("<tr><td>{}</td><td></td><td></td></tr>", esc(port_text(p)));
      h += "</table>\n";
    }
    h += fmt::format("<h4>{}</h4>", esc(t.findings));
    if (d.findings.empty()) {
      h += fmt::format("<p>{}</p>", esc(t.none));
    } else {
      std::vector<const json*> fs;
      for (const auto& f : d.findings) fs.push_back(&f);
      std::stable_sort(fs.begin(), fs.end(), [](const json* a, const json* b) {
        return severity_rank(field_str(*a, "severity")) < severity_rank(field_str(*b, "severity"));
      });
      h += fmt::format("<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>", esc(t.severity), esc(t.check),
                       esc(t.port), esc(t.evidence));
      for (const json* f : fs) {
        std::string s = field_str(*f, "severity");
        const char* sl = severity_label(s, ja);
        std::string cls = severity_rank(s) < 5 ? s : "info";
        auto ev = f->find("evidence");
        h += fmt::format("<tr><td><span class=\"sev sev-{}\">{}</span></td><td>{}<br><code>{}</code></td><td>{}</td>"
                         "<td><pre>{}</pre></td></tr>",
                         cls, esc(sl ? sl : s), esc(finding_title(*f, o)), esc(field_str(*f, "check_id")),
                         esc(port_text(*f) + (field_str(*f, "service").empty() ? "" : " " + field_str(*f, "service"))),
                         esc(ev != f->end() ? safe_dump(*ev, 1) : ""));
      }
      h += "</table>\n";
    }
    if (!d.verdicts.empty()) {
      h += fmt::format("<h4>{}</h4><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>", esc(t.verdicts),
                       esc(t.requirement), esc(t.status), esc(t.reason));
      for (const auto& v : d.verdicts) {
        std::string st = field_str(v, "status");
        h += fmt::format("<tr><td>{}</td><td class=\"st-{}\">{}</td><td>{}</td></tr>", esc(field_str(v, "requirement")),
                         esc(st), esc(st), esc(field_str(v, "reason")));
      }
      h += "</table>\n";
    }
    if (!d.credentials.empty()) {
      h += fmt::format("<h4>{}</h4><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>", esc(t.credentials),
                       esc(t.port), esc(t.service), esc(t.outcome));
      for (const auto& cr : d.credentials) {
        std::string out = field_str(cr, "outcome");
        std::string user = field_str(cr, "username");
        // The password is shown exactly as recorded (redacted unless the scan revealed it).
        if (!user.empty()) out += " (" + user + " / " + field_str(cr, "password") + ")";
        h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", esc(port_text(cr)), esc(field_str(cr, "service")),
                         esc(out));
      }
      h += "</table>\n";
    }
    h += "</section>\n";
  }
  h += fmt::format("<p class=\"caveat\">{}</p>\n<p class=\"caveat\">Mamori {}</p>\n</body></html>\n", esc(t.caveat),
                   esc(field_str(m.start, "version")));
  return h;
}

json json_report(const Model& m, const ReportOptions& o) {
  json out = json::object();
  out["scan_id"] = m.scan_id;
  out["start"] = m.start;
  out["end"] = m.end;
  json sev = json::object();
  for (const auto& [k, v] : count_by_severity(m)) sev[k] = v;
  json cat = json::object();
  for (const auto& [k, v] : count_by_category(m, "unknown")) cat[k] = v;
  json form = json::object();
  for (const auto& [k, v] : count_by_form(m, "unknown")) form[k] = v;
  out["summary"] = {{"findings_by_severity", sev}, {"findings_by_category", cat}, {"findings_by_connection_form", form}};
  json devs = json::array();
  for (const std::string& ip : m.order) {
    const Device& d = m.devices.at(ip);
    json dj = {{"ip", ip}, {"device", d.device}, {"ports", d.ports}, {"services", d.services},
               {"verdicts", d.verdicts}, {"credentials", d.credentials}, {"tls", d.tls}};
    json keys = json::object();
    for (const auto& [k, v] : d.keys) keys[k] = v;
    dj["identity"] = keys;
    json fs = json::array();
    for (const auto& f : d.findings) {
      json fj = f;
      fj["display_title"] = finding_title(f, o);
      fs.push_back(fj);
    }
    dj["findings"] = fs;
    devs.push_back(std::move(dj));
  }
  out["devices"] = devs;
  return out;
}

std::string csv(const Model& m, const ReportOptions& o) {
  std::string out = "scan_id,ip,port,proto,service,check_id,severity,title,category,vendor,model\n";
  for (const std::string& ip : m.order) {
    const Device& d = m.devices.at(ip);
    for (const auto& f : d.findings) {
      auto p = field_port(f);
      out += csv_field(m.scan_id) + "," + csv_field(ip) + "," + (p ? std::to_string(*p) : "") + "," +
             csv_field(field_str(f, "proto")) + "," + csv_field(field_str(f, "service")) + "," + csv_field(field_str(f, "check_id")) +
             "," + csv_field(field_str(f, "severity")) + "," + csv_field(finding_title(f, o)) + "," +
             csv_field(field_str(d.device, "category")) + "," + csv_field(field_str(d.device, "vendor")) + "," +
             csv_field(field_str(d.device, "model")) + "\n";
    }
  }
  return out;
}

std::string md_cell(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '|') o += "\\|";
    else if (c == '\n' || c == '\r') o += ' ';
    else if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else o += c;
  }
  return o;
}

std::string markdown(const Model& m, const ReportOptions& o) {
  const bool ja = o.lang == "ja";
  const Texts& t = ja ? kJa : kEn;
  std::string out = fmt::format("# {}\n\n- {}: `{}`\n", t.title, t.scan, md_cell(m.scan_id));
  if (auto s = field_str(m.start, "time"); !s.empty()) out += fmt::format("- {}: {}\n", t.started, md_cell(s));
  if (auto s = field_str(m.start, "vantage"); !s.empty()) out += fmt::format("- {}: {}\n", t.vantage, md_cell(s));
  auto sev = count_by_severity(m);
  out += fmt::format("\n## {}\n\n| {} | {} |\n| --- | --- |\n", t.by_severity, t.severity, t.findings);
  for (const char* s : kSeverities) out += fmt::format("| {} | {} |\n", s, sev.count(s) ? sev[s] : 0);
  out += fmt::format("\n## {}\n", t.devices);
  for (const std::string& ip : m.order) {
    const Device& d = m.devices.at(ip);
    std::string cat = field_str(d.device, "category");
    out += fmt::format("\n### {} ({} {} {})\n\n", md_cell(ip), md_cell(cat.empty() ? t.unknown : cat),
                       md_cell(field_str(d.device, "vendor")), md_cell(field_str(d.device, "model")));
    if (!d.services.empty()) {
      out += fmt::format("| {} | {} | {} |\n| --- | --- | --- |\n", t.port, t.service, t.product);
      for (const auto& s : d.services)
        out += fmt::format("| {} | {} | {} |\n", md_cell(port_text(s)), md_cell(field_str(s, "service")),
                           md_cell(field_str(s, "product")));
      out += "\n";
    }
    if (!d.findings.empty()) {
      out += fmt::format("| {} | {} | {} | {} |\n| --- | --- | --- | --- |\n", t.severity, t.check, t.port, t.evidence);
      for (const auto& f : d.findings) {
        auto ev = f.find("evidence");
        out += fmt::format("| {} | {} (`{}`) | {} | {} |\n", md_cell(field_str(f, "severity")), md_cell(finding_title(f, o)),
                           md_cell(field_str(f, "check_id")), md_cell(port_text(f)),
                           md_cell(ev != f.end() ? safe_dump(*ev) : ""));
      }
      out += "\n";
    }
    if (!d.verdicts.empty()) {
      out += fmt::format("| {} | {} | {} |\n| --- | --- | --- |\n", t.requirement, t.status, t.reason);
      for (const auto& v : d.verdicts)
        out += fmt::format("| {} | {} | {} |\n", md_cell(field_str(v, "requirement")), md_cell(field_str(v, "status")),
                           md_cell(field_str(v, "reason")));
      out += "\n";
    }
  }
  out += fmt::format("\n{}\n", t.caveat);
  return out;
}

std::string xml_esc(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') continue;  // not allowed in XML 1.0
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default: o += static_cast<char>(c);
    }
  }
  return o;
}

std::string nmap_xml(const Model& m) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n";
  out += fmt::format("<nmaprun scanner=\"mamori\" args=\"{}\" startstr=\"{}\" version=\"{}\" xmloutputversion=\"1.05\">\n",
                     xml_esc("mamori scan " + m.scan_id), xml_esc(field_str(m.start, "time")), xml_esc(field_str(m.start, "version")));
  for (const std::string& ip : m.order) {
    const Device& d = m.devices.at(ip);
    if (d.ports.empty() && d.services.empty()) continue;
    out += "<host><status state=\"up\" reason=\"syn-ack\"/>\n";
    out += fmt::format("<address addr=\"{}\" addrtype=\"{}\"/>\n", xml_esc(ip),
                       ip.find(':') != std::string::npos ? "ipv6" : "ipv4");
    for (const auto& [k, v] : d.keys)
      if (k == "mac") out += fmt::format("<address addr=\"{}\" addrtype=\"mac\"/>\n", xml_esc(v));
    out += "<ports>\n";
    std::map<std::pair<std::string, int64_t>, const json*> svc;
    for (const auto& s : d.services)
      if (auto p = field_port(s)) svc[{field_str(s, "proto"), *p}] = &s;
    std::set<std::pair<std::string, int64_t>> done;
    auto emit = [&](const std::string& proto, int64_t port) {
      if (!done.insert({proto, port}).second) return;
      out += fmt::format("<port protocol=\"{}\" portid=\"{}\"><state state=\"open\" reason=\"{}\"/>",
                         xml_esc(proto.empty() ? "tcp" : proto), port, proto == "udp" ? "udp-response" : "syn-ack");
      if (auto it = svc.find({proto, port}); it != svc.end()) {
        const json& s = *it->second;
        out += fmt::format("<service name=\"{}\"", xml_esc(field_str(s, "service")));
        if (auto v = field_str(s, "product"); !v.empty()) out += fmt::format(" product=\"{}\"", xml_esc(v));
        if (auto v = field_str(s, "version"); !v.empty()) out += fmt::format(" version=\"{}\"", xml_esc(v));
        auto tls = s.find("tls");
        if (tls != s.end() && tls->is_boolean() && tls->get<bool>()) out += " tunnel=\"ssl\"";
        out += " method=\"probed\" conf=\"10\"/>";
      }
      out += "</port>\n";
    };
    for (const auto& p : d.ports)
      if (auto n = field_port(p)) emit(field_str(p, "proto"), *n);
    for (const auto& s : d.services)
      if (auto n = field_port(s)) emit(field_str(s, "proto"), *n);
    out += "</ports></host>\n";
  }
  out += "<runstats><finished/></runstats>\n</nmaprun>\n";
  return out;
}

}  // namespace

std::string csv_field(const std::string& s) {
  std::string v = s;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string o = "\"";
  for (char c : v) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

JsonlParse parse_jsonl(const std::string& text) {
  JsonlParse out;
  size_t pos = 0, line = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view l(text.data() + pos, nl - pos);
    pos = nl + 1;
    ++line;
    while (!l.empty() && (l.back() == '\r' || l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
    while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
    if (l.empty()) continue;
    json j = json::parse(l.begin(), l.end(), nullptr, false);
    if (j.is_discarded()) {
      out.errors.push_back(fmt::format("line {}: not valid JSON", line));
    } else if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
      out.errors.push_back(fmt::format("line {}: not a record (a JSON object with a string \"type\")", line));
    } else {
      out.records.push_back(std::move(j));
    }
  }
  return out;
}

bool known_report_format(const std::string& f) {
  return f == "html" || f == "json" || f == "csv" || f == "md" || f == "nmap-xml";
}

std::string render_report(const std::vector<nlohmann::json>& records, const std::string& format,
                          const ReportOptions& options) {
  Model m = build(records);
  if (format == "html") return html(m, options);
  if (format == "json") return safe_dump(json_report(m, options), 2) + "\n";
  if (format == "csv") return csv(m, options);
  if (format == "md") return markdown(m, options);
  if (format == "nmap-xml") return nmap_xml(m);
  return "";
}

}  // namespace mamori::store
