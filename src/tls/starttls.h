// The plain-text side of STARTTLS, as pure functions of the server's bytes (no I/O): FTP AUTH
// TLS (RFC 4217). Replies are parsed by the FTP probe's bounded parser
// (probes::parse_ftp_reply); these say where one reply ends and whether FEAT offers AUTH TLS.
// libFuzzer target: fuzz/tls/ftp_fuzz.cc.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::tls {

// Offset just past the complete reply at the start of `bytes` (its final line's line end: the
// first line of a single-line reply "ddd text", or the first later line "ddd text" / "ddd" with
// the same code after "ddd-text"); bytes.size() when no complete reply is there.
size_t ftp_reply_end(std::string_view bytes);

// True if one of the FEAT features (probes::ftp_features) is "AUTH" listing the TLS mechanism:
// "AUTH TLS", "AUTH SSL;TLS", "AUTH TLS TLS-C" (case-insensitive).
bool ftp_offers_auth_tls(const std::vector<std::string>& features);

}  // namespace mamori::tls
