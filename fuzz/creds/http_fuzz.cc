// libFuzzer target for the HTTP checker's parsers of device bytes: WWW-Authenticate challenges
// (and the Digest answer computed from them), HTML forms, titles, the admin-page heuristic,
// the Beast-based response parser, cookies and form-action resolution.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "checks/creds/http/html_form.h"
#include "checks/creds/http/http_auth.h"

using namespace mamori::creds::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto challenges = parse_challenges(in);
  if (challenges.size() > kMaxChallenges) __builtin_trap();
  for (const auto& c : challenges) {
    if (c.params.size() > Challenge::kMaxParams) __builtin_trap();
    for (const auto& [k, v] : c.params) {
      if (v.size() > Challenge::kMaxValue) __builtin_trap();
    }
    auto a = authorization(c, {"GET", "/", "cnonce", 1}, "user", "pass");
    if (a && (a->find('\r') != std::string::npos || a->find('\n') != std::string::npos)) __builtin_trap();
  }
  choose_challenge(challenges);

  auto forms = parse_forms(in);
  if (forms.size() > kMaxForms) __builtin_trap();
  for (const auto& f : forms) {
    if (f.inputs.size() > kMaxInputs || f.action.size() > kMaxAttr) __builtin_trap();
  }
  if (auto lf = find_login_form(in)) {
    // A login form's password input is on the page, so the page is never "open".
    if (lf->password_field.empty() || !has_password_input(in)) __builtin_trap();
    auto p = resolve_action(lf->action, "/login.htm", [](std::string_view) { return std::string(); });
    if (p && (p->find('\r') != std::string::npos || p->find('\n') != std::string::npos)) __builtin_trap();
  }
  std::string title = html_title(in);
  if (title.size() > 4 * 256) __builtin_trap();  // printable-escaped, <= 256 bytes of text
  looks_like_admin_page(title, in);

  if (auto r = parse_http_reply(in, true)) {
    if (r->body.size() > kBodyLimit) __builtin_trap();
    CookieJar jar;
    jar.absorb(r->all("set-cookie"));
    if (jar.size() > 32) __builtin_trap();
    lockout_signs(*r);
  }
  return 0;
}
