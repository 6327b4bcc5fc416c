#include "probes/telnet/telnet_probe.h"

#include <libtelnet.h>

#include <algorithm>
#include <cctype>
#include <chrono>

namespace mamori::probes {
namespace {

constexpr size_t kMaxRead = 8 * 1024;     // greeting bytes read in all
constexpr Millis kTotalWait{3000};        // for the whole greeting
constexpr Millis kShellQuiet{250};        // a shell prompt counts once nothing follows it
constexpr size_t kMaxPromptLine = 64;

// No option is supported: libtelnet answers DO with WONT and WILL with DONT.
const telnet_telopt_t kNoOptions[] = {{-1, 0, 0}};

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), s.end() - suffix.size(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The last line of `text` and whether it ended with exactly one space after the prompt char.
std::string_view last_line(std::string_view text) {
  size_t eol = text.find_last_of("\r\n");
  return eol == std::string_view::npos ? text : text.substr(eol + 1);
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

const char* telnet_prompt_name(TelnetPrompt p) {
  switch (p) {
    case TelnetPrompt::login: return "login";
    case TelnetPrompt::password: return "password";
    case TelnetPrompt::shell: return "shell";
    case TelnetPrompt::none: break;
  }
  return "none";
}

TelnetPrompt detect_telnet_prompt(std::string_view text) {
  // A prompt is not followed by a line end: only spaces may follow it on its line.
  std::string_view raw = last_line(text);
  std::string_view line = trim_right(raw);
  if (line.empty()) return TelnetPrompt::none;
  for (std::string_view p : {"login:", "username:", "user name:", "user:", "login as:", "user id:"}) {
    if (ends_with_ci(line, p)) return TelnetPrompt::login;
  }
  for (std::string_view p : {"password:", "passwd:", "passcode:"}) {
    if (ends_with_ci(line, p)) return TelnetPrompt::password;
  }
  char last = line.back();
  if ((last == '#' || last == '$' || last == '>') && line.size() <= kMaxPromptLine &&
      line.find('<') == std::string_view::npos && raw.size() - line.size() <= 1 &&
      line.find_first_not_of(last) != std::string_view::npos) {
    return TelnetPrompt::shell;
  }
  return TelnetPrompt::none;
}

struct TelnetReader::Impl {
  telnet_t* t = nullptr;
  ~Impl() {
    if (t) telnet_free(t);
  }
};

TelnetReader::TelnetReader() : impl_(std::make_unique<Impl>()) {
  impl_->t = telnet_init(
      kNoOptions,
      [](telnet_t*, telnet_event_t* ev, void* user) {
        auto* self = static_cast<TelnetReader*>(user);
        auto note = [self](const char* verb, unsigned char opt) {
          self->saw_iac_ = true;
          if (self->negotiations_ >= kMaxNegotiations) return;
          ++self->negotiations_;
          if (!self->negotiation_.empty()) self->negotiation_ += ' ';
          self->negotiation_ += verb;
          self->negotiation_ += ' ';
          self->negotiation_ += std::to_string(opt);
        };
        switch (ev->type) {
          case TELNET_EV_DATA: self->on_data(ev->data.buffer, ev->data.size); break;
          case TELNET_EV_SEND:
            // libtelnet refuses options silently (no WILL/DO event): the refusal tells what
            // the server asked, WONT for its DO and DONT for its WILL.
            if (ev->data.size == 3 && static_cast<unsigned char>(ev->data.buffer[0]) == TELNET_IAC) {
              auto cmd = static_cast<unsigned char>(ev->data.buffer[1]);
              auto opt = static_cast<unsigned char>(ev->data.buffer[2]);
              if (cmd == TELNET_WONT) note("DO", opt);
              if (cmd == TELNET_DONT) note("WILL", opt);
            }
            if (self->replies_.size() < 4096) self->replies_.append(ev->data.buffer, ev->data.size);
            break;
          case TELNET_EV_WILL: note("WILL", ev->neg.telopt); break;
          case TELNET_EV_WONT: note("WONT", ev->neg.telopt); break;
          case TELNET_EV_DO: note("DO", ev->neg.telopt); break;
          case TELNET_EV_DONT: note("DONT", ev->neg.telopt); break;
          case TELNET_EV_IAC:  // IAC + a byte that is a Telnet command (EOF 236 .. SE 240 .. GA 249)
            if (ev->iac.cmd >= TELNET_EOF) self->saw_iac_ = true;
            break;
          case TELNET_EV_SUBNEGOTIATION:
          case TELNET_EV_TTYPE:
          case TELNET_EV_ENVIRON:
          case TELNET_EV_MSSP:
          case TELNET_EV_ZMP:
            self->saw_iac_ = true;
            break;
          case TELNET_EV_ERROR:
          case TELNET_EV_COMPRESS:
            self->stream_error_ = true;
            break;
          default: break;  // warnings: the parser resynchronises on its own
        }
      },
      0, this);
}

TelnetReader::~TelnetReader() = default;

void TelnetReader::feed(std::string_view bytes) {
  if (!impl_->t || bytes.empty()) return;
  telnet_recv(impl_->t, bytes.data(), bytes.size());
}

std::string TelnetReader::take_replies() { return std::exchange(replies_, {}); }

void TelnetReader::on_data(const char* data, size_t size) {
  for (size_t i = 0; i < size && text_.size() < kMaxText; ++i) {
    char c = data[i];
    if (esc_ == 1) {  // after ESC: CSI, or a two-byte sequence
      esc_ = c == '[' ? 2 : 0;
      continue;
    }
    if (esc_ == 2) {  // CSI parameters until a final byte 0x40..0x7e
      if (c >= 0x40 && c <= 0x7e) esc_ = 0;
      continue;
    }
    if (c == '\x1b') {
      esc_ = 1;
      continue;
    }
    if (c == '\0') continue;  // CR NUL
    text_.push_back(c);
  }
}

std::string TelnetReader::banner(size_t max) const {
  std::string_view t = text_;
  if (prompt() != TelnetPrompt::none) {
    size_t eol = t.find_last_of("\r\n");
    t = eol == std::string_view::npos ? std::string_view() : t.substr(0, eol + 1);
  }
  size_t first = t.find_first_not_of("\r\n");
  t = first == std::string_view::npos ? std::string_view() : t.substr(first);
  t = trim_right(t);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : t) {
    if (out.size() >= max) break;
    if ((c >= 0x20 && c < 0x7f) || c == '\r' || c == '\n' || c == '\t') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  if (out.size() > max) out.resize(max);
  return out;
}

bool looks_like_telnet(std::string_view greeting) {
  if (greeting.size() >= 2 && static_cast<unsigned char>(greeting[0]) == TELNET_IAC) {
    auto cmd = static_cast<unsigned char>(greeting[1]);
    if (cmd >= TELNET_SB && cmd <= TELNET_DONT) return true;
  }
  TelnetReader r;
  r.feed(greeting.substr(0, TelnetReader::kMaxText));
  switch (r.prompt()) {
    case TelnetPrompt::login:
    case TelnetPrompt::password: return true;
    case TelnetPrompt::shell:
      // Without Telnet commands, only the unmistakable "# " / "$ " shell prompts.
      return r.saw_iac() || r.text().ends_with("# ") || r.text().ends_with("$ ");
    case TelnetPrompt::none: break;
  }
  return false;
}

namespace {

class TelnetProbe : public TcpProbe {
 public:
  const ProbeInfo& info() const override {
    static const ProbeInfo i{"telnet", "Telnet banner and prompt (login, password, or an open shell)",
                             Proto::tcp, {23, 2323}, Safety::safe};
    return i;
  }
  bool claims_banner(std::string_view banner) const override { return looks_like_telnet(banner); }
  int affinity(uint16_t) const override { return -1; }  // speak-first only

  Task<std::optional<ServiceObservation>> run(net::Conn& conn, std::string banner,
                                              const ProbeContext& ctx) const override {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + kTotalWait;
    TelnetReader r;
    size_t total = std::min(banner.size(), kMaxRead);
    r.feed(std::string_view(banner).substr(0, total));
    std::string buf;
    for (;;) {
      if (std::string reply = r.take_replies(); !reply.empty()) {
        (void)co_await conn.write(reply, Millis(1000));  // a refusal the server ignores is fine
      }
      TelnetPrompt p = r.prompt();
      if (p == TelnetPrompt::login || p == TelnetPrompt::password) break;
      if (total >= kMaxRead || conn.eof() || conn.budget_exhausted()) break;
      auto left = std::chrono::duration_cast<Millis>(deadline - clock::now());
      if (left.count() <= 0) break;
      buf.clear();
      size_t n = co_await conn.read_some(buf, p == TelnetPrompt::shell ? std::min(left, kShellQuiet) : left,
                                         std::min<size_t>(4096, kMaxRead - total));
      if (n == 0 && p == TelnetPrompt::shell) break;  // the prompt was the last thing said
      total += n;
      r.feed(buf);
    }
    if (!r.saw_iac() && r.prompt() == TelnetPrompt::none) co_return std::nullopt;
    ServiceObservation obs = make_service(ctx, "telnet");
    obs.fields["telnet.prompt"] = telnet_prompt_name(r.prompt());
    if (std::string b = r.banner(); !b.empty()) obs.fields["telnet.banner"] = std::move(b);
    if (!r.negotiation().empty()) obs.fields["telnet.negotiation"] = r.negotiation();
    if (r.prompt() == TelnetPrompt::none) {
      if (total >= kMaxRead) obs.behaviour = "flood";
      else if (r.stream_error()) obs.behaviour = "garbage";
    }
    co_return obs;
  }
};

}  // namespace

const TcpProbe& telnet_probe() {
  static const TelnetProbe p;
  return p;
}

}  // namespace mamori::probes
