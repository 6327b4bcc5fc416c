// HTML read by the HTTP checker: login forms, titles, and the "is this an administration page?"
// heuristic. A small bounded scanner (no regular expressions, no DOM): it looks at the first
// kMaxHtml bytes, skips comments, <script> and <style> content, keeps at most kMaxForms forms of
// kMaxInputs inputs, and cuts attribute values to kMaxAttr bytes. Linear in its input.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mamori::creds::http {

constexpr size_t kMaxHtml = 256 * 1024;
constexpr size_t kMaxForms = 16;
constexpr size_t kMaxInputs = 64;
constexpr size_t kMaxAttr = 1024;

struct HtmlInput {
  std::string type;  // lower case; "" when absent (a text input)
  std::string name;
  std::string value;  // entities decoded
};

struct HtmlForm {
  std::string action;  // entities decoded, as written ("" = the page itself)
  std::string method;  // lower case; "" when absent (GET)
  std::vector<HtmlInput> inputs;  // <input>, plus <button>/<select> that carry a name
};

// The forms of a page, in order. Inputs outside any <form> are ignored.
std::vector<HtmlForm> parse_forms(std::string_view html);

// A login form: exactly one password input, the user-name input being the last text-like input
// (text, email, tel, untyped) before it. Forms with two or more password inputs (change or
// registration forms) are not login forms.
struct LoginForm {
  std::string action;
  std::string method;  // "post" or "get"
  std::string user_field;      // "" for a password-only form
  std::string password_field;
  std::vector<std::pair<std::string, std::string>> hidden;  // hidden inputs and a named submit
};
std::optional<LoginForm> find_login_form(std::string_view html);

// True if the page has any <input type=password> (in a form or not): a page that asks for a
// password is never counted as open access.
bool has_password_input(std::string_view html);

// The <title>, white space collapsed, entities decoded, printable, at most 256 bytes.
std::string html_title(std::string_view html);

// Does an unauthenticated 200 page look like a device's administration interface? Deliberately
// conservative, because a public page (a "It works!" page, a product's info page) is not a
// finding:
//   - a page with any password input is a login page: never admin;
//   - admin if the <title> names an administrative interface (admin, setup, settings,
//     configuration, router, camera, status, wireless, management, control panel, dashboard,
//     gateway, modem, access point, nvr, dvr, web ui);
//   - otherwise admin only if the text shows at least two distinct device controls (reboot,
//     factory reset, firmware upgrade, change password, SSID, port forwarding, DHCP, WAN/LAN
//     settings, backup/restore configuration, save/apply settings, user management...).
// A vendor/model title with an information table and a "Logout" link is not enough: device
// info pages look like that too. `why` receives the keyword(s) that decided it.
bool looks_like_admin_page(std::string_view title, std::string_view html, std::string* why = nullptr);

// application/x-www-form-urlencoded encoding of one name or value.
std::string form_urlencode(std::string_view s);
// "a=1&b=2" from pairs, encoded.
std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields);

// The path a form posts to, resolved against the page's path: "" action = the page; "/x" as is;
// "x.cgi" relative to the page's directory; "?q" the page with that query; an absolute URL only
// when `same_host` accepts it (it returns the path or ""). nullopt: the action leaves this host
// or is not a URL we may follow (javascript:, data:, another scheme).
template <class SameHost>
std::optional<std::string> resolve_action(std::string_view action, std::string_view page_path,
                                          SameHost same_host);

std::optional<std::string> resolve_relative(std::string_view action, std::string_view page_path);

template <class SameHost>
std::optional<std::string> resolve_action(std::string_view action, std::string_view page_path,
                                          SameHost same_host) {
  size_t colon = action.find(':');
  size_t slash = action.find('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
    std::string p = same_host(action);  // a scheme: only our own http(s) URL
    if (p.empty()) return std::nullopt;
    return p;
  }
  if (action.starts_with("//")) return std::nullopt;
  return resolve_relative(action, page_path);
}

}  // namespace mamori::creds::http
