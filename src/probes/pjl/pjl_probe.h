// PJL over JetDirect (raw printing, port 9100): the read-only query "@PJL INFO ID" wrapped in
// Universal Exit Language sequences, answered by the printer's model line. Client-first, and
// only on 9100: whatever reaches a raw print port may be printed by a printer that does not
// speak PJL, so the probe never guesses on other ports and sends nothing but this query.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "probes/probe.h"

namespace mamori::probes {

const TcpProbe& pjl_probe();

inline constexpr std::string_view kPjlInfoId{"\x1b%-12345X@PJL INFO ID\r\n\x1b%-12345X\r\n"};

// The model line of an "@PJL INFO ID" answer: the first non-empty line after the echoed
// command, as sent (quotes kept, e.g. "\"HP LaserJet 4250\""), printable-escaped, <= 128 bytes;
// "" if the echo came without a model line. nullopt if `reply` holds no "@PJL INFO ID" echo.
// Reads at most 4 KiB of `reply`. No I/O.
std::optional<std::string> parse_pjl_info_id(std::string_view reply);

}  // namespace mamori::probes
