// Parsing of scan targets, as on the command line and in @files:
//   198.18.0.5   2001:db8::1   [::1]          single addresses
//   198.18.0.0/20   2001:db8::/120            CIDR blocks (host bits are ignored)
//   198.18.0.1-198.18.0.9   198.18.0.1-9      ranges (the short form for the last IPv4 octet)
//   camera.example                             host names, resolved once; the name is kept
//   @targets.txt                               one or more targets per line, '#' comments
// Several targets may share one argument, separated by commas or white space.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"
#include "core/ip.h"
#include "core/target_set.h"

namespace mamori {

// Resolves a host name to its addresses (empty: no such name; error: say why).
using Resolver = std::function<Expected<std::vector<Ip>>(const std::string& name)>;
// Reads a whole file (for @file).
using FileReader = std::function<Expected<std::string>(const std::string& path)>;

// The system resolver (getaddrinfo) and file reader.
Resolver system_resolver();
FileReader system_file_reader();

struct TargetParseOptions {
  Resolver resolver;           // null: host names are an error
  FileReader file_reader;      // null: @file is an error
  bool resolve_all = false;    // scan every address of a name, not just the first
  // Largest address count one scan may cover (a /64 of IPv6 cannot be walked).
  u128 max_addresses = u128{1} << 40;
};

struct Targets {
  TargetSet set;
  std::map<u128, std::string> names;  // address -> the host name it came from
  std::vector<std::string> tokens;    // the tokens as given, for the scan record
};

// Adds the targets in `args` to `out`. On error the message names the offending token.
Expected<bool> parse_targets(const std::vector<std::string>& args, const TargetParseOptions& opt,
                             Targets& out);

// Splits one argument or file line into tokens (commas and white space; '#' starts a comment).
std::vector<std::string> split_target_tokens(std::string_view text);

}  // namespace mamori
