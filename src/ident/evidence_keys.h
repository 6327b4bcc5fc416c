// The evidence keys a fingerprint rule may match on: the one list, mirroring the comment on
// ServiceObservation::fields in src/engine/observation.h, plus the pseudo keys taken from the
// observation's own members (port, service, proto, tls) and the host-level keys (mac.vendor).
// Keys are persistent: rules and stores refer to them; add new ones, never change a meaning.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace mamori::ident {

enum class KeyScope : uint8_t {
  field,    // ServiceObservation::fields[name]
  service,  // a member of ServiceObservation (port, service, proto, tls)
  host,     // about the host, not one service (mac.vendor), see HostFacts
};

enum class KeyMatch : uint8_t {
  search,  // the pattern may match anywhere in the value (anchor with ^ and $ yourself)
  whole,   // the pattern must match the whole value (numbers, enumerations: port, http.status)
};

struct EvidenceKey {
  std::string_view name;
  KeyScope scope;
  KeyMatch match;
  std::string_view doc;  // one line for docs/fingerprints.md and error messages
};

// Every known key, in a stable order (the order of the docs table).
std::span<const EvidenceKey> evidence_keys();
// The key's index in evidence_keys(), or nullopt when `name` is not a known key.
std::optional<uint16_t> evidence_key_index(std::string_view name);

// Values longer than this are cut before matching (fields are capped at a few KiB upstream;
// this keeps the bound local).
inline constexpr std::size_t kMaxEvidenceValue = 4096;

}  // namespace mamori::ident
