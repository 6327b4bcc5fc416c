// Port lists: "22,80,8000-8100", "-" or "all" (1-65535), "-1024", "49152-", "5683/udp",
// "U:161", "T:23", and named sets kept as data files (data/ports/NAME.json, e.g. "iot").
// TCP ports are swept by the connect scan; UDP ports belong to the identification stage's probes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"

namespace mamori {

enum class Proto : uint8_t { tcp, udp };
const char* proto_name(Proto p);

// One entry of a named port set: why an IoT scan looks at that port.
struct PortInfo {
  uint16_t port = 0;
  Proto proto = Proto::tcp;
  std::string service;  // the usual service name (nmap-services style)
  std::string reason;   // why IoT devices expose it
};

struct PortSetInfo {
  std::string name;
  std::string description;
  std::vector<PortInfo> ports;
};

// Named port sets loaded from a directory of JSON files. Loading validates every file.
class PortCatalog {
 public:
  static Expected<PortCatalog> load(const std::string& dir);
  static Expected<PortSetInfo> parse_set(std::string_view json_text, const std::string& origin);
  void add(PortSetInfo set);

  const PortSetInfo* find(std::string_view name) const;
  // The usual service name of a port, from any set (empty if none).
  std::string service_name(uint16_t port, Proto proto) const;
  const std::map<std::string, PortSetInfo, std::less<>>& sets() const { return sets_; }

 private:
  std::map<std::string, PortSetInfo, std::less<>> sets_;
};

struct PortList {
  std::vector<uint16_t> tcp;  // sorted, unique
  std::vector<uint16_t> udp;  // sorted, unique
  size_t size() const { return tcp.size() + udp.size(); }
  // Compact canonical text ("22-23,80,U:161"), for the scan record.
  std::string str() const;
};

// Parses a port specification. `catalog` may be null (then named sets are an error).
// On error the message names the offending token.
Expected<PortList> parse_ports(std::string_view spec, const PortCatalog* catalog);

}  // namespace mamori
