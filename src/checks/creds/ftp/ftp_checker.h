// FTP credential checker (RFC 959): USER/PASS on a connection of its own, 230 as the only proof
// of a login; anonymous login (USER anonymous) as the open-access check, proved by 230 and
// corroborated by PWD. Nothing else is sent: no listing, no transfer, never a write. Implicit
// FTPS (a service identified with tls) is spoken inside TLS.
//
// The reply parser and the classifiers below are pure (no I/O) so they can be tested and fuzzed
// on their own; they treat their input as hostile and are bounded in bytes and lines.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "checks/creds/checker.h"

namespace mamori::creds {

const Checker& ftp_checker();

// One FTP reply: "ddd text" or the multi-line form "ddd-text" ... "ddd text" (RFC 959 §4.2).
// Lines are kept without their line end (CRLF or a bare LF), at most kMaxLines of at most
// kMaxLine bytes each (longer lines are cut, further lines dropped; the reply still ends where
// the protocol says).
struct FtpReply {
  static constexpr size_t kMaxLines = 32;
  static constexpr size_t kMaxLine = 512;
  int code = 0;
  std::vector<std::string> lines;
};

enum class FtpParse { ok, need_more, invalid };

// The largest reply the checker reads; a longer one is a flood (invalid).
inline constexpr size_t kFtpMaxReplyBytes = 16 * 1024;

// Parses the reply at the start of `bytes`. ok: `out` is filled and `consumed` is the number of
// bytes up to and including the final line's end (a pipelined next reply may follow).
// need_more: the reply is not complete yet (and is still under kFtpMaxReplyBytes). invalid: the
// bytes do not start with a three-digit code followed by ' ', '-' or a line end, or a complete
// reply would exceed kFtpMaxReplyBytes.
FtpParse parse_ftp_reply(std::string_view bytes, FtpReply& out, size_t& consumed);

// The reply's text as one printable line (lines joined by " / "), at most `max` bytes.
std::string ftp_reply_text(const FtpReply& r, size_t max = 200);

// True when the reply's text says the server is refusing us for our behaviour or our numbers
// ("too many", "locked", "blocked", "banned", "try again later"...), or it is a 421 naming
// connections or logins.
bool ftp_lockout_sign(const FtpReply& r);

// What a reply to USER means: send_pass (331: a password is wanted), or the attempt ends with
// `result` (230 without a password: accepted; 530: rejected; lockout signs; 332: error).
struct FtpStep {
  bool send_pass = false;
  AttemptResult result;
};
FtpStep classify_ftp_user_reply(const FtpReply& r);

// What a reply to PASS means: 230 accepted; 530 and other 5xx rejected (or unsupported when the
// server says the command is not implemented); lockout signs; 332 (an account is needed) and
// 202 (password superfluous) are no proof: error.
AttemptResult classify_ftp_pass_reply(const FtpReply& r);

// The greeting: true if it is a 220 (the server is ready for USER). Otherwise `why` is set to
// the attempt's result (lockout on "421 too many connections", error for anything else).
bool ftp_greeting_ok(const FtpReply& r, AttemptResult& why);

}  // namespace mamori::creds
