// CoAP open-access checker. CoAP has no passwords: what matters is whether resources can be read
// without DTLS or OSCORE. check_open() GETs /.well-known/core and then up to kCoapMaxReads of
// the listed resources that look like data or configuration; a 2.05 Content on one of them is
// the proof. Only GET is ever sent (RFC 7252 §5.8.1: safe), never to a resource whose name reads
// like an action (reboot, reset, update...), never to another host named in the link format.
// attempt() answers unsupported.
//
// The resource picker and the response matcher are pure (no I/O), bounded and fuzzed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/creds/checker.h"
#include "proto/coap.h"

namespace mamori::creds {

const Checker& coap_checker();

inline constexpr size_t kCoapMaxReads = 3;
inline constexpr size_t kCoapMaxPathBytes = 255;
inline constexpr size_t kCoapMaxDocumentBytes = 16384;  // of /.well-known/core that is parsed

// The paths to read from a /.well-known/core document (possibly cut off: a document that does
// not parse whole is parsed up to its last complete link), at most `max`: local absolute paths
// only ("/x", not "//host/x" nor "coap://..."), not under /.well-known, printable, at most
// kCoapMaxPathBytes, no action-like segment; configuration-like names first, then data-like
// ones, then the rest, each group in document order. Duplicates are dropped.
std::vector<std::string> coap_pick_resources(std::string_view link_format, size_t max = kCoapMaxReads);

// The response to our request among `replies`: a piggybacked ACK with our message id and token,
// or a separate CON/NON response with our token. nullopt: none (an empty ACK, a RST, garbage).
std::optional<proto::coap::Message> coap_match_response(const std::vector<std::string>& replies,
                                                        uint16_t message_id, std::string_view token);

}  // namespace mamori::creds
