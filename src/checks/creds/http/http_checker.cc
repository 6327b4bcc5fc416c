#include "checks/creds/http/http_checker.h"

#include "checks/creds/http/html_form.h"
#include "checks/creds/http/http_auth.h"

namespace mamori::creds {
namespace http {

bool login_like_path(std::string_view path) {
  std::string p = lower(path);
  for (std::string_view w : {"login", "logon", "signin", "sign_in", "sign-in", "logout", "auth", "error",
                             "fail", "denied"}) {
    if (p.find(w) != std::string::npos) return true;
  }
  return false;
}

}  // namespace http

namespace {
using namespace http;

constexpr int kMaxRedirects = 3;

bool use_tls(const CheckTarget& t) {
  return t.service && (t.service->tls || t.service->service == "https");
}

std::string without_query(std::string_view path) { return std::string(path.substr(0, path.find_first_of("?#"))); }

// Masks the password wherever a device may have echoed it (a Location, a title).
std::string scrub(std::string s, std::string_view password) {
  if (password.size() < 2) return s;
  for (size_t p = s.find(password); p != std::string::npos; p = s.find(password, p + 3)) {
    s.replace(p, password.size(), "***");
  }
  return s;
}

AttemptResult result(Outcome o, std::string detail, std::map<std::string, std::string> evidence = {}) {
  return AttemptResult{o, net::printable(detail), std::move(evidence)};
}

AttemptResult scrubbed(AttemptResult r, std::string_view password) {
  r.detail = scrub(std::move(r.detail), password);
  for (auto& [k, v] : r.evidence) v = scrub(std::move(v), password);
  return r;
}

// The path that asked for credentials at identification (a 401 reached through a redirect), or /.
std::string protected_path(const CheckTarget& t, bool tls) {
  if (!t.service) return "/";
  const auto& f = t.service->fields;
  auto status = f.find("http.status");
  auto loc = f.find("http.location");
  if (status != f.end() && status->second == "401" && loc != f.end()) {
    std::string p = same_host_path(loc->second, t, tls);
    if (!p.empty() && !login_like_path(p)) return p;
  }
  return "/";
}

// One page reached by GET, after at most kMaxRedirects same-host redirects.
struct Page {
  std::string first_path;  // where we started
  std::string path;        // where we ended
  bool redirected = false;
  Reply reply;
};

class Client {
 public:
  Client(const CheckTarget& t) : t_(t), tls_(use_tls(t)), host_(host_header(t, tls_)) {}
  bool tls() const { return tls_; }
  unsigned requests() const { return requests_; }
  CookieJar& jar() { return jar_; }

  Task<Expected<Reply>> send(std::string method, std::string path, std::string extra = "", std::string body = "") {
    if (!jar_.empty()) extra += "Cookie: " + jar_.header() + "\r\n";
    ++requests_;
    auto r = co_await http_fetch(t_, tls_, http_request(method, path, host_, extra, body));
    if (r) jar_.absorb(r->all("set-cookie"));
    co_return r;
  }

  // GET `path`, following same-host redirects (cookies kept).
  Task<Expected<Page>> get(std::string path, std::string extra = "") {
    Page page{path, path, false, {}};
    for (int hop = 0;; ++hop) {
      auto r = co_await send("GET", page.path, extra);
      if (!r) co_return r.error();
      page.reply = std::move(*r);
      int s = page.reply.status;
      if (s < 300 || s >= 400 || hop == kMaxRedirects) co_return page;
      std::string next = same_host_path(page.reply.header("location"), t_, tls_);
      if (next.empty()) co_return page;
      page.path = next;
      page.redirected = true;
    }
  }

  std::string same_host(std::string_view location) const { return same_host_path(location, t_, tls_); }
  std::string referer(std::string_view path) const {
    return std::string(tls_ ? "https://" : "http://") + host_ + std::string(path);
  }

 private:
  const CheckTarget& t_;
  bool tls_;
  std::string host_;
  CookieJar jar_;
  unsigned requests_ = 0;
};

std::string status_text(const Reply& r) { return "HTTP " + std::to_string(r.status); }

// Basic/Digest: answer the challenge of `first` (a 401 for `path`).
Task<AttemptResult> challenge_login(Client& cl, const std::string& path, const Reply& first, const Credential& c) {
  auto challenges = parse_challenges(first.all("www-authenticate"));
  const Challenge* ch = choose_challenge(challenges);
  if (!ch) {
    std::string schemes;
    for (const auto& x : challenges) schemes += (schemes.empty() ? "" : ",") + x.scheme;
    co_return result(Outcome::unsupported,
                     "HTTP 401 without a Basic/Digest challenge we can answer (" + schemes + ")");
  }
  Challenge chosen = *ch;
  std::string method = chosen.scheme;
  for (int round = 0; round < 2; ++round) {
    DigestRequest dr{"GET", path, make_cnonce(), 1};
    auto auth = authorization(chosen, dr, c.username, c.password);
    if (!auth) co_return result(Outcome::unsupported, "challenge cannot be answered");
    auto r = co_await cl.send("GET", path, "Authorization: " + *auth + "\r\n");
    if (!r) co_return result(Outcome::error, r.error().message);
    std::map<std::string, std::string> ev{{"method", method}, {"path", without_query(path)},
                                          {"status", std::to_string(r->status)}};
    if (method == "digest") ev["algorithm"] = digest_algorithm_name(*digest_algorithm(chosen));
    if (lockout_signs(*r)) co_return result(Outcome::lockout, status_text(*r) + " with lockout signs", ev);
    if (r->status >= 200 && r->status < 300) {
      co_return result(Outcome::accepted, status_text(*r) + " with " + method + " credentials, 401 without", ev);
    }
    if (r->status >= 300 && r->status < 400) {
      std::string loc = cl.same_host(r->header("location"));
      if (loc.empty() || login_like_path(loc)) {
        co_return result(Outcome::rejected, status_text(*r) + " to a login page or another host", ev);
      }
      ev["location"] = without_query(loc);
      co_return result(Outcome::accepted, status_text(*r) + " to " + without_query(loc) + " with " + method +
                                              " credentials, 401 without", ev);
    }
    if (r->status == 401 && method == "digest" && round == 0) {
      // stale=true: the nonce expired, not the password. Once, with the fresh nonce.
      auto again = parse_challenges(r->all("www-authenticate"));
      const Challenge* fresh = choose_challenge(again);
      if (fresh && fresh->scheme == "digest" && lower(fresh->param("stale")) == "true") {
        chosen = *fresh;
        continue;
      }
    }
    if (r->status == 401 || r->status == 403) {
      co_return result(Outcome::rejected, status_text(*r) + " with " + method + " credentials", ev);
    }
    co_return result(Outcome::error, status_text(*r) + " with credentials, 401 without", ev);
  }
  co_return result(Outcome::rejected, "HTTP 401 after a stale nonce was renewed");
}

// A form login on `login` (a page holding the form), `protected_path` being what led there.
Task<AttemptResult> form_login(Client& cl, const Page& login, const std::string& protected_path,
                               const Credential& c) {
  auto lf = find_login_form(login.reply.body);
  if (!lf) co_return result(Outcome::unsupported, "no login form");
  auto action = resolve_action(lf->action, login.path, [&](std::string_view a) { return cl.same_host(a); });
  if (!action) co_return result(Outcome::unsupported, "login form posts to another host or a script");
  std::vector<std::pair<std::string, std::string>> fields;
  if (!lf->user_field.empty()) fields.emplace_back(lf->user_field, c.username);
  fields.emplace_back(lf->password_field, c.password);
  for (const auto& h : lf->hidden) fields.push_back(h);
  const std::string body = form_body(fields);
  std::map<std::string, std::string> ev{{"method", "form"}, {"login_path", without_query(login.path)},
                                        {"action", without_query(*action)}};

  const std::string before = cl.jar().header();
  Expected<Reply> r = make_error("");
  if (lf->method == "post") {
    r = co_await cl.send("POST", *action,
                         "Content-Type: application/x-www-form-urlencoded\r\nReferer: " + cl.referer(login.path) + "\r\n",
                         body);
  } else {
    r = co_await cl.send("GET", *action + (action->find('?') == std::string::npos ? "?" : "&") + body,
                         "Referer: " + cl.referer(login.path) + "\r\n");
  }
  if (!r) co_return result(Outcome::error, r.error().message, ev);
  ev["status"] = std::to_string(r->status);
  const bool form_back = has_password_input(r->body);
  if (lockout_signs(*r) || (form_back && lockout_text(r->body))) {
    co_return result(Outcome::lockout, status_text(*r) + " after the form login, with lockout signs", ev);
  }
  if (r->status == 401 || r->status == 403) co_return result(Outcome::rejected, status_text(*r) + " to the form login", ev);
  std::string loc;
  if (r->status >= 300 && r->status < 400) loc = cl.same_host(r->header("location"));
  const bool to_login = (r->status >= 300 && r->status < 400) &&
                        (loc.empty() || login_like_path(loc) || without_query(loc) == without_query(login.path));
  const bool session = cl.jar().header() != before;
  if (form_back) co_return result(Outcome::rejected, "login form came back (" + status_text(*r) + ")", ev);
  if (to_login) co_return result(Outcome::rejected, status_text(*r) + " back to the login page", ev);
  if (!session) {
    co_return result(Outcome::error, status_text(*r) + " after the form login without a session cookie: no proof", ev);
  }
  // Proof: the page that sent us to the login form now opens with the session.
  std::string follow = !loc.empty() ? loc : protected_path;
  auto page = co_await cl.get(follow);
  if (!page) co_return result(Outcome::error, page.error().message, ev);
  ev["proof_path"] = without_query(page->path);
  ev["proof_status"] = std::to_string(page->reply.status);
  if (page->reply.status == 200 && !has_password_input(page->reply.body) && !login_like_path(page->path)) {
    co_return result(Outcome::accepted,
                     "form login set a session cookie and " + without_query(page->path) + " answers 200 without a login form",
                     ev);
  }
  if (has_password_input(page->reply.body) || login_like_path(page->path) || page->reply.status == 401 ||
      page->reply.status == 403) {
    co_return result(Outcome::rejected, "session cookie set but " + without_query(follow) + " still asks for a login", ev);
  }
  co_return result(Outcome::error, status_text(page->reply) + " for " + without_query(follow) + " after the form login", ev);
}

class HttpChecker : public Checker {
 public:
  const CheckerInfo& info() const override {
    static const CheckerInfo i{"http", "HTTP(S) Basic, Digest and form logins; admin pages without login",
                               {"http", "https", "upnp", "tr069"}, "login"};
    return i;
  }

  bool applies(const ServiceObservation& s) const override {
    if (s.service == "http" || s.service == "https") return true;
    // UPnP and TR-069 endpoints only when identification saw an HTTP page with some login.
    if (s.service != "upnp" && s.service != "tr069") return false;
    auto auth = s.fields.find("http.auth");
    return auth != s.fields.end() && auth->second != "none";
  }

  Task<OpenAccessResult> check_open(const CheckTarget& t) const override {
    OpenAccessResult out;
    Client cl(t);
    auto page = co_await cl.get("/");
    out.attempts = cl.requests();
    if (!page) co_return out;
    const Reply& r = page->reply;
    if (r.status == 429 || lockout_signs(r)) {
      out.lockout = true;
      co_return out;
    }
    if (r.status != 200 || login_like_path(page->path)) co_return out;
    std::string title = html_title(r.body);
    std::string why;
    if (!looks_like_admin_page(title, r.body, &why)) co_return out;
    out.found.push_back(OpenAccess{"no-authentication", "admin page without login",
                                   {{"path", net::printable(without_query(page->path))},
                                    {"title", title},
                                    {"status", "200"},
                                    {"reason", why}}});
    out.no_login_needed = true;
    co_return out;
  }

  Task<AttemptResult> attempt(const CheckTarget& t, const Credential& c) const override {
    co_return scrubbed(co_await attempt_inner(t, c), c.password);
  }

 private:
  static Task<AttemptResult> attempt_inner(const CheckTarget& t, const Credential& c) {
    Client cl(t);
    const std::string start = protected_path(t, cl.tls());
    auto page = co_await cl.get(start);
    if (!page) co_return result(Outcome::error, page.error().message);
    const Reply& r = page->reply;
    if (lockout_signs(r)) co_return result(Outcome::lockout, status_text(r) + " with lockout signs before any credentials");
    if (r.status == 401) co_return co_await challenge_login(cl, page->path, r, c);
    if (r.status == 200 && find_login_form(r.body)) {
      // The page that redirected to the form is the one to prove the session on.
      std::string prot = page->redirected ? page->first_path : page->path;
      co_return co_await form_login(cl, *page, prot, c);
    }
    if (r.status == 200) co_return result(Outcome::unsupported, "HTTP 200 without credentials: no login asked");
    co_return result(Outcome::unsupported, status_text(r) + " without credentials and no login offered");
  }
};

}  // namespace

const Checker& http_checker() {
  static const HttpChecker c;
  return c;
}

}  // namespace mamori::creds
