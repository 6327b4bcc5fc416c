#include "report/label.h"

#include <fmt/format.h>

#include "core/text.h"

namespace mamori {
namespace {

std::string esc(const std::string& s) { return xml_escape(s); }

struct Measure {
  const char* id;
  const char* en;
  const char* ja;
};

// Layout of the label (pixels): rows of measures below a header.
constexpr int kRow = 44, kTop = 150;

const Measure kMeasures[] = {
    {"JEITA-PORTS", "Unneeded ports closed", "不要なポートを閉じている"},
    {"JEITA-AUTH", "ID/password authentication", "ID/パスワードによる認証"},
    {"JEITA-INITIAL-PASSWORD", "No default password accepted", "初期パスワードでログインできない"},
    {"JEITA-PASSWORD-CHANGE", "Password can be changed", "パスワードを変更できる"},
    {"JEITA-TLS", "Encrypted communication (TLS)", "暗号化通信（TLS）"},
    {"JEITA-FIRMWARE-UPDATE", "Firmware updates", "ファームウェアの更新"},
};

struct Look {
  const char* en;
  const char* ja;
  const char* color;
  const char* mark;
};

Look look(const std::string& status) {
  if (status == "pass") return {"verified", "確認済み", "#1b7f3b", "\u2713"};
  if (status == "fail") return {"failed", "不適合", "#b3261e", "\u2717"};
  if (status == "declared") return {"declared by maker", "メーカー申告", "#5a5a9a", "\u2139"};
  if (status == "not_applicable") return {"not applicable", "該当なし", "#6b6b6b", "\u2013"};
  return {"not verifiable from the network", "ネットワークからは確認できない", "#8a6d00", "?"};
}

}  // namespace

const std::vector<std::string>& label_measures() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    for (const auto& m : kMeasures) out.emplace_back(m.id);
    return out;
  }();
  return v;
}

std::string label_svg(const LabelInput& in) {
  const bool ja = in.lang == "ja";
  const int width = label_width(), row = kRow, top = kTop;
  const int height = label_height();
  auto str = [](const nlohmann::json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string ip = str(in.device, "ip");
  std::string what = str(in.device, "vendor");
  if (!str(in.device, "model").empty()) what += (what.empty() ? "" : " ") + str(in.device, "model");
  if (what.empty()) what = str(in.device, "category");
  std::string form = str(in.device, "connection_form");

  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" role=\"img\">\n"
      "<rect x=\"1\" y=\"1\" width=\"{2}\" height=\"{3}\" fill=\"#ffffff\" stroke=\"#222\" stroke-width=\"2\" rx=\"10\"/>\n",
      width, height, width - 2, height - 2);
  s += fmt::format("<text x=\"24\" y=\"44\" font-size=\"24\" font-weight=\"bold\">{}</text>\n",
                   ja ? "Mamori セキュリティ確認ラベル" : "Mamori security check label");
  s += fmt::format("<text x=\"24\" y=\"74\" font-size=\"16\">{} {}</text>\n", esc(what), esc(ip));
  s += fmt::format("<text x=\"24\" y=\"98\" font-size=\"13\" fill=\"#444\">{}: {}   {}: {}</text>\n",
                   ja ? "確認日時" : "Checked", esc(in.scan_time.empty() ? "-" : in.scan_time),
                   ja ? "確認した場所" : "Vantage", esc(in.vantage.empty() ? "not stated" : in.vantage));
  s += fmt::format("<text x=\"24\" y=\"118\" font-size=\"13\" fill=\"#444\">{}: {}   Mamori {}   {} {}</text>\n",
                   ja ? "接続形態" : "Connection form", esc(form.empty() ? "unknown" : form), esc(in.mamori_version),
                   ja ? "基準カタログ" : "catalog", esc(in.catalog_version));
  int y = top;
  for (const auto& m : kMeasures) {
    auto it = in.verdicts.find(m.id);
    std::string status = it == in.verdicts.end() ? "not_verifiable" : it->second.value("status", "not_verifiable");
    Look l = look(status);
    s += fmt::format("<g data-requirement=\"{}\" data-status=\"{}\">\n", m.id, esc(status));
    s += fmt::format("<rect x=\"20\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f6f6f6\" rx=\"6\"/>\n", y, width - 40,
                     row - 6);
    s += fmt::format("<text x=\"36\" y=\"{}\" font-size=\"22\" fill=\"{}\">{}</text>\n", y + 27, l.color, l.mark);
    s += fmt::format("<text x=\"70\" y=\"{}\" font-size=\"15\">{}</text>\n", y + 25, ja ? m.ja : m.en);
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"14\" text-anchor=\"end\" fill=\"{}\" "
                     "font-weight=\"bold\">{}</text>\n",
                     width - 36, y + 25, l.color, ja ? l.ja : l.en);
    s += "</g>\n";
    y += row;
  }
  const char* caveat_en[] = {
      "This label states what Mamori observed from the network on the date above, over the ports",
      "scanned and the credentials tried (bounded lists). It does not guarantee the device is secure,",
      "and says nothing about what could not be tested from the network (updates, documentation)."};
  const char* caveat_ja[] = {
      "このラベルは上記の日時にネットワークから確認した結果です（調べたポートと試した認証情報の範囲）。",
      "機器が安全であることを保証するものではなく、ネットワークから確認できない事項",
      "（アップデートの提供、文書など）については何も示していません。"};
  y += 22;
  for (int i = 0; i < 3; ++i) {
    s += fmt::format("<text x=\"24\" y=\"{}\" font-size=\"12\" fill=\"#333\">{}</text>\n", y + i * 18,
                     ja ? caveat_ja[i] : caveat_en[i]);
  }
  s += "</svg>\n";
  return s;
}

std::string label_bare_html(const LabelInput& in) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      "<style>body{{margin:0;background:#fff}}svg{{display:block}}</style></head>\n<body>\n{}</body></html>\n",
      in.lang == "ja" ? "ja" : "en", label_svg(in));
}

int label_width() { return 640; }
int label_height() { return kTop + kRow * static_cast<int>(std::size(kMeasures)) + 120; }

std::string label_html(const LabelInput& in) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      "<title>Mamori label {}</title>\n<style>body{{margin:24px;background:#fff}}</style></head>\n"
      "<body>\n{}</body></html>\n",
      in.lang == "ja" ? "ja" : "en",
      esc(in.device.is_object() && in.device.contains("ip") && in.device["ip"].is_string()
              ? in.device["ip"].get<std::string>()
              : std::string()),
      label_svg(in));
}

}  // namespace mamori
