// The telnet checker's parsers on arbitrary server bytes: the terminal (libtelnet negotiation,
// escape stripping), the screen classifier and the proof matcher. Oracles: the bounds hold,
// an unbroken stream gives the same screen and answers however it is split, a proof is only
// found where the expected line is, and classification agrees with the line classifiers.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "checks/creds/telnet/telnet_checker.h"

using namespace mamori::creds;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 16;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  TelnetTerminal whole;
  whole.feed(in);
  std::string whole_out = whole.take_output();
  TelnetTerminal split;
  std::string split_out;
  for (size_t i = 0; i < in.size(); i += chunk) {
    split.feed(in.substr(i, chunk));
    split_out += split.take_output();
    if (i % 64 == 0) split.type_line("echo MAMORI_$((1000+234))");  // typing mid-stream is safe
  }
  if (whole.screen().size() > TelnetTerminal::kMaxScreen) std::abort();
  if (whole_out.size() > TelnetTerminal::kMaxOutput) std::abort();
  if (whole.screen_bytes() < whole.screen().size()) std::abort();
  if (!whole.stream_error() && !split.stream_error() && whole.screen_bytes() <= TelnetTerminal::kMaxScreen) {
    if (whole.screen() != split.screen()) std::abort();
  }

  for (std::string_view text : {std::string_view(whole.screen()), in}) {
    TelnetScreen s = classify_telnet_screen(text);
    if (s.prompt_line.size() > 80) std::abort();
    if (s.prompt == TelnetPromptKind::password && !is_password_prompt(s.prompt_line)) std::abort();
    if (s.prompt == TelnetPromptKind::login && !is_login_prompt(s.prompt_line)) std::abort();
    (void)telnet_prompt_kind_name(s.prompt);
    for (int form = 0; form < kProofForms; ++form) {
      ProofCommand p = make_proof_command(form, static_cast<uint32_t>(size), data[0]);
      if (proof_answered(text, p.expect) && text.find(p.expect) == std::string_view::npos) std::abort();
      // The typing alone, echoed back, never proves anything.
      if (proof_answered(p.command, p.expect)) std::abort();
    }
    (void)proof_answered(text, "MAMORI_1234");
  }
  return 0;
}
