// FTP: the greeting and the FEAT list (RFC 2389), then QUIT. Speak-first ("220"). Never logs
// in, not even anonymously: that is the credential stage's decision.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/probe.h"

namespace mamori::probes {

const TcpProbe& ftp_probe();

// One FTP reply (RFC 959 section 4.2): a single line "ddd text", or a multi-line reply
// "ddd-text" ... "ddd text". Lines are kept without their line end (CRLF or a bare LF).
struct FtpReply {
  int code = 0;
  std::vector<std::string> lines;  // at most kMaxLines, each cut to kMaxLine bytes
  bool complete = false;           // the final line and its line end arrived
  static constexpr size_t kMaxLines = 64;
  static constexpr size_t kMaxLine = 512;
};

// Parses the reply at the start of `bytes`; nullopt if they do not start with a three-digit
// code followed by ' ', '-' or a line end. Reads at most 64 KiB of `bytes`. No I/O.
std::optional<FtpReply> parse_ftp_reply(std::string_view bytes);

// True if `greeting` starts like an FTP server's "220 " / "220-" and is not an SMTP greeting.
bool looks_like_ftp(std::string_view greeting);

// Product and version when the greeting states them plainly (vsFTPd, ProFTPD, Pure-FTPd,
// FileZilla Server); leaves both empty otherwise. Names as in data/fingerprints/ftp.yaml.
void ftp_product(std::string_view greeting, std::string& product, std::string& version);

// The feature names of a 211 FEAT reply ("EPSV", "AUTH TLS", "UTF8"...), at most 32.
std::vector<std::string> ftp_features(const FtpReply& feat);

}  // namespace mamori::probes
