// The device label (見える化): one page listing each measure of the seed paper as verified,
// failed or not verifiable from the network, with the date, vantage, Mamori and catalog
// versions, and a plain sentence on what the label does not guarantee. Pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mamori {

struct LabelInput {
  nlohmann::json device;                         // the `device` record
  std::map<std::string, nlohmann::json> verdicts;  // requirement id -> `verdict` record
  std::string scan_time;                         // RFC 3339, from the scan's start record
  std::string vantage;                           // "" when the scan did not say
  std::string mamori_version;
  std::string catalog_version;
  std::string lang = "en";  // en or ja
};

// The measures on the label, in the seed paper's order (requirement ids of data/policy).
const std::vector<std::string>& label_measures();

// A self-contained SVG (no external references). Text is XML-escaped.
std::string label_svg(const LabelInput& in);
// The SVG inside a minimal HTML page (no scripts, no fetches).
std::string label_html(const LabelInput& in);
// The SVG alone on a page without margins, and its size in pixels: what a browser renders to a
// PNG of exactly the label (`mamori label --format png`).
std::string label_bare_html(const LabelInput& in);
int label_width();
int label_height();

}  // namespace mamori
