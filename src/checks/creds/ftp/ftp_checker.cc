#include "checks/creds/ftp/ftp_checker.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>

namespace mamori::creds {
namespace {

// The password of the anonymous login: RFC 1635 asks for an e-mail address; .invalid never
// names a real mailbox (RFC 2606).
constexpr std::string_view kAnonymousUser = "anonymous";
constexpr std::string_view kAnonymousPassword = "mamori@example.invalid";
constexpr Millis kQuitWait{500};
constexpr int kMaxPreliminary = 2;  // 120 "ready in n minutes" replies tolerated before 220

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string lower_text(const FtpReply& r) {
  std::string all;
  for (const auto& l : r.lines) all += lower(l) + '\n';
  return all;
}

AttemptResult result(Outcome o, std::string detail) {
  AttemptResult r;
  r.outcome = o;
  r.detail = std::move(detail);
  return r;
}

// A server that echoes what it was sent must not put the password into our output.
void redact(AttemptResult& r, std::string_view password) {
  if (password.empty()) return;
  auto scrub = [&](std::string& s) {
    for (size_t p = s.find(password); p != std::string::npos; p = s.find(password, p + 3)) s.replace(p, password.size(), "***");
  };
  scrub(r.detail);
  for (auto& [k, v] : r.evidence) scrub(v);
}

// "230 Login successful." as it may appear in a detail.
std::string said(const FtpReply& r) { return ftp_reply_text(r, 120); }

}  // namespace

FtpParse parse_ftp_reply(std::string_view bytes, FtpReply& out, size_t& consumed) {
  const std::string_view head = bytes.substr(0, 4);
  for (size_t i = 0; i < head.size() && i < 3; ++i) {
    if (!is_digit(head[i])) return FtpParse::invalid;
  }
  if (!head.empty() && (head[0] < '1' || head[0] > '5')) return FtpParse::invalid;
  if (head.size() < 4) return bytes.size() >= kFtpMaxReplyBytes ? FtpParse::invalid : FtpParse::need_more;
  if (head[3] != ' ' && head[3] != '-' && head[3] != '\r' && head[3] != '\n') return FtpParse::invalid;

  const bool multi = head[3] == '-';
  const std::string_view code = bytes.substr(0, 3);
  FtpReply r;
  r.code = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  size_t pos = 0;
  for (bool first = true;; first = false) {
    const size_t eol = bytes.find('\n', pos);
    if (eol == std::string_view::npos || eol + 1 > kFtpMaxReplyBytes) {
      return bytes.size() >= kFtpMaxReplyBytes ? FtpParse::invalid : FtpParse::need_more;
    }
    std::string_view line = bytes.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (r.lines.size() < FtpReply::kMaxLines) r.lines.emplace_back(line.substr(0, FtpReply::kMaxLine));
    pos = eol + 1;
    // A single-line reply ends with its line; a multi-line one with a later line that carries
    // the same code followed by a space (or nothing).
    if (!multi || (!first && line.starts_with(code) && (line.size() == 3 || line[3] == ' '))) break;
  }
  out = std::move(r);
  consumed = pos;
  return FtpParse::ok;
}

std::string ftp_reply_text(const FtpReply& r, size_t max) {
  std::string out;
  for (const auto& l : r.lines) {
    if (!out.empty()) out += " / ";
    out += net::printable(l, max);
    if (out.size() >= max) break;
  }
  if (out.size() > max) out.resize(max);
  return out;
}

bool ftp_lockout_sign(const FtpReply& r) {
  if (r.code < 400) return false;
  const std::string text = lower_text(r);
  static constexpr std::string_view kSigns[] = {"too many", "locked",  "lock out", "lockout",
                                                "blocked",  "banned",  "try again later",
                                                "try later", "rate limit", "slow down"};
  for (auto s : kSigns) {
    if (text.find(s) != std::string::npos) return true;
  }
  // "421 Too many connections", "421 10 connections from your address": a per-client limit.
  // ("421 ... closing control connection" is only the server going away.)
  return r.code == 421 && (text.find("connections") != std::string::npos || text.find("logins") != std::string::npos);
}

FtpStep classify_ftp_user_reply(const FtpReply& r) {
  FtpStep step;
  if (r.code == 331) {
    step.send_pass = true;
    return step;
  }
  if (r.code == 230) {
    step.result = result(Outcome::accepted, "230 after USER (no password asked): " + said(r));
  } else if (ftp_lockout_sign(r)) {
    step.result = result(Outcome::lockout, "lockout sign after USER: " + said(r));
  } else if (r.code == 332) {
    step.result = result(Outcome::error, "332 after USER: an account is required (ACCT not tried)");
  } else if (r.code == 502) {
    step.result = result(Outcome::unsupported, "USER not implemented: " + said(r));
  } else if (r.code == 530 || (r.code >= 550 && r.code < 600)) {
    // vsftpd and others refuse unknown or non-anonymous users at USER already.
    step.result = result(Outcome::rejected, "user refused: " + said(r));
  } else {
    step.result = result(Outcome::error, "unexpected reply to USER: " + said(r));
  }
  return step;
}

AttemptResult classify_ftp_pass_reply(const FtpReply& r) {
  if (r.code == 230) return result(Outcome::accepted, "230 after PASS: " + said(r));
  if (ftp_lockout_sign(r)) return result(Outcome::lockout, "lockout sign after PASS: " + said(r));
  if (r.code == 332) return result(Outcome::error, "332 after PASS: an account is required (ACCT not tried)");
  if (r.code == 202) return result(Outcome::error, "202 after PASS (password superfluous): no proof of a login");
  if (r.code == 502) return result(Outcome::unsupported, "PASS not implemented: " + said(r));
  if (r.code == 500 || r.code == 501 || r.code == 503) {
    return result(Outcome::error, "PASS not understood: " + said(r));
  }
  if (r.code >= 500) return result(Outcome::rejected, said(r));
  return result(Outcome::error, "unexpected reply to PASS: " + said(r));
}

bool ftp_greeting_ok(const FtpReply& r, AttemptResult& why) {
  if (r.code == 220) return true;
  if (ftp_lockout_sign(r)) why = result(Outcome::lockout, "greeting refuses us: " + said(r));
  else why = result(Outcome::error, "greeting is not 220: " + said(r));
  return false;
}

namespace {

// One control connection: replies are read in order from one buffer (a server may pipeline
// several), each bounded by kFtpMaxReplyBytes and the connection's io deadline.
class FtpSession {
 public:
  explicit FtpSession(std::unique_ptr<net::Conn> conn) : conn_(std::move(conn)) {}

  Task<Expected<FtpReply>> reply(Millis wait) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + wait;
    for (;;) {
      FtpReply r;
      size_t used = 0;
      switch (parse_ftp_reply(buf_, r, used)) {
        case FtpParse::ok:
          buf_.erase(0, used);
          co_return r;
        case FtpParse::invalid:
          co_return make_error(buf_.size() >= kFtpMaxReplyBytes ? "reply larger than 16 KiB"
                                                                : "not an FTP reply: " + net::printable(buf_, 40));
        case FtpParse::need_more:
          break;
      }
      if (conn_->eof()) co_return make_error(buf_.empty() ? "connection closed" : "connection closed mid-reply");
      if (conn_->budget_exhausted()) co_return make_error("byte budget exhausted");
      auto left = std::chrono::duration_cast<Millis>(deadline - clock::now());
      if (left.count() <= 0) co_return make_error("no complete reply within " + std::to_string(wait.count()) + " ms");
      co_await conn_->read_some(buf_, left, 4096);
    }
  }

  // Sends one command line and reads its reply. `shown` names the command in errors (never
  // the password).
  Task<Expected<FtpReply>> command(std::string_view line, std::string_view shown) {
    // A CR or LF inside a user name or password would smuggle a second command.
    if (line.find_first_of("\r\n") != std::string_view::npos) {
      co_return make_error(std::string(shown) + ": refused to send a line break");
    }
    // Whatever arrived before the command was sent cannot be its reply: a server that sends
    // replies nobody asked for (a "230" ahead of USER) must not pass for a login.
    buf_.clear();
    std::string out(line);
    out += "\r\n";
    if (auto w = co_await conn_->write(out); !w) co_return make_error(std::string(shown) + ": " + w.error().message);
    auto r = co_await reply(conn_->limits().io);
    if (!r) co_return make_error(std::string(shown) + ": " + r.error().message);
    co_return r;
  }

  // The greeting, past any 120 "service ready in n minutes".
  Task<Expected<FtpReply>> greeting() {
    for (int i = 0;; ++i) {
      auto r = co_await reply(conn_->limits().io);
      if (!r) co_return make_error("greeting: " + r.error().message);
      if (r->code != 120 || i >= kMaxPreliminary) co_return r;
    }
  }

  Task<void> quit() {
    auto sent = co_await conn_->write("QUIT\r\n", kQuitWait);
    if (sent) {
      auto bye = co_await reply(kQuitWait);  // 221, or nothing: either way we are done
      (void)bye;
    }
    conn_->close();
    co_return;
  }

 private:
  std::unique_ptr<net::Conn> conn_;
  std::string buf_;
};

// Connects (and enters TLS for implicit FTPS) and reads a 220 greeting.
Task<Expected<std::unique_ptr<FtpSession>>> open_session(const CheckTarget& t, AttemptResult& why) {
  auto conn = co_await net::Conn::connect(t.ex, t.ip, t.port, t.limits);
  if (!conn) {
    why = result(Outcome::error, conn.error().message);
    co_return conn.error();
  }
  if (t.service && t.service->tls) {
    if (auto tls = co_await (*conn)->start_tls(t.hostname, t.limits.io); !tls) {
      why = result(Outcome::error, tls.error().message);
      co_return tls.error();
    }
  }
  auto s = std::make_unique<FtpSession>(std::move(*conn));
  auto g = co_await s->greeting();
  if (!g) {
    why = result(Outcome::error, g.error().message);
    co_return g.error();
  }
  if (!ftp_greeting_ok(*g, why)) co_return make_error(why.detail);
  co_return std::move(s);
}

// USER then (on 331) PASS: the outcome by the rules of classify_ftp_*; `proof` is the 230 reply.
Task<AttemptResult> login(FtpSession& s, std::string_view user, std::string_view pass, FtpReply& proof) {
  auto u = co_await s.command("USER " + std::string(user), "USER");
  if (!u) co_return result(Outcome::error, u.error().message);
  FtpStep step = classify_ftp_user_reply(*u);
  if (!step.send_pass) {
    if (step.result.outcome == Outcome::accepted) proof = *u;
    co_return step.result;
  }
  auto p = co_await s.command("PASS " + std::string(pass), "PASS");
  if (!p) co_return result(Outcome::error, p.error().message);
  AttemptResult r = classify_ftp_pass_reply(*p);
  if (r.outcome == Outcome::accepted) proof = *p;
  co_return r;
}

class FtpChecker : public Checker {
 public:
  const CheckerInfo& info() const override {
    static const CheckerInfo i{"ftp", "FTP USER/PASS login (230 as proof) and anonymous login", {"ftp"}, "login"};
    return i;
  }

  bool applies(const ServiceObservation& s) const override { return s.service == "ftp"; }

  Task<OpenAccessResult> check_open(const CheckTarget& t) const override {
    OpenAccessResult out;
    AttemptResult why;
    auto s = co_await open_session(t, why);
    if (!s) {
      out.lockout = why.outcome == Outcome::lockout;
      co_return out;
    }
    FtpReply proof;
    out.attempts = 1;
    AttemptResult r = co_await login(**s, kAnonymousUser, kAnonymousPassword, proof);
    out.lockout = r.outcome == Outcome::lockout;
    if (r.outcome == Outcome::accepted) {
      OpenAccess found{"ftp-anonymous", "anonymous FTP login accepted (230)", {}};
      found.evidence["user"] = std::string(kAnonymousUser);
      found.evidence["reply"] = ftp_reply_text(proof);
      // The working directory corroborates the session; nothing is listed or transferred.
      if (auto pwd = co_await (*s)->command("PWD", "PWD"); pwd) {
        found.evidence["pwd"] = ftp_reply_text(*pwd);
      }
      out.found.push_back(std::move(found));
    }
    co_await (*s)->quit();
    co_return out;
  }

  Task<AttemptResult> attempt(const CheckTarget& t, const Credential& c) const override {
    AttemptResult why;
    auto s = co_await open_session(t, why);
    if (!s) co_return why;
    FtpReply proof;
    AttemptResult r = co_await login(**s, c.username, c.password, proof);
    if (r.outcome == Outcome::accepted) {
      r.evidence["reply"] = ftp_reply_text(proof);
      if (auto pwd = co_await (*s)->command("PWD", "PWD"); pwd) r.evidence["pwd"] = ftp_reply_text(*pwd);
    }
    co_await (*s)->quit();
    redact(r, c.password);
    co_return r;
  }
};

}  // namespace

const Checker& ftp_checker() {
  static const FtpChecker c;
  return c;
}

}  // namespace mamori::creds
