// Host discovery beyond open TCP ports (issue 4, item 0), before the sweep:
//   - ICMP echo to every IPv4 target and ICMPv6 echo to every IPv6 target (a raw socket with
//     CAP_NET_RAW, else the kernel's unprivileged ping socket), paced by the scan's rate;
//   - the neighbour tables: a host on the local segment that answered ARP (IPv4) or neighbour
//     solicitation (IPv6) for any of the scan's packets (even one that drops all of them at the
//     IP/ICMP layer) is alive, and its MAC address is evidence (its vendor from the IEEE
//     registry). IPv4 from /proc/net/arp, IPv6 from rtnetlink (RTM_GETNEIGH, AF_INET6);
//   - multicast discovery (`--broadcast`, src/probes/multicast.h).
// Only targets in the scan's target set are ever sent to or reported.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/ip.h"
#include "core/target_set.h"

namespace mamori {

struct DiscoveredHost {
  std::string alive_by;  // "icmp", "arp", "ndp", "ssdp", "mdns", "wsd" (the first that told)
  std::string mac;       // "aa:bb:cc:dd:ee:ff" when on the local segment
};
using Discovered = std::map<Ip, DiscoveredHost>;

struct IcmpSweepOptions {
  double rate = 1000;  // echo requests per second (0: unlimited)
  std::chrono::milliseconds wait{1000};  // after the last request
  uint64_t max_targets = 1u << 20;       // larger target sets are not swept (either family)
};

// Sends one echo request to each IPv4 address of `targets` (icmp_sweep) or each IPv6 address
// (icmp6_sweep, ICMPv6 type 128) and records the ones that answer (alive_by "icmp"). A set
// without an address of that family opens no socket and sends nothing (socket_kind "").
// Error (addresses of the family but no socket of either kind) leaves `out` unchanged.
// Blocks the calling thread for the sends plus `opt.wait`.
struct IcmpSweepStats {
  uint64_t sent = 0, answered = 0;
  std::string socket_kind;  // "raw" or "ping" ("" when nothing was sent)
};
std::optional<IcmpSweepStats> icmp_sweep(const TargetSet& targets, const IcmpSweepOptions& opt, Discovered& out,
                                         std::string* error = nullptr);
std::optional<IcmpSweepStats> icmp6_sweep(const TargetSet& targets, const IcmpSweepOptions& opt, Discovered& out,
                                          std::string* error = nullptr);

// /proc/net/arp: IPv4 address -> MAC of the complete entries (flags 0x2), lower-case.
// Bounded: at most 65536 lines are read; malformed lines are skipped.
std::map<Ip, std::string> parse_proc_net_arp(std::string_view text);

// One rtnetlink neighbour dump (RTM_NEWNEIGH messages as the kernel sends them for
// RTM_GETNEIGH, host byte order), parsed with byte bounds: every length is checked against what
// is left before it is used, at most kMaxNeighbourEntries entries are taken. Kept: entries with
// a destination of the message's family (4 or 16 bytes), a 6-byte link-layer address other than
// all-zero, in a state that proves an answer (REACHABLE, STALE, DELAY, PROBE or PERMANENT);
// IPv6 link-local and multicast destinations are left out (a target never has a zone).
struct NeighbourDump {
  std::map<Ip, std::string> macs;  // lower-case "aa:bb:cc:dd:ee:ff"
  bool done = false;                // an NLMSG_DONE (or NLMSG_ERROR) ended the dump
  bool error = false;               // NLMSG_ERROR with a non-zero code, or a malformed message
};
inline constexpr std::size_t kMaxNeighbourEntries = 65536;
// Adds what `bytes` holds to `dump` (a dump may span several reads). `seq`: only messages with
// this sequence number count (0: any).
void parse_rtm_neigh(std::span<const uint8_t> bytes, NeighbourDump& dump, uint32_t seq = 0);
// Asks the kernel for its IPv6 neighbour table over rtnetlink (bounded: 16 MiB, 2 s). Empty map
// when it cannot be read.
std::map<Ip, std::string> read_neighbours6();

// Reads /proc/net/arp and the IPv6 neighbour table (empty map when neither can be read).
std::map<Ip, std::string> read_neighbours();

}  // namespace mamori
