// libFuzzer target: the FTP checker's reply parser and classifiers on hostile server bytes.
// Oracles: bounded consumption and lines, printable bounded text, no crash/UB.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "checks/creds/ftp/ftp_checker.h"

using namespace mamori::creds;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (int i = 0; i < 64 && !in.empty(); ++i) {
    FtpReply r;
    size_t used = 0;
    if (parse_ftp_reply(in, r, used) != FtpParse::ok) break;
    if (used == 0 || used > in.size() || used > kFtpMaxReplyBytes) std::abort();
    if (r.lines.empty() || r.lines.size() > FtpReply::kMaxLines || r.code < 100 || r.code > 599) std::abort();
    for (const auto& l : r.lines) {
      if (l.size() > FtpReply::kMaxLine) std::abort();
    }
    std::string text = ftp_reply_text(r, 100);
    if (text.size() > 100) std::abort();
    for (unsigned char c : text) {
      if (c < 0x20 || c > 0x7e) std::abort();
    }
    (void)ftp_lockout_sign(r);
    FtpStep step = classify_ftp_user_reply(r);
    if (step.send_pass != (r.code == 331)) std::abort();
    if (!step.send_pass && step.result.outcome == Outcome::accepted && r.code != 230) std::abort();
    if (classify_ftp_pass_reply(r).outcome == Outcome::accepted && r.code != 230) std::abort();
    AttemptResult why;
    (void)ftp_greeting_ok(r, why);
    in.remove_prefix(used);
  }
  return 0;
}
