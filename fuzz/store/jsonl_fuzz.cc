// fuzz_store_jsonl: a JSON Lines results file from anywhere (`mamori import`, `mamori report
// --input`, `mamori notify --input`): parsed, rendered in every report format and language, and
// ingested into an in-memory store that is then queried (the fleet view too); and the bytes made valid text for
// PostgreSQL. Must never crash, leak or throw.
#include <cstddef>
#include <cstdint>
#include <string>

#include "store/backend.h"
#include "store/report.h"
#include "store/store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mamori::store;
  const std::string text(reinterpret_cast<const char*>(data), size);
  // What the PostgreSQL backend sends for device text: valid UTF-8 without NUL, a fixed point.
  const std::string valid = valid_utf8_text(text);
  if (valid.find('\0') != std::string::npos || valid_utf8_text(valid) != valid) __builtin_trap();
  JsonlParse p = parse_jsonl(text);
  for (const char* format : {"html", "json", "csv", "md", "nmap-xml"}) {
    ReportOptions o;
    o.lang = (size & 1) ? "ja" : "en";
    (void)render_report(p.records, format, o);
  }
  auto st = Store::open(":memory:");
  if (!st) return 0;
  for (const auto& r : p.records) (void)(*st)->ingest(r);
  auto scans = (*st)->scans();
  (void)(*st)->devices({});
  (void)(*st)->findings({});
  if (scans.size() >= 2) (void)(*st)->diff(scans[0].scan_id, scans[1].scan_id);
  for (const auto& s : scans) (void)render_report((*st)->records(s.scan_id), "html", {});
  // The fleet view: identity rules over whatever keys the records carry, then its queries and
  // findings (every hit must name another device, each at most once).
  mamori::CheckCatalog none;
  for (const auto& s : scans) {
    auto hits = (*st)->shared_keys_across_scans(s.scan_id);
    for (const auto& h : hits) {
      if (h.others.empty()) __builtin_trap();
      for (const auto& o : h.others) {
        if (o.device_id == h.device_id || o.scan_id == s.scan_id) __builtin_trap();
      }
    }
    (void)fleet_finding_records(s.scan_id, hits, none);
  }
  for (const auto& k : (*st)->keys(true)) {
    if (k.devices.size() < 2) __builtin_trap();
  }
  return 0;
}
