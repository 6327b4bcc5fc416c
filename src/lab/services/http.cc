// HTTP (and HTTPS with `tls:`): a device web interface with a device-like <title> and Server
// header, a favicon, and one of: no auth, Basic, Digest (RFC 7616 MD5, qop=auth), or a form
// login (POST /login, session cookie).
#include <deque>
#include <set>

#include <fmt/format.h>

#include "lab/services/http_common.h"

namespace mamori::lab {
namespace {

constexpr size_t kMaxSessions = 256;
constexpr int kMaxRequests = 100;

struct HttpState : ServiceState {
  std::string secret = random_hex(16);
  std::deque<std::string> order;
  std::set<std::string> sessions;
  void add(const std::string& id) {
    if (order.size() >= kMaxSessions) {
      sessions.erase(order.front());
      order.pop_front();
    }
    order.push_back(id);
    sessions.insert(id);
  }
};

std::unique_ptr<ServiceState> make_state(const Device&, const Service&) { return std::make_unique<HttpState>(); }

std::string title_of(const Device& d, const Service& s) {
  if (!s.title.empty()) return s.title;
  std::string t = d.vendor + (d.vendor.empty() || d.model.empty() ? "" : " ") + d.model;
  return t.empty() ? "Web Management" : t;
}

std::string page(const std::string& title, const std::string& inner) {
  return fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title>"
      "<link rel=\"icon\" href=\"/favicon.ico\"></head>\n<body>\n{}\n</body></html>\n",
      html_escape(title), inner);
}

std::string admin_page(const Device& d, const Service& s) {
  return page(title_of(d, s),
              fmt::format("<h1>{}</h1>\n<table>\n<tr><td>Vendor</td><td>{}</td></tr>\n<tr><td>Model</td><td>{}</td></tr>\n"
                          "<tr><td>Firmware Version</td><td>{}</td></tr>\n<tr><td>Serial Number</td><td>{}</td></tr>\n"
                          "</table>\n<p><a href=\"/network\">Network Settings</a> | <a href=\"/password\">Change "
                          "Password</a> | <a href=\"/firmware\">Firmware Upgrade</a> | <a href=\"/reboot\">Reboot</a></p>\n"
                          "<a href=\"/logout\">Logout</a>",
                          html_escape(title_of(d, s)), html_escape(d.vendor), html_escape(d.model),
                          html_escape(d.firmware), html_escape(d.serial)));
}

std::string login_page(const Device& d, const Service& s, bool failed) {
  return page(title_of(d, s),
              fmt::format("<h1>{}</h1>\n{}<form method=\"post\" action=\"/login\">\n"
                          "User name <input type=\"text\" name=\"username\">\n"
                          "Password <input type=\"password\" name=\"password\">\n"
                          "<input type=\"submit\" value=\"Login\">\n</form>",
                          html_escape(title_of(d, s)), failed ? "<p class=\"error\">Invalid user name or password.</p>\n" : ""));
}

std::string cookie_session(const Request& r) {
  const std::string* c = r.header("cookie");
  if (!c) return "";
  auto pos = c->find("SESSIONID=");
  if (pos == std::string::npos) return "";
  auto end = c->find(';', pos);
  return c->substr(pos + 10, end == std::string::npos ? std::string::npos : end - pos - 10);
}

Response handle(const Request& r, ServiceEnv& env) {
  const Service& s = env.service;
  const Device& d = env.device;
  auto& st = *static_cast<HttpState*>(env.state);
  std::string realm = s.realm.empty() ? title_of(d, s) : s.realm;
  std::string path = r.path();
  Response res;
  res.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
  bool known = path == "/" || path == "/index.html" || path == "/index.htm" || path == "/admin" || path == "/login" ||
               path == "/logout" || path == "/favicon.ico";
  if (r.method != "GET" && r.method != "HEAD" && r.method != "POST") {
    res.status = 405;
    res.headers.emplace_back("Allow", "GET, HEAD, POST");
    return res;
  }
  if (path == "/favicon.ico") {  // served without authentication, as devices do
    if (s.favicon.empty()) {
      res.status = 404;
      res.body = page("404 Not Found", "<h1>Not Found</h1>");
    } else {
      res.headers.clear();
      res.headers.emplace_back("Content-Type", "image/x-icon");
      res.body = s.favicon;
    }
    return res;
  }
  if (s.auth == "basic" || s.auth == "digest") {
    bool ok = s.auth == "basic" ? check_basic(s, r.header("authorization"))
                                : check_digest(s, realm, r.method, r.header("authorization"), st.secret);
    if (!ok) {
      res.status = 401;
      res.headers.emplace_back("WWW-Authenticate",
                               s.auth == "basic" ? basic_challenge(realm) : digest_challenge(realm, st.secret));
      res.body = page("401 Unauthorized", "<h1>401 Unauthorized</h1>");
      return res;
    }
  }
  if (s.auth == "form") {
    if (path == "/login") {
      if (r.method == "POST") {
        auto form = parse_form(r.body);
        std::string user = form.count("username") ? form["username"] : form["user"];
        std::string pass = form.count("password") ? form["password"] : form["pass"];
        if (credentials_match(s, user, pass)) {
          std::string id = random_hex(16);
          st.add(id);
          res.status = 302;
          res.headers.emplace_back("Location", "/");
          res.headers.emplace_back("Set-Cookie", fmt::format("SESSIONID={}; Path=/; HttpOnly", id));
          return res;
        }
        res.body = login_page(d, s, true);
        return res;
      }
      res.body = login_page(d, s, false);
      return res;
    }
    std::string sid = cookie_session(r);
    bool logged_in = !sid.empty() && st.sessions.count(sid);
    if (path == "/logout" && logged_in) st.sessions.erase(sid);
    if (!logged_in || path == "/logout") {
      res.status = 302;
      res.headers.emplace_back("Location", "/login");
      return res;
    }
  }
  if (!known || path == "/login" || path == "/logout") {
    res.status = 404;
    res.body = page("404 Not Found", "<h1>Not Found</h1>");
    return res;
  }
  // admin: false is a public page (a speaker's info page): no settings, no session, no serials.
  res.body = s.admin ? admin_page(d, s)
                     : page(title_of(d, s), fmt::format("<h1>{}</h1>\n<p>This device is set up from its app.</p>",
                                                        html_escape(title_of(d, s))));
  return res;
}

boost::asio::awaitable<void> serve(Conn& c, ServiceEnv& env) {
  for (int i = 0; i < kMaxRequests; ++i) {
    auto req = co_await read_request(c);
    if (!req) co_return;
    Response res = handle(*req, env);
    if (!env.service.server.empty()) res.headers.emplace(res.headers.begin(), "Server", env.service.server);
    const std::string* conn = req->header("connection");
    bool close = (conn && lower(*conn) == "close") || (req->version == "HTTP/1.0" && !(conn && lower(*conn) == "keep-alive"));
    res.headers.emplace_back("Connection", close ? "close" : "keep-alive");
    if (!co_await c.write(res.serialize(req->version == "HTTP/1.0" ? "HTTP/1.0" : "HTTP/1.1", req->method == "HEAD")))
      co_return;
    if (close) co_return;
  }
}

std::vector<std::string> findings(const Device&, const Service& s) {
  std::vector<std::string> f;
  if (s.auth == "none" && s.admin) f.push_back("no-authentication");
  if ((s.auth == "basic" || s.auth == "form") && !s.tls.enabled) f.push_back("cleartext-admin");
  return f;
}

}  // namespace

extern const ServiceKind kHttpKind{
    "http", "device web interface: title, Server header, favicon, basic/digest/form login, optional TLS",
    Transport::tcp, 80, {"server", "title", "realm", "auth", "credentials", "favicon", "favicon_base64", "admin"},
    serve, nullptr, findings, make_state, "http"};

}  // namespace mamori::lab
