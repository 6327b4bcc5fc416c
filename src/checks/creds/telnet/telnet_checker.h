// Telnet credential checker: logs in the way a person at a terminal would (user name, password,
// or only a password where the device asks for nothing else) and counts a login as accepted only
// when a shell prompt appears AND the shell evaluates a harmless echo whose answer cannot be the
// echo of what was typed. "Login incorrect", a re-prompt or a closed connection is rejected;
// silence, floods and anything unrecognised are errors, never successes.
//
// The pure parts (the terminal, the screen classifier, the proof commands) are free functions
// and an I/O-free class so they can be unit-tested and fuzzed; the coroutines live in the .cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "checks/creds/checker.h"

namespace mamori::creds {

// info id "telnet", services {"telnet"}, credential_kind "login".
const Checker& telnet_checker();

// The prompt a screen of Telnet text ends with. "shell" is a command line (`# `, `$ `, `> `,
// `[root@host ~]# `, `<HUAWEI>`...), reported only when nothing but a little white space
// follows it on its line.
enum class TelnetPromptKind { none, login, password, shell };
const char* telnet_prompt_kind_name(TelnetPromptKind k);

// What one screen (the text received since we last typed something) shows.
struct TelnetScreen {
  TelnetPromptKind prompt = TelnetPromptKind::none;
  std::string prompt_line;  // the last line, trailing white space trimmed, <= 80 bytes
  bool failure = false;     // a login-failure text: "Login incorrect", "% Authentication failed"...
  bool lockout = false;     // a lockout or rate-limit text: "locked", "too many", "try again later"
};

// Classifies `screen` (decoded text, no Telnet commands). Case-insensitive. No I/O, no state;
// looks at most at the last kMaxClassified bytes.
constexpr size_t kMaxClassified = 16 * 1024;
TelnetScreen classify_telnet_screen(std::string_view screen);

// Classifiers of one prompt line (no line break inside; trailing white space allowed).
bool is_login_prompt(std::string_view line);
bool is_password_prompt(std::string_view line);
bool is_shell_prompt(std::string_view line);
bool mentions_login_failure(std::string_view text);
bool mentions_lockout(std::string_view text);

// The proof that a shell really runs commands: `command` is typed, `expect` must then come back
// as a line of its own (white space around it ignored). The expected line never occurs in the
// typed command, so an echo of the typing (or a device that repeats whatever it is sent) cannot
// pass. Forms, tried in order: 0 arithmetic (`echo MAMORI_$((a+b))` -> MAMORI_<a+b>), 1 empty
// quotes joining two words (`echo MAMORI_a""b` -> MAMORI_ab), 2 quotes removed
// (`echo "MAMORI_aXb"` -> MAMORI_aXb) for minimal shells that evaluate neither.
struct ProofCommand {
  std::string command;
  std::string expect;
  const char* form = "";  // "arithmetic", "concatenation", "quotes"
};
constexpr int kProofForms = 3;
ProofCommand make_proof_command(int form, uint32_t a, uint32_t b);
// True if `screen` holds `expect` as a whole line.
bool proof_answered(std::string_view screen, std::string_view expect);

// I/O-free Telnet terminal: feed it what the server sends (any split), send what take_output()
// returns. Options: accepts the server's WILL ECHO / WILL SGA, agrees to DO SGA, DO NAWS
// (answers 80x24) and DO TTYPE (answers "vt100"); refuses everything else (libtelnet RFC 1143
// negotiation, so no option loops). Screen text drops NULs, control bytes other than CR LF TAB,
// and ANSI CSI / OSC / two-byte ESC sequences. Bounded: the screen keeps a tail of at most
// kMaxScreen bytes (prompts are at the end), output waiting to be sent at most kMaxOutput bytes. Not thread-safe.
class TelnetTerminal {
 public:
  static constexpr size_t kMaxScreen = 16 * 1024;
  static constexpr size_t kMaxOutput = 16 * 1024;

  TelnetTerminal();
  ~TelnetTerminal();
  TelnetTerminal(const TelnetTerminal&) = delete;
  TelnetTerminal& operator=(const TelnetTerminal&) = delete;

  void feed(std::string_view bytes);
  // Queues `line` followed by CR LF (IAC bytes escaped). REQUIRES: no CR, LF or NUL in `line`.
  void type_line(std::string_view line);
  // Bytes to send (negotiation answers, subnegotiations, typed lines), emptied by the call.
  std::string take_output();

  // Text received since the last clear_screen() (a tail of it once it outgrew kMaxScreen).
  const std::string& screen() const { return screen_; }
  // Text bytes received since the last clear_screen(), including those no longer kept.
  size_t screen_bytes() const { return screen_bytes_; }
  void clear_screen();
  // libtelnet reported a broken stream, or the server turned on compression on its own.
  bool stream_error() const { return stream_error_; }

 private:
  struct Impl;
  void on_data(const char* data, size_t size);
  void emit(const char* data, size_t size);
  std::unique_ptr<Impl> impl_;
  std::string screen_;
  std::string output_;
  size_t screen_bytes_ = 0;
  unsigned ttype_answers_ = 0;
  unsigned naws_answers_ = 0;
  bool stream_error_ = false;
  int esc_ = 0;  // 0 text, 1 after ESC, 2 inside CSI, 3 inside OSC, 4 ESC inside OSC
  size_t esc_len_ = 0;
};

}  // namespace mamori::creds
