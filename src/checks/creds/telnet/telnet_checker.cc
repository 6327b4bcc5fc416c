#include "checks/creds/telnet/telnet_checker.h"

#include <libtelnet.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <random>

#include <fmt/format.h>

namespace mamori::creds {
namespace {

constexpr size_t kMaxPromptLine = 80;
constexpr size_t kMaxFlood = 64 * 1024;  // text bytes in one screen before we call it a flood
constexpr Millis kPromptQuiet{300};      // a prompt counts once nothing follows it for this long
constexpr Millis kNudgeQuiet{2000};      // greeting silent this long without a prompt: send CR LF
constexpr Millis kWriteWait{2000};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view trim(std::string_view s) {
  s = trim_right(s);
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view last_line(std::string_view text) {
  size_t eol = text.find_last_of("\r\n");
  return eol == std::string_view::npos ? text : text.substr(eol + 1);
}

bool contains_any(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return haystack.find(n) != std::string_view::npos; });
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// `line` (lower case, trailing ':' and spaces removed) ends with `word` at a word boundary.
bool ends_with_word(std::string_view line, std::string_view word) {
  if (!line.ends_with(word)) return false;
  size_t start = line.size() - word.size();
  return start == 0 || !is_word_char(line[start - 1]);
}

// The prompt line in lower case without the trailing ':' and white space, or nullopt when the
// line does not end with ':' (every login and password prompt we know does).
std::optional<std::string> colon_prompt(std::string_view line) {
  line = trim_right(line);
  if (line.empty() || line.size() > kMaxPromptLine || line.back() != ':') return std::nullopt;
  line.remove_suffix(1);
  return lower(trim_right(line));
}

// No option is ours to offer unasked; these are the ones we agree to when the server asks.
const telnet_telopt_t kOptions[] = {
    {TELNET_TELOPT_ECHO, TELNET_WONT, TELNET_DO},   // the server echoes (and hides passwords)
    {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},    // character at a time, no GA
    {TELNET_TELOPT_NAWS, TELNET_WILL, TELNET_DONT}, // we tell a window size when asked
    {TELNET_TELOPT_TTYPE, TELNET_WILL, TELNET_DONT},// and a terminal type
    {-1, 0, 0}};

constexpr unsigned kMaxSubnegotiationAnswers = 8;

}  // namespace

const char* telnet_prompt_kind_name(TelnetPromptKind k) {
  switch (k) {
    case TelnetPromptKind::login: return "login";
    case TelnetPromptKind::password: return "password";
    case TelnetPromptKind::shell: return "shell";
    case TelnetPromptKind::none: break;
  }
  return "none";
}

bool is_password_prompt(std::string_view line) {
  auto p = colon_prompt(line);
  if (!p) return false;
  // "Password:", "admin@host's password:", "Password for admin:", "Enter PIN:"...
  return contains_any(*p, {"password", "passwd", "passcode", "pass word"}) || ends_with_word(*p, "pin");
}

bool is_login_prompt(std::string_view line) {
  auto p = colon_prompt(line);
  if (!p || is_password_prompt(line)) return false;
  for (std::string_view w : {"login", "username", "user name", "user", "login as", "user id", "userid",
                             "account", "login name", "name"}) {
    if (ends_with_word(*p, w)) {
      // "Last login: Tue ..." never ends with the colon; "name:" alone needs a short line.
      return w != "name" || p->size() <= 16;
    }
  }
  return false;
}

bool is_shell_prompt(std::string_view raw) {
  std::string_view line = trim_right(raw);
  if (line.empty() || line.size() > kMaxPromptLine) return false;
  if (raw.size() - line.size() > 2) return false;  // a prompt is followed by at most a space or two
  char last = line.back();
  if (last != '#' && last != '$' && last != '>' && last != '%') return false;
  // A ruler ("#####", "$$$") or an arrow ("-->", "=>") is decoration, not a prompt.
  if (line.size() >= 2 && line.find_first_not_of(last) == std::string_view::npos) return false;
  if (last == '>' && line.size() >= 2 && (line[line.size() - 2] == '-' || line[line.size() - 2] == '=')) {
    return false;
  }
  // "Loading 100%" is progress; a csh prompt is "host% " or "% ".
  if (last == '%' && line.size() >= 2 && !std::isalpha(static_cast<unsigned char>(line[line.size() - 2])) &&
      line[line.size() - 2] != ' ') {
    return false;
  }
  if (line.find('<') != std::string_view::npos) {
    // Huawei/H3C "<HUAWEI>" is a prompt; markup ("<stream:stream>", "</b>") is not.
    if (line.front() != '<' || last != '>' || line.size() < 3) return false;
    std::string_view name = line.substr(1, line.size() - 2);
    return std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    });
  }
  // A sentence ending in '>' or '#' ("Press any key >", "Step #") has several words; prompts
  // have at most two blank-separated parts ("~ #", "/ #", "[root@cam ~]#", "[admin@MikroTik] >").
  std::string_view body = trim_right(line.substr(0, line.size() - 1));
  size_t words = 0;
  bool in_word = false;
  for (char c : body) {
    bool sp = c == ' ' || c == '\t';
    if (!sp && !in_word) ++words;
    in_word = !sp;
  }
  return words <= 3;
}

bool mentions_login_failure(std::string_view text) {
  std::string t = lower(text.substr(text.size() > kMaxClassified ? text.size() - kMaxClassified : 0));
  return contains_any(t, {"incorrect", "invalid", "login failed", "authentication failed", "failed to authenticate",
                          "access denied", "permission denied", "bad password", "wrong password",
                          "password error", "authentication error", "not authorized", "login failure",
                          "authentication failure", "rejected"});
}

bool mentions_lockout(std::string_view text) {
  std::string t = lower(text.substr(text.size() > kMaxClassified ? text.size() - kMaxClassified : 0));
  return contains_any(t, {"locked", "lockout", "lock out", "too many", "try again later", "try again in",
                          "retry later", "retry in", "retry after", "temporarily blocked", "temporarily disabled",
                          "blocked for", "banned", "attempts exceeded", "maximum number of login",
                          "wait before"});
}

TelnetScreen classify_telnet_screen(std::string_view screen) {
  if (screen.size() > kMaxClassified) screen = screen.substr(screen.size() - kMaxClassified);
  TelnetScreen s;
  std::string_view raw = last_line(screen);
  std::string_view line = trim_right(raw);
  s.prompt_line = std::string(line.substr(0, kMaxPromptLine));
  if (is_password_prompt(line)) s.prompt = TelnetPromptKind::password;
  else if (is_login_prompt(line)) s.prompt = TelnetPromptKind::login;
  else if (is_shell_prompt(raw)) s.prompt = TelnetPromptKind::shell;
  s.failure = mentions_login_failure(screen);
  s.lockout = mentions_lockout(screen);
  return s;
}

ProofCommand make_proof_command(int form, uint32_t a, uint32_t b) {
  a = 1000 + a % 9000;  // four digits each: the answer is never a digit string of the command
  b = 1000 + b % 9000;
  switch (form) {
    case 0: return {fmt::format("echo MAMORI_$(({}+{}))", a, b), fmt::format("MAMORI_{}", a + b), "arithmetic"};
    case 1: return {fmt::format("echo MAMORI_{}\"\"{}", a, b), fmt::format("MAMORI_{}{}", a, b), "concatenation"};
    default: return {fmt::format("echo \"MAMORI_{}Q{}\"", a, b), fmt::format("MAMORI_{}Q{}", a, b), "quotes"};
  }
}

bool proof_answered(std::string_view screen, std::string_view expect) {
  if (expect.empty()) return false;
  size_t pos = 0;
  while (pos <= screen.size()) {
    size_t eol = screen.find_first_of("\r\n", pos);
    std::string_view line = screen.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (trim(line) == expect) return true;
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// TelnetTerminal

struct TelnetTerminal::Impl {
  telnet_t* t = nullptr;
  ~Impl() {
    if (t) telnet_free(t);
  }
};

TelnetTerminal::TelnetTerminal() : impl_(std::make_unique<Impl>()) {
  impl_->t = telnet_init(
      kOptions,
      [](telnet_t* t, telnet_event_t* ev, void* user) {
        auto* self = static_cast<TelnetTerminal*>(user);
        switch (ev->type) {
          case TELNET_EV_DATA: self->on_data(ev->data.buffer, ev->data.size); break;
          case TELNET_EV_SEND: self->emit(ev->data.buffer, ev->data.size); break;
          case TELNET_EV_DO:
            // We just agreed to NAWS: tell an ordinary 80x24 window, once per agreement.
            if (ev->neg.telopt == TELNET_TELOPT_NAWS && self->naws_answers_ < kMaxSubnegotiationAnswers) {
              ++self->naws_answers_;
              static const char kSize[] = {0, 80, 0, 24};
              telnet_subnegotiation(t, TELNET_TELOPT_NAWS, kSize, sizeof kSize);
            }
            break;
          case TELNET_EV_TTYPE:
            if (ev->ttype.cmd == TELNET_TTYPE_SEND && self->ttype_answers_ < kMaxSubnegotiationAnswers) {
              ++self->ttype_answers_;
              telnet_ttype_is(t, "vt100");
            }
            break;
          case TELNET_EV_ERROR:
          case TELNET_EV_COMPRESS: self->stream_error_ = true; break;
          default: break;  // warnings: libtelnet resynchronises on its own
        }
      },
      0, this);
}

TelnetTerminal::~TelnetTerminal() = default;

void TelnetTerminal::feed(std::string_view bytes) {
  if (impl_->t && !bytes.empty()) telnet_recv(impl_->t, bytes.data(), bytes.size());
}

void TelnetTerminal::type_line(std::string_view line) {
  if (!impl_->t) return;
  telnet_send(impl_->t, line.data(), line.size());
  telnet_send(impl_->t, "\r\n", 2);
}

std::string TelnetTerminal::take_output() { return std::exchange(output_, {}); }

void TelnetTerminal::clear_screen() {
  screen_.clear();
  screen_bytes_ = 0;
}

void TelnetTerminal::emit(const char* data, size_t size) {
  // A server can only make us answer so much (each DO/WILL gets one reply; see kOptions).
  if (output_.size() + size <= kMaxOutput) output_.append(data, size);
}

void TelnetTerminal::on_data(const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    char c = data[i];
    switch (esc_) {
      case 1:  // after ESC: CSI, OSC, or a two-byte sequence
        esc_ = c == '[' ? 2 : c == ']' ? 3 : 0;
        esc_len_ = 0;
        continue;
      case 2:  // CSI parameters until a final byte 0x40..0x7e
        if ((c >= 0x40 && c <= 0x7e) || ++esc_len_ > 64) esc_ = 0;
        continue;
      case 3:  // OSC (xterm titles in prompts) until BEL or ESC '\'
        if (c == '\x07' || ++esc_len_ > 512) esc_ = 0;
        else if (c == '\x1b') esc_ = 4;
        continue;
      case 4:
        esc_ = c == '\\' ? 0 : 3;
        continue;
      default: break;
    }
    if (c == '\x1b') {
      esc_ = 1;
      continue;
    }
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\r' && c != '\n' && c != '\t') continue;  // NUL, BEL, BS...
    if (u == 0x7f) continue;
    ++screen_bytes_;
    screen_.push_back(c);
  }
  if (screen_.size() > kMaxScreen) screen_.erase(0, screen_.size() - kMaxScreen / 2);
}

// ---------------------------------------------------------------------------------------------
// The conversation

namespace {

using clock = std::chrono::steady_clock;

// How a screen ended.
struct ScreenEnd {
  TelnetScreen screen;
  bool closed = false;   // EOF, or a write failed
  bool flood = false;    // the screen or the connection's byte budget overflowed
  bool timeout = false;  // the deadline passed without a prompt
};

struct Session {
  std::unique_ptr<net::Conn> conn;
  TelnetTerminal term;
  Millis io{3000};
  std::string secret;  // the password being tried: kept out of every prompt line we report
  // The greeting's prompt: login (user name then password) or password (password only). A
  // credential may follow a refusal on the same connection only at this same kind of prompt
  // (a password prompt after a refused user+password is the same user's retry).
  TelnetPromptKind flow = TelnetPromptKind::none;
  bool closed_before_password = false;  // the last attempt ended before a password was asked
};

// Never lets the password into what we report, even if the device echoed it into a prompt:
// occurrences become "***"; a password too short to cut out cleanly withholds the whole text.
std::string redact(std::string text, const std::string& password) {
  if (password.empty() || text.find(password) == std::string::npos) return text;
  if (password.size() < 4) return "(withheld)";
  for (size_t pos = text.find(password); pos != std::string::npos; pos = text.find(password, pos + 3)) {
    text.replace(pos, password.size(), "***");
  }
  return text;
}

Task<bool> flush(Session& s) {
  std::string out = s.term.take_output();
  if (out.empty()) co_return true;
  auto w = co_await s.conn->write(out, kWriteWait);
  co_return w.ok();
}

// Reads one screen: until it ends with a prompt and then stays quiet for kPromptQuiet, or EOF,
// a flood, or `wait` passes. With `nudge`, a screen silent for kNudgeQuiet without a prompt gets
// one empty line (some devices show their login prompt only after Enter).
Task<ScreenEnd> read_screen(Session& s, Millis wait, bool nudge) {
  const auto deadline = clock::now() + wait;
  bool nudged = !nudge;
  std::string buf;
  ScreenEnd end;
  for (;;) {
    if (!co_await flush(s)) {
      end.closed = true;
      break;
    }
    end.screen = classify_telnet_screen(s.term.screen());
    end.screen.prompt_line = redact(std::move(end.screen.prompt_line), s.secret);
    if (s.term.screen_bytes() > kMaxFlood || s.conn->budget_exhausted()) {
      end.flood = true;
      break;
    }
    if (s.conn->eof()) {
      end.closed = true;
      break;
    }
    auto left = std::chrono::duration_cast<Millis>(deadline - clock::now());
    if (left.count() <= 0) {
      end.timeout = end.screen.prompt == TelnetPromptKind::none;
      break;
    }
    bool prompt = end.screen.prompt != TelnetPromptKind::none;
    Millis w = prompt ? std::min(left, kPromptQuiet) : left;
    if (!nudged) w = std::min(w, kNudgeQuiet);
    buf.clear();
    size_t n = co_await s.conn->read_some(buf, w, 4096);
    if (n > 0) {
      s.term.feed(buf);
      continue;
    }
    if (s.conn->eof()) continue;
    if (prompt) break;  // the prompt was the last thing said
    if (!nudged && w == kNudgeQuiet) {
      nudged = true;
      s.term.type_line("");
    }
  }
  co_return end;
}

// Types the proof commands in turn and reads each answer. Returns the form that was answered,
// or nullptr.
Task<const char*> prove_shell(Session& s) {
  std::random_device rd;
  const uint32_t a = rd(), b = rd();
  for (int form = 0; form < kProofForms; ++form) {
    ProofCommand p = make_proof_command(form, a, b);
    s.term.clear_screen();
    s.term.type_line(p.command);
    const auto deadline = clock::now() + s.io;
    std::string buf;
    for (;;) {
      if (!co_await flush(s)) co_return nullptr;
      const std::string& screen = s.term.screen();
      if (proof_answered(screen, p.expect)) co_return p.form;
      if (s.conn->eof() || s.conn->budget_exhausted() || s.term.screen_bytes() > kMaxFlood) co_return nullptr;
      auto left = std::chrono::duration_cast<Millis>(deadline - clock::now());
      if (left.count() <= 0) break;
      // The shell is done with the command once a line went by and the prompt is back.
      bool prompt_back = screen.find_first_of("\r\n") != std::string::npos &&
                         classify_telnet_screen(screen).prompt == TelnetPromptKind::shell;
      buf.clear();
      size_t n = co_await s.conn->read_some(buf, prompt_back ? std::min(left, kPromptQuiet) : left, 4096);
      if (n > 0) s.term.feed(buf);
      else if (prompt_back) break;
    }
    // No prompt came back within the deadline: not a shell that answers; do not wait again.
    if (clock::now() >= deadline) co_return nullptr;
  }
  co_return nullptr;
}

Task<Expected<bool>> open_session(Session& s, const CheckTarget& t) {
  auto c = co_await net::Conn::connect(t.ex, t.ip, t.port, t.limits);
  if (!c) co_return c.error();
  s.conn = std::move(*c);
  s.io = t.limits.io;
  if (t.service && t.service->tls) {
    auto tls = co_await s.conn->start_tls(t.hostname, t.limits.io);
    if (!tls) co_return tls.error();
  }
  co_return true;
}

// Ends politely: `exit` in a shell, then the socket.
Task<void> leave(Session& s, bool in_shell) {
  if (in_shell) {
    s.term.type_line("exit");
    (void)co_await flush(s);
  }
  s.conn->close();
}

std::string quoted(std::string_view text) { return "\"" + net::printable(text, 64) + "\""; }

AttemptResult result(Outcome o, std::string detail) {
  AttemptResult r;
  r.outcome = o;
  r.detail = std::move(detail);
  return r;
}

// What a screen that is not a shell says about the credential just sent (`what`: "user name",
// "password").
AttemptResult judge_refusal(const ScreenEnd& e, const char* what) {
  const TelnetScreen& s = e.screen;
  if (s.lockout) return result(Outcome::lockout, fmt::format("lockout text after the {}", what));
  if (s.prompt == TelnetPromptKind::login || s.prompt == TelnetPromptKind::password) {
    return result(Outcome::rejected, s.failure ? fmt::format("login failure text and a re-prompt {} after the {}",
                                                             quoted(s.prompt_line), what)
                                               : fmt::format("re-prompt {} after the {}", quoted(s.prompt_line), what));
  }
  if (s.failure) return result(Outcome::rejected, fmt::format("login failure text after the {}", what));
  if (e.closed) return result(Outcome::rejected, fmt::format("connection closed after the {}", what));
  if (e.flood) return result(Outcome::error, fmt::format("output flood after the {}", what));
  return result(Outcome::error, fmt::format("no recognisable answer to the {}", what));
}

// The prompt a refused attempt left on screen, where the next credential may be typed on the
// same connection (none when the connection ended or the screen shows anything else).
TelnetPromptKind reprompt_of(const ScreenEnd& e, const AttemptResult& r) {
  if (r.outcome != Outcome::rejected || e.closed || e.flood || e.timeout || e.screen.lockout) {
    return TelnetPromptKind::none;
  }
  if (e.screen.prompt == TelnetPromptKind::login || e.screen.prompt == TelnetPromptKind::password) {
    return e.screen.prompt;
  }
  return TelnetPromptKind::none;
}

Task<AttemptResult> after_password(Session& s, std::string how, TelnetPromptKind* next) {
  ScreenEnd e = co_await read_screen(s, s.io, false);
  if (e.screen.prompt != TelnetPromptKind::shell) {
    AttemptResult r = judge_refusal(e, "password");
    *next = reprompt_of(e, r);
    co_return r;
  }
  std::string prompt = e.screen.prompt_line;
  const char* form = co_await prove_shell(s);
  co_await leave(s, true);
  if (!form) {
    co_return result(Outcome::error, fmt::format("shell-like prompt {} after {} but the proof command was not answered",
                                                 quoted(prompt), how));
  }
  AttemptResult r = result(Outcome::accepted, fmt::format("shell prompt {} after {}; echo proof answered ({})",
                                                          quoted(prompt), how, form));
  r.evidence["prompt"] = net::printable(prompt, 80);
  r.evidence["proof"] = form;
  r.evidence["login"] = how;
  co_return r;
}

bool untypable(const Credential& c) {
  auto bad = [](const std::string& s) { return s.find_first_of(std::string("\r\n\0", 3)) != std::string::npos; };
  return bad(c.username) || bad(c.password);
}

// Types `c` at the prompt `at` now on screen (a login prompt: user name then password; a
// password prompt: the password only) and judges the answer. After a clean refusal, *next is
// the prompt the device put back, where another credential may follow on this connection.
Task<AttemptResult> login_at(Session& s, TelnetPromptKind at, const Credential& c, TelnetPromptKind* next) {
  *next = TelnetPromptKind::none;
  s.secret = c.password;
  s.closed_before_password = false;
  if (at == TelnetPromptKind::password) {
    s.term.clear_screen();
    s.term.type_line(c.password);
    co_return co_await after_password(s, "password-only prompt", next);
  }
  s.term.clear_screen();
  s.term.type_line(c.username);
  ScreenEnd user = co_await read_screen(s, s.io, false);
  if (user.screen.prompt == TelnetPromptKind::password) {
    s.term.clear_screen();
    s.term.type_line(c.password);
    co_return co_await after_password(s, "user name and password", next);
  }
  if (user.screen.prompt == TelnetPromptKind::shell) {
    // Some devices let a user in on the name alone: still proven only by the shell answering.
    std::string prompt = user.screen.prompt_line;
    const char* form = co_await prove_shell(s);
    co_await leave(s, true);
    if (!form) co_return result(Outcome::error, "shell-like prompt after the user name but no proof");
    AttemptResult r = result(Outcome::accepted, fmt::format("shell prompt {} after the user name alone (no password "
                                                            "asked); echo proof answered ({})", quoted(prompt), form));
    r.evidence["prompt"] = net::printable(prompt, 80);
    r.evidence["proof"] = form;
    r.evidence["login"] = "user name only";
    co_return r;
  }
  AttemptResult r = judge_refusal(user, "user name");
  *next = reprompt_of(user, r);
  s.closed_before_password = user.closed;
  if (*next == TelnetPromptKind::none) s.conn->close();
  co_return r;
}

// Connects, reads the greeting and, at a login or password prompt, logs in (login_at).
Task<AttemptResult> fresh_login(Session& s, const CheckTarget& t, const Credential& c, TelnetPromptKind* next) {
  *next = TelnetPromptKind::none;
  s.secret = c.password;
  if (auto ok = co_await open_session(s, t); !ok) co_return result(Outcome::error, "connect: " + ok.error().message);
  ScreenEnd greet = co_await read_screen(s, s.io, true);
  switch (greet.screen.prompt) {
    case TelnetPromptKind::shell:
      s.conn->close();
      co_return result(Outcome::unsupported, fmt::format("shell prompt {} without any login", quoted(greet.screen.prompt_line)));
    case TelnetPromptKind::login:
    case TelnetPromptKind::password:
      if (greet.closed) {
        s.conn->close();
        co_return result(Outcome::error, "connection closed at the login prompt before anything was typed");
      }
      s.flow = greet.screen.prompt;
      co_return co_await login_at(s, greet.screen.prompt, c, next);
    case TelnetPromptKind::none:
      break;
  }
  s.conn->close();
  if (greet.screen.lockout) co_return result(Outcome::lockout, "lockout text instead of a login prompt");
  if (greet.flood) co_return result(Outcome::error, "output flood before any prompt");
  if (greet.closed) co_return result(Outcome::error, "connection closed before a login prompt");
  co_return result(Outcome::error, "no login prompt");
}

Task<AttemptResult> attempt_login(const CheckTarget& t, const Credential& c) {
  if (untypable(c)) co_return result(Outcome::error, "credential contains a line break or NUL: cannot be typed");
  Session s;
  TelnetPromptKind next = TelnetPromptKind::none;
  AttemptResult r = co_await fresh_login(s, t, c, &next);
  if (s.conn) s.conn->close();
  co_return r;
}

// Logins per connection: login(1) of util-linux and busybox allow 3 before they hang up; the
// next credential then gets a new connection.
constexpr unsigned kMaxLoginsPerConnection = 3;

// Types the next credential at the prompt the device put back after a refusal, as a person at
// the terminal would, instead of reconnecting: this saves the connection, the greeting and the
// prompt's quiet time per attempt. Each answer is judged exactly as on a fresh connection. On a
// reused connection, anything short of a clear answer (it closed before the password was asked,
// an error, even lockout text, which may be the login program's own per-connection limit) is
// tried again once on a fresh connection, where the answer stands.
class TelnetSession final : public LoginSession {
 public:
  explicit TelnetSession(const CheckTarget& t) : target_(t) {}
  ~TelnetSession() override { drop(); }

  Task<AttemptResult> attempt(const Credential& c) override {
    if (untypable(c)) co_return result(Outcome::error, "credential contains a line break or NUL: cannot be typed");
    if (at_ != TelnetPromptKind::none && s_ && s_->conn && !s_->conn->eof()) {
      ++logins_;
      TelnetPromptKind next = TelnetPromptKind::none;
      AttemptResult r = co_await login_at(*s_, at_, c, &next);
      if (r.outcome == Outcome::accepted || (r.outcome == Outcome::rejected && !s_->closed_before_password)) {
        at_ = next == s_->flow ? next : TelnetPromptKind::none;
        co_return r;
      }
    }
    // A fresh connection.
    drop();
    s_ = std::make_unique<Session>();
    logins_ = 1;
    TelnetPromptKind next = TelnetPromptKind::none;
    AttemptResult r = co_await fresh_login(*s_, target_, c, &next);
    at_ = next == s_->flow ? next : TelnetPromptKind::none;
    co_return r;
  }

  bool reusable(const Credential&) const override {
    return at_ != TelnetPromptKind::none && s_ && s_->conn && !s_->conn->eof() &&
           logins_ < kMaxLoginsPerConnection;
  }

 private:
  void drop() {
    if (s_ && s_->conn) s_->conn->close();
    s_.reset();
    at_ = TelnetPromptKind::none;
  }

  const CheckTarget& target_;
  std::unique_ptr<Session> s_;
  TelnetPromptKind at_ = TelnetPromptKind::none;  // prompt on screen after a clean refusal
  unsigned logins_ = 0;                            // credentials typed on this connection
};

class TelnetChecker : public Checker {
 public:
  const CheckerInfo& info() const override {
    static const CheckerInfo i{"telnet",
                               "Telnet login (user name and password, or password only) proven by a shell "
                               "that evaluates an echo",
                               {"telnet"},
                               "login"};
    return i;
  }

  bool applies(const ServiceObservation& s) const override { return s.service == "telnet"; }

  Task<OpenAccessResult> check_open(const CheckTarget& t) const override {
    OpenAccessResult r;
    Session s;
    if (auto ok = co_await open_session(s, t); !ok) co_return r;
    ScreenEnd greet = co_await read_screen(s, s.io, true);
    if (greet.screen.prompt == TelnetPromptKind::none && greet.screen.lockout) r.lockout = true;
    if (greet.screen.prompt != TelnetPromptKind::shell) {
      s.conn->close();
      co_return r;
    }
    r.attempts = 1;
    std::string prompt = greet.screen.prompt_line;
    const char* form = co_await prove_shell(s);
    co_await leave(s, true);
    if (!form) co_return r;
    OpenAccess open{"no-authentication", "shell without login", {}};
    open.evidence["prompt"] = net::printable(prompt, 80);
    open.evidence["proof"] = form;
    r.found.push_back(std::move(open));
    r.no_login_needed = true;
    co_return r;
  }

  Task<AttemptResult> attempt(const CheckTarget& t, const Credential& c) const override {
    co_return co_await attempt_login(t, c);
  }

  std::unique_ptr<LoginSession> session(const CheckTarget& t) const override {
    return std::make_unique<TelnetSession>(t);
  }
};

}  // namespace

const Checker& telnet_checker() {
  static const TelnetChecker c;
  return c;
}

}  // namespace mamori::creds
