// FTP: greeting, USER/PASS (anonymous allowed or not, 3 failures then close), SYST, FEAT, PWD,
// CWD, TYPE, PASV/EPSV and LIST/NLST over a passive data connection on the device address,
// QUIT. Active mode (PORT/EPRT) is refused: the lab never connects out.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "lab/service.h"

namespace mamori::lab {
namespace {
namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string listing(bool anonymous, bool names_only) {
  struct Entry {
    const char* name;
    bool dir;
    int size;
  };
  static const Entry anon[] = {{"pub", true, 4096}, {"README.txt", false, 312}};
  static const Entry user[] = {{"config", true, 4096}, {"log", true, 4096}, {"backup.cfg", false, 20480}};
  std::string out;
  auto add = [&](const Entry& e) {
    if (names_only) out += fmt::format("{}\r\n", e.name);
    else
      out += fmt::format("{} 1 0 0 {:>12} Jan 01  2020 {}\r\n", e.dir ? "drwxr-xr-x" : "-rw-r--r--", e.size, e.name);
  };
  if (anonymous) for (const auto& e : anon) add(e);
  else for (const auto& e : user) add(e);
  return out;
}

std::string upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

boost::asio::awaitable<void> serve(Conn& c, ServiceEnv& env) {
  const Service& s = env.service;
  std::string greeting = s.banner.empty() ? "220 FTP server ready." : s.banner.rfind("220", 0) == 0 ? s.banner : "220 " + s.banner;
  if (!co_await c.write(greeting + "\r\n")) co_return;
  std::string user;
  bool logged_in = false, anonymous_session = false;
  int failures = 0;
  std::string cwd = "/";
  std::unique_ptr<tcp::acceptor> pasv;
  for (int i = 0; i < 500; ++i) {
    auto line = co_await c.read_line(512);
    if (!line) co_return;
    auto sp = line->find(' ');
    std::string cmd = upper(line->substr(0, sp));
    std::string arg = sp == std::string::npos ? "" : line->substr(sp + 1);
    std::string reply;
    if (cmd == "USER") {
      user = arg;
      logged_in = false;
      reply = "331 Please specify the password.";
    } else if (cmd == "PASS") {
      bool anon_user = user == "anonymous" || user == "ftp";
      if (user.empty()) {
        reply = "503 Login with USER first.";
      } else if ((anon_user && s.anonymous) || (!anon_user && credentials_match(s, user, arg))) {
        logged_in = true;
        anonymous_session = anon_user;
        reply = "230 Login successful.";
      } else {
        reply = "530 Login incorrect.";
        if (++failures >= 3) {
          co_await c.write(reply + "\r\n");
          co_return;
        }
      }
    } else if (cmd == "QUIT") {
      co_await c.write("221 Goodbye.\r\n");
      co_return;
    } else if (cmd == "SYST") {
      reply = "215 UNIX Type: L8";
    } else if (cmd == "FEAT") {
      reply = "211-Features:\r\n EPSV\r\n PASV\r\n SIZE\r\n UTF8\r\n211 End";
    } else if (cmd == "NOOP") {
      reply = "200 NOOP ok.";
    } else if (cmd == "OPTS") {
      reply = "200 Always in UTF8 mode.";
    } else if (cmd == "AUTH") {
      reply = "530 Please login with USER and PASS.";
    } else if (!logged_in) {
      reply = "530 Please login with USER and PASS.";
    } else if (cmd == "PWD" || cmd == "XPWD") {
      reply = fmt::format("257 \"{}\" is the current directory", cwd);
    } else if (cmd == "CWD") {
      std::string target = arg.empty() || arg[0] == '/' ? arg : (cwd == "/" ? "/" : cwd + "/") + arg;
      if (target == "/" || target == "/pub" || target == "/config" || target == "/log") {
        cwd = target;
        reply = "250 Directory successfully changed.";
      } else {
        reply = "550 Failed to change directory.";
      }
    } else if (cmd == "CDUP") {
      cwd = "/";
      reply = "250 Directory successfully changed.";
    } else if (cmd == "TYPE") {
      reply = upper(arg).rfind("A", 0) == 0 ? "200 Switching to ASCII mode." : "200 Switching to Binary mode.";
    } else if (cmd == "SIZE" || cmd == "MDTM" || cmd == "RETR" || cmd == "STOR" || cmd == "DELE" || cmd == "MKD") {
      reply = cmd == "STOR" || cmd == "DELE" || cmd == "MKD" ? "550 Permission denied." : "550 Could not get file.";
    } else if (cmd == "PORT" || cmd == "EPRT") {
      reply = "502 Active mode not supported; use PASV or EPSV.";
    } else if (cmd == "PASV" || cmd == "EPSV") {
      pasv = std::make_unique<tcp::acceptor>(c.executor());
      boost::system::error_code ec;
      tcp::endpoint ep(asio::ip::address_v4(c.local_address()), 0);
      pasv->open(ep.protocol(), ec);
      if (!ec) pasv->bind(ep, ec);
      if (!ec) pasv->listen(1, ec);
      if (ec) {
        pasv.reset();
        reply = "425 Cannot open data connection.";
      } else {
        uint16_t port = pasv->local_endpoint().port();
        uint32_t a = c.local_address();
        reply = cmd == "EPSV" ? fmt::format("229 Entering Extended Passive Mode (|||{}|).", port)
                              : fmt::format("227 Entering Passive Mode ({},{},{},{},{},{}).", a >> 24, (a >> 16) & 0xff,
                                            (a >> 8) & 0xff, a & 0xff, port >> 8, port & 0xff);
      }
    } else if (cmd == "LIST" || cmd == "NLST" || cmd == "MLSD") {
      if (!pasv) {
        reply = "425 Use PORT or PASV first.";
      } else {
        if (!co_await c.write("150 Here comes the directory listing.\r\n")) co_return;
        // Wait at most 10 s for the data connection.
        auto acceptor = std::move(pasv);
        asio::steady_timer timer(c.executor(), std::chrono::seconds(10));
        timer.async_wait([&acceptor](boost::system::error_code ec) {
          if (!ec) acceptor->close(ec);
        });
        auto [ec, data] = co_await acceptor->async_accept(kTuple);
        timer.cancel();
        acceptor->close(ec);
        if (ec) {
          reply = "425 Failed to establish connection.";
        } else if (auto rep = data.remote_endpoint(ec); ec || !rep.address().is_v4() ||
                   rep.address().to_v4().to_uint() != c.peer_address()) {
          reply = "425 Security: Bad IP connecting.";
        } else {
          std::string text = cwd == "/" ? listing(anonymous_session, cmd == "NLST") : "";
          auto [wec, n] = co_await asio::async_write(data, asio::buffer(text), kTuple);
          data.close(ec);
          c.touch();
          reply = wec ? "426 Failure writing network stream." : "226 Directory send OK.";
        }
      }
    } else {
      reply = "500 Unknown command.";
    }
    if (!co_await c.write(reply + "\r\n")) co_return;
  }
}

std::vector<std::string> findings(const Device&, const Service& s) {
  std::vector<std::string> f;
  if (s.anonymous) f.push_back("ftp-anonymous");
  if (!s.credentials.empty()) f.push_back("cleartext-admin");
  return f;
}

}  // namespace

extern const ServiceKind kFtpKind{"ftp", "FTP server: login, SYST, FEAT, PWD, passive LIST", Transport::tcp, 21,
                                  {"banner", "anonymous", "credentials"}, serve, nullptr, findings, nullptr, "ftp"};

}  // namespace mamori::lab
