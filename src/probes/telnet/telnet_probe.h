// Telnet: what a Telnet service shows before anyone logs in (the banner and the kind of prompt
// it ends with). Speak-first. Option negotiation goes through libtelnet with an empty option
// table, so every DO is answered WONT and every WILL is answered DONT: we agree to nothing.
// Never sends a user name, a password or a command.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "probes/probe.h"

namespace mamori::probes {

const TcpProbe& telnet_probe();

// The prompt a Telnet service ended its greeting with. Persistent names (telnet.prompt):
// "none", "login", "password", "shell". "shell" without a login is a service that gives a
// command line to anyone who connects.
enum class TelnetPrompt { none, login, password, shell };
const char* telnet_prompt_name(TelnetPrompt p);

// The prompt at the end of `text` (the last line, trailing white space ignored): "login:",
// "Username:", "User:" -> login; "Password:" -> password; a line ending in '#', '$' or '>'
// -> shell. Case-insensitive. No I/O.
TelnetPrompt detect_telnet_prompt(std::string_view text);

// I/O-free reader of the bytes a Telnet server sends first. Feed it what arrives, in any split;
// send what take_replies() returns (negotiation refusals only). Bounded: at most kMaxText bytes
// of text are kept, subnegotiations are bounded by libtelnet's buffer; ANSI escape sequences
// (CSI and two-byte ESC sequences) are dropped from the text.
// Not thread-safe; one reader per connection.
class TelnetReader {
 public:
  static constexpr size_t kMaxText = 8 * 1024;
  static constexpr size_t kMaxNegotiations = 32;

  TelnetReader();
  ~TelnetReader();
  TelnetReader(const TelnetReader&) = delete;
  TelnetReader& operator=(const TelnetReader&) = delete;

  void feed(std::string_view bytes);
  // Bytes to send back (WONT/DONT refusals), emptied by the call.
  std::string take_replies();

  const std::string& text() const { return text_; }  // data bytes, NULs and ANSI sequences dropped
  TelnetPrompt prompt() const { return detect_telnet_prompt(text_); }
  bool saw_iac() const { return saw_iac_; }  // any Telnet command (IAC ...) arrived
  // libtelnet reported a broken stream (e.g. an aborted subnegotiation) or the server switched
  // on MCCP2 compression on its own (libtelnet then inflates; a broken stream ends up dropped).
  // After that the text may depend on how the bytes were split.
  bool stream_error() const { return stream_error_; }
  // The options the server asked about, in order: "DO 31 WILL 1 WILL 3" (at most
  // kMaxNegotiations entries).
  const std::string& negotiation() const { return negotiation_; }
  // Text before the prompt line (all text when no prompt): printable ASCII, CR, LF and TAB kept,
  // other bytes as \xNN, leading blank lines and trailing white space trimmed, <= max bytes.
  std::string banner(size_t max = 1024) const;

 private:
  struct Impl;
  friend struct Impl;
  void on_data(const char* data, size_t size);
  std::unique_ptr<Impl> impl_;
  std::string text_;
  std::string replies_;
  std::string negotiation_;
  size_t negotiations_ = 0;
  bool saw_iac_ = false;
  bool stream_error_ = false;
  int esc_ = 0;  // 0 text, 1 after ESC, 2 inside CSI
};

// True if `greeting` looks like a Telnet service: it starts with a Telnet command (IAC followed
// by WILL/WONT/DO/DONT/SB) or its text ends with a login, password or shell prompt.
bool looks_like_telnet(std::string_view greeting);

}  // namespace mamori::probes
