// The HTTP(S) credential checker (id "http"): Basic and Digest logins, the form logins of common
// device web interfaces, and administration pages served without any login.
//
//   check_open(): GET / (following up to 3 same-host redirects); an answer 200 without any
//     password input that looks_like_admin_page() (html_form.h: a conservative title/controls
//     heuristic) is OpenAccess "no-authentication" with no_login_needed. A public page is not.
//   attempt(): fetches the protected path (the one that answered 401 at identification, or /)
//     without credentials first, then
//     - 401 with a Basic/Digest challenge: the same GET with an Authorization answering it
//       (Digest: a stale=true answer is retried once with the fresh nonce). Accepted on 2xx, or
//       3xx to a location that is not a login/error page; rejected on 401/403 or a redirect to a
//       login page.
//     - a login form (the page, or the page a redirect led to): POSTs the form (user and
//       password fields, hidden inputs kept) with the cookies collected so far. Accepted only if
//       the answer set or changed a cookie AND a follow-up GET of the protected page (or of the
//       non-login page the POST redirected to) with the cookies answers 200 without a password
//       input. Rejected when the form comes back, on 401/403, or on a redirect to the login page.
//     - lockout on 429, Retry-After on a refusal, or "locked"/"too many" text on a refusal.
//     - unsupported when the service asks for no credentials or only with schemes we do not
//       speak (Bearer, NTLM...).
// Never follows a redirect or a form action to another host or port. detail/evidence never
// carry the password (query strings are dropped from paths, and the password is masked).
#pragma once

#include <string_view>

#include "checks/creds/checker.h"

namespace mamori::creds {

const Checker& http_checker();

namespace http {
// True for paths of login, logout and error pages ("/login", "/cgi-bin/logon.cgi?err=1").
bool login_like_path(std::string_view path);
}  // namespace http

}  // namespace mamori::creds
