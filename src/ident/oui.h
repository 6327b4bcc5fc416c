// MAC address -> organisation, from the IEEE registries as Debian's ieee-data package ships them
// (/usr/share/ieee-data: oui.csv for MA-L, mam.csv for MA-M, oui36.csv for MA-S and iab.csv).
// The longest registered prefix wins, so a MA-S block inside an "IEEE Registration Authority"
// MA-L block names its real owner.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"

namespace mamori::ident {

inline constexpr const char* kIeeeDataDir = "/usr/share/ieee-data";

// Parses "aa:bb:cc:dd:ee:ff", "aa-bb-cc-dd-ee-ff", "aabb.ccdd.eeff" or "aabbccddeeff" (any case)
// into the 48-bit value. nullopt for anything else.
std::optional<uint64_t> parse_mac(std::string_view text);

// True for a universally administered unicast address: bits 0x02 (locally administered: the
// random MACs phones, laptops and many IoT stacks now use, and hand-set ones) and 0x01 (group)
// of the first octet clear. Only such an address has an organisation; the others are never looked
// up (their leading bytes may equal a registered prefix by chance or on purpose).
constexpr bool globally_unique_mac(uint64_t mac48) { return ((mac48 >> 40) & 0x03) == 0; }

// The loaded registries. Immutable; lookups are thread-safe.
class OuiTable {
 public:
  // Reads the CSV files found in `dir` (missing MA-M/MA-S/IAB files are skipped; a missing
  // oui.csv is an error). Bounded: at most kMaxEntries rows and kMaxFileBytes per file.
  static Expected<OuiTable> load(const std::string& dir);
  // Parses one registry CSV text ("Registry,Assignment,Organization Name,..."); adds its rows.
  Expected<std::size_t> add_csv(std::string_view text, const std::string& name);

  // The organisation for a MAC, or "" when no registered prefix covers it or the address is
  // locally administered or a group address (globally_unique_mac is false).
  std::string_view vendor(uint64_t mac48) const;
  std::string_view vendor(std::string_view mac) const;
  std::size_t size() const { return entries_.size(); }

  static constexpr std::size_t kMaxEntries = 200000;
  static constexpr std::size_t kMaxFileBytes = 16 << 20;

 private:
  struct Entry {
    uint64_t prefix;  // the top `bits` bits of the MAC, right-aligned
    uint8_t bits;     // 24 (MA-L), 28 (MA-M) or 36 (MA-S, IAB)
    std::string org;
  };
  void sort();
  std::vector<Entry> entries_;  // sorted by (bits, prefix)
};

// Loads the registries on first use (lazily, once) from `dir`. Thread-safe.
class Oui {
 public:
  explicit Oui(std::string dir = kIeeeDataDir) : dir_(std::move(dir)) {}
  // "" when unknown or when the registries could not be read (see error()).
  std::string vendor(std::string_view mac) const;
  // The load error, if loading failed (triggers the load).
  std::optional<std::string> error() const;

 private:
  void ensure() const;
  std::string dir_;
  mutable std::once_flag once_;
  mutable std::optional<OuiTable> table_;
  mutable std::string error_;
};

}  // namespace mamori::ident
