// Reports from the records of one scan (read from the store or a JSON Lines file): HTML (one
// self-contained file), JSON, CSV, Markdown and nmap's XML; English or Japanese.
//
// Contract: the input records are untrusted (a JSONL file from anywhere): every string is escaped
// for the output format, unknown or malformed fields are ignored, nothing throws. Rendering is a
// pure function of the records and options (no clock, no I/O).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace mamori::store {

// One line per record; blank lines skipped. A line that is not a JSON object with a string
// `type` is reported in `errors` ("line N: why") and skipped.
struct JsonlParse {
  std::vector<nlohmann::json> records;
  std::vector<std::string> errors;
};
JsonlParse parse_jsonl(const std::string& text);

struct ReportOptions {
  std::string lang = "en";  // en | ja
  // check_id -> (title, title_ja) from data/checks, for findings that carry no title.
  std::map<std::string, std::pair<std::string, std::string>> titles;
  // Findings per scan, oldest first, up to the reported one (from the store; empty: no trend
  // chart). Label: the scan's start time or id.
  std::vector<std::pair<std::string, int64_t>> trend;
};

// Formats: html, json, csv, md, nmap-xml. False: unknown format.
bool known_report_format(const std::string& format);
std::string render_report(const std::vector<nlohmann::json>& records, const std::string& format,
                          const ReportOptions& options);

// CSV field quoting (RFC 4180) with spreadsheet formula neutralisation (a leading = + - @ gets a
// quote prefix), shared with the notification lists.
std::string csv_field(const std::string& s);

}  // namespace mamori::store
