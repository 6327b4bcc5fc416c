// Telnet: a busybox-like telnetd. IAC option negotiation (libtelnet), `login:`/`Password:`
// prompts, "Login incorrect" and a re-prompt, `max_tries` attempts then close; after login (or
// at once with `auth: none`) a harmless ash-like shell that answers echo/id/uname/busybox.
#include <cstddef>
#include <cstdarg>

#include <libtelnet.h>

#include <memory>

#include <fmt/format.h>

#include "lab/service.h"

namespace mamori::lab {
namespace {

constexpr size_t kMaxLine = 256;

const telnet_telopt_t kTelopts[] = {
    {TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT},
    {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},
    {TELNET_TELOPT_NAWS, TELNET_WONT, TELNET_DO},
    {TELNET_TELOPT_TTYPE, TELNET_WONT, TELNET_DO},
    {-1, 0, 0}};

struct Session {
  std::string out;        // bytes to send (already IAC-escaped by libtelnet)
  std::string in;         // decoded client data not yet consumed
  bool error = false;
  telnet_t* t = nullptr;
  ~Session() {
    if (t) telnet_free(t);
  }
};

void on_event(telnet_t*, telnet_event_t* ev, void* user) {
  auto* s = static_cast<Session*>(user);
  switch (ev->type) {
    case TELNET_EV_DATA: s->in.append(ev->data.buffer, ev->data.size); break;
    case TELNET_EV_SEND: s->out.append(ev->data.buffer, ev->data.size); break;
    case TELNET_EV_ERROR: s->error = true; break;
    default: break;
  }
}

class Terminal {
 public:
  Terminal(Conn& c) : c_(c) {
    s_.t = telnet_init(kTelopts, on_event, 0, &s_);
  }
  void print(std::string_view text) {
    if (s_.t) telnet_send(s_.t, text.data(), text.size());
  }
  void negotiate() {
    telnet_negotiate(s_.t, TELNET_WILL, TELNET_TELOPT_ECHO);
    telnet_negotiate(s_.t, TELNET_WILL, TELNET_TELOPT_SGA);
    telnet_negotiate(s_.t, TELNET_DO, TELNET_TELOPT_NAWS);
  }
  boost::asio::awaitable<bool> flush() {
    if (s_.out.empty()) co_return true;
    std::string out;
    out.swap(s_.out);
    co_return co_await c_.write(out);
  }
  // One input line; echoes it when `echo`. nullopt on disconnect or an overlong line.
  boost::asio::awaitable<std::optional<std::string>> line(bool echo) {
    std::string line;
    for (;;) {
      while (pos_ < s_.in.size()) {
        char ch = s_.in[pos_++];
        if (skip_lf_ && (ch == '\n' || ch == '\0')) {
          skip_lf_ = false;
          continue;
        }
        skip_lf_ = false;
        if (ch == '\r' || ch == '\n') {
          skip_lf_ = ch == '\r';
          if (echo) print("\r\n");
          compact();
          co_return line;
        }
        if (ch == 0x7f || ch == 0x08) {
          if (!line.empty()) {
            line.pop_back();
            if (echo) print("\b \b");
          }
          continue;
        }
        if (ch == 0x03 || ch == 0x04) co_return std::nullopt;  // ^C / ^D
        if (static_cast<unsigned char>(ch) < 0x20) continue;
        line.push_back(ch);
        if (echo) print(std::string_view(&ch, 1));
        if (line.size() > kMaxLine) co_return std::nullopt;
      }
      compact();
      if (!co_await flush()) co_return std::nullopt;
      auto data = co_await c_.read_some(1024);
      if (!data) co_return std::nullopt;
      telnet_recv(s_.t, data->data(), data->size());
      if (s_.error) co_return std::nullopt;
    }
  }

 private:
  void compact() {
    s_.in.erase(0, pos_);
    pos_ = 0;
  }
  Conn& c_;
  Session s_;
  size_t pos_ = 0;
  bool skip_lf_ = false;
};

std::string shell_answer(const std::string& cmdline, const Device& d, const std::string& user) {
  std::string cmd = cmdline;
  while (!cmd.empty() && cmd.front() == ' ') cmd.erase(0, 1);
  while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
  if (cmd.empty()) return "";
  auto sp = cmd.find(' ');
  std::string verb = cmd.substr(0, sp);
  std::string rest = sp == std::string::npos ? "" : cmd.substr(sp + 1);
  if (verb == "echo") {
    if (rest.size() >= 2 && (rest.front() == '"' || rest.front() == '\'') && rest.back() == rest.front())
      rest = rest.substr(1, rest.size() - 2);
    return rest + "\r\n";
  }
  if (verb == "id" || verb == "whoami") {
    bool root = user == "root" || user.empty();
    if (verb == "whoami") return (root ? std::string("root") : user) + "\r\n";
    return root ? "uid=0(root) gid=0(root)\r\n" : fmt::format("uid=1000({0}) gid=1000({0})\r\n", user);
  }
  if (verb == "uname") return rest.find('a') != std::string::npos
                                  ? fmt::format("Linux {} 3.10.14 #1 PREEMPT armv7l GNU/Linux\r\n", d.model)
                                  : "Linux\r\n";
  if (verb == "pwd") return "/\r\n";
  if (verb == "ls") return "bin   dev   etc   home  lib   mnt   proc  sys   tmp   usr   var\r\n";
  if (verb == "help")
    return "Built-in commands:\r\n-------------------\r\n\t. : [ [[ cd echo exit help pwd true false\r\n";
  if (verb == "true" || verb == ":" || verb == "cd" || verb == "enable" || verb == "system" || verb == "sh" ||
      verb == "shell")
    return "";
  if (verb == "busybox" || verb == "/bin/busybox") {
    if (rest.empty()) return "BusyBox v1.19.4 (2016-05-11 10:27:44 CST) multi-call binary.\r\n";
    auto applet = rest.substr(0, rest.find(' '));
    return applet + ": applet not found\r\n";
  }
  return "-sh: " + verb + ": not found\r\n";
}

boost::asio::awaitable<void> serve(Conn& c, ServiceEnv& env) {
  const Service& s = env.service;
  const Device& d = env.device;
  Terminal term(c);
  term.negotiate();
  std::string host = s.hostname.empty() ? lower(d.model.empty() ? "device" : d.model) : s.hostname;
  std::string user;
  if (s.auth == "login") {
    if (!s.banner.empty()) term.print(s.banner + "\r\n");
    bool ok = false;
    for (int attempt = 0; attempt < s.max_tries && !ok; ++attempt) {
      term.print(fmt::format("{} login: ", host));
      auto u = co_await term.line(true);
      if (!u) co_return;
      term.print("Password: ");
      auto p = co_await term.line(false);
      if (!p) co_return;
      term.print("\r\n");
      if (credentials_match(s, *u, *p)) {
        ok = true;
        user = *u;
      } else {
        term.print("Login incorrect\r\n");
      }
    }
    if (!ok) {
      co_await term.flush();
      co_return;
    }
  } else if (!s.banner.empty()) {
    term.print(s.banner + "\r\n");
  }
  term.print("\r\n\r\nBusyBox v1.19.4 (2016-05-11 10:27:44 CST) built-in shell (ash)\r\n"
             "Enter 'help' for a list of built-in commands.\r\n\r\n");
  std::string prompt = !s.prompt.empty() ? s.prompt : (user.empty() || user == "root" ? "# " : "$ ");
  for (int commands = 0; commands < 1000; ++commands) {
    term.print(prompt);
    auto cmd = co_await term.line(true);
    if (!cmd) co_return;
    if (*cmd == "exit" || *cmd == "logout" || *cmd == "quit") break;
    term.print(shell_answer(*cmd, d, user));
  }
  co_await term.flush();
}

std::vector<std::string> findings(const Device&, const Service& s) {
  std::vector<std::string> f{"telnet-enabled"};
  if (s.auth == "none") f.push_back("no-authentication");
  else f.push_back("cleartext-admin");
  return f;
}

}  // namespace

extern const ServiceKind kTelnetKind{
    "telnet", "busybox-like telnetd with login and a harmless shell", Transport::tcp, 23,
    {"banner", "auth", "credentials", "prompt", "hostname", "max_tries"}, serve, nullptr, findings, nullptr,
    "telnet"};

}  // namespace mamori::lab
