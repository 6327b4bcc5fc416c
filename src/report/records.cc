#include "report/records.h"

#include <chrono>
#include <ctime>
#include <random>

#include <fmt/format.h>

namespace mamori {

std::string rfc3339_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string new_scan_id() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  std::random_device rd;
  return fmt::format("{}-{:08x}", buf, rd());
}

nlohmann::json scan_start_record(const ScanStartInfo& info) {
  nlohmann::json j = {{"type", "scan"},       {"scan_id", info.scan_id},
                      {"phase", "start"},     {"time", rfc3339_now()},
                      {"version", kMamoriVersion}, {"targets", info.targets},
                      {"ports", info.ports},  {"seed", info.seed},
                      {"shard", info.shard},  {"stages", info.stages},
                      {"addresses", info.address_count}};
  if (!info.vantage.empty()) j["vantage"] = info.vantage;
  return j;
}

nlohmann::json scan_end_record(const ScanEndInfo& info) {
  return {{"type", "scan"},
          {"scan_id", info.scan_id},
          {"phase", "end"},
          {"time", rfc3339_now()},
          {"version", kMamoriVersion},
          {"targets", info.targets},
          {"ports", info.ports},
          {"complete", info.complete},
          {"stats",
           {{"hosts_scanned", info.hosts_scanned},
            {"ports_open", info.ports_open},
            {"duration_s", info.duration_s},
            {"packets_sent", info.packets_sent}}}};
}

nlohmann::json port_record(const std::string& scan_id, const PortObservation& p,
                           const std::string& hostname) {
  nlohmann::json j = {{"type", "port"},
                      {"scan_id", scan_id},
                      {"ip", p.ip.str()},
                      {"port", p.port},
                      {"proto", proto_name(p.proto)},
                      {"state", port_state_name(p.state)},
                      {"rtt_ms", static_cast<double>(static_cast<int64_t>(p.rtt_ms * 1000)) / 1000}};
  if (!hostname.empty()) j["hostname"] = hostname;
  return j;
}

}  // namespace mamori
