// Host discovery beyond open TCP ports (issue 4, item 0), before the sweep:
//   - ICMP echo to every IPv4 target (a raw socket with CAP_NET_RAW, else the kernel's
//     unprivileged ping socket), paced by the scan's rate;
//   - the neighbour table: a host on the local segment that answered ARP for any of the scan's
//     packets (even one that drops all of them at the IP layer) is alive, and its MAC address is
//     evidence (its vendor from the IEEE registry);
//   - multicast discovery (`--broadcast`, src/probes/multicast.h).
// Only targets in the scan's target set are ever sent to or reported.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/ip.h"
#include "core/target_set.h"

namespace mamori {

struct DiscoveredHost {
  std::string alive_by;  // "icmp", "arp", "ssdp", "mdns", "wsd" (the first that told)
  std::string mac;       // "aa:bb:cc:dd:ee:ff" when on the local segment
};
using Discovered = std::map<Ip, DiscoveredHost>;

struct IcmpSweepOptions {
  double rate = 1000;  // echo requests per second (0: unlimited)
  std::chrono::milliseconds wait{1000};  // after the last request
  uint64_t max_targets = 1u << 20;       // larger IPv4 sets are not swept by ICMP
};

// Sends one echo request to each IPv4 address of `targets` and records the ones that answer.
// Error (no ICMP socket of either kind) leaves `out` unchanged.
struct IcmpSweepStats {
  uint64_t sent = 0, answered = 0;
  std::string socket_kind;  // "raw" or "ping"
};
std::optional<IcmpSweepStats> icmp_sweep(const TargetSet& targets, const IcmpSweepOptions& opt, Discovered& out,
                                         std::string* error = nullptr);

// /proc/net/arp: IPv4 address -> MAC of the complete entries (flags 0x2), lower-case.
// Bounded: at most 65536 lines are read; malformed lines are skipped.
std::map<Ip, std::string> parse_proc_net_arp(std::string_view text);
// Reads /proc/net/arp (empty map when it cannot be read).
std::map<Ip, std::string> read_neighbours();

}  // namespace mamori
