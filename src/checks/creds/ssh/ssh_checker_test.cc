#include "checks/creds/ssh/ssh_checker.h"

#include <dirent.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "checks/creds/testing/creds_testing.h"
#include "probes/telnet/test_server.h"

namespace mamori::creds {
namespace {
namespace asio = boost::asio;
using asio::ip::tcp;
using probes::testing::ScriptServer;
using ssh::classify_failure;
using ssh::classify_prompt;
using ssh::PromptKind;
using Clock = std::chrono::steady_clock;

// ---------- pure parsers ----------

TEST(SshPrompt, PasswordPromptsWithEchoOff) {
  EXPECT_EQ(classify_prompt("Password: ", false), PromptKind::password);
  EXPECT_EQ(classify_prompt("admin@192.168.1.1's password: ", false), PromptKind::password);
  EXPECT_EQ(classify_prompt("PASSWORD:", false), PromptKind::password);
  EXPECT_EQ(classify_prompt("Passwd:", false), PromptKind::password);
  EXPECT_EQ(classify_prompt("\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89: ", false),
            PromptKind::password);
}

TEST(SshPrompt, EchoedOrSecondFactorOrUnknownPromptsAreNotPasswords) {
  EXPECT_EQ(classify_prompt("Password: ", true), PromptKind::other);
  EXPECT_EQ(classify_prompt("Verification code: ", false), PromptKind::other);
  EXPECT_EQ(classify_prompt("One-time password (OTP): ", false), PromptKind::other);
  EXPECT_EQ(classify_prompt("Enter PIN: ", false), PromptKind::other);
  EXPECT_EQ(classify_prompt("Username: ", true), PromptKind::other);
  EXPECT_EQ(classify_prompt("", false), PromptKind::other);
  EXPECT_EQ(classify_prompt("Continue? ", false), PromptKind::other);
}

TEST(SshPrompt, HostileInputIsBounded) {
  std::string huge(4 << 20, 'x');
  huge += "password:";  // past the 1 KiB the classifier looks at
  EXPECT_EQ(classify_prompt(huge, false), PromptKind::other);
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>(i * 7));
  EXPECT_EQ(classify_prompt(garbage, false), PromptKind::other);
  EXPECT_EQ(classify_prompt(std::string_view("Pass\0word:", 10), false), PromptKind::other);
  EXPECT_EQ(classify_prompt("Passw", false), PromptKind::other);  // truncated
}

TEST(SshFailure, Classification) {
  EXPECT_EQ(classify_failure("Received SSH_MSG_DISCONNECT: 2 : Too many authentication failures", false),
            Outcome::lockout);
  EXPECT_EQ(classify_failure("Account locked", true), Outcome::lockout);
  EXPECT_EQ(classify_failure("Please try again later", false), Outcome::lockout);
  EXPECT_EQ(classify_failure("Socket error: disconnected", true), Outcome::rejected);
  EXPECT_EQ(classify_failure("Socket error: disconnected", false), Outcome::error);
  EXPECT_EQ(classify_failure("kex error : no match for method kex algos", false), Outcome::error);
  EXPECT_EQ(classify_failure("", true), Outcome::error);
  EXPECT_EQ(classify_failure(std::string(1 << 20, 'z') + "too many", false), Outcome::error);
}

TEST(SshFailure, PerConnectionLimit) {
  EXPECT_TRUE(ssh::is_per_connection_limit("server disconnected: Too many authentication failures"));
  EXPECT_FALSE(ssh::is_per_connection_limit("server disconnected: too many connections, try again later"));
  EXPECT_FALSE(ssh::is_per_connection_limit("account locked"));
}

TEST(SshNames, AuthMethodsAndHex) {
  EXPECT_EQ(ssh::auth_methods_name(0), "");
  EXPECT_EQ(ssh::auth_methods_name(SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_PUBLICKEY), "password,publickey");
  EXPECT_EQ(ssh::auth_methods_name(SSH_AUTH_METHOD_INTERACTIVE), "keyboard-interactive");
  EXPECT_EQ(ssh::auth_methods_name(-1), "none,password,publickey,hostbased,keyboard-interactive,gssapi-with-mic");
  EXPECT_EQ(ssh::to_hex(std::string_view("\x00\xff\x10", 3)), "00ff10");
}

TEST(SshChecker, Info) {
  const Checker& c = ssh_checker();
  EXPECT_EQ(c.info().id, "ssh");
  EXPECT_EQ(c.info().services, std::vector<std::string>{"ssh"});
  ServiceObservation s;
  s.service = "ssh";
  EXPECT_TRUE(c.applies(s));
  s.service = "telnet";
  EXPECT_FALSE(c.applies(s));
}

// ---------- helpers ----------

std::string dump(const AttemptResult& r) {
  std::string out = std::string(outcome_name(r.outcome)) + " \"" + r.detail + "\"";
  for (auto& [k, v] : r.evidence) out += " " + k + "=" + v;
  return out;
}

struct Trial {
  AttemptResult result;
  double seconds = 0;
};

CheckTarget target(asio::io_context& io, const ServiceObservation& svc, std::string_view ip, uint16_t port,
                   int io_ms) {
  CheckTarget t;
  t.ex = io.get_executor();
  t.ip = *Ip::parse(ip);
  t.port = port;
  t.service = &svc;
  t.limits.connect = Millis(2000);
  t.limits.io = Millis(io_ms);
  return t;
}

Trial attempt(std::string_view ip, uint16_t port, std::string user, std::string password, int io_ms = 3000) {
  asio::io_context io;
  ServiceObservation svc;
  svc.service = "ssh";
  CheckTarget t = target(io, svc, ip, port, io_ms);
  Credential c{std::move(user), std::move(password), "test", ""};
  auto start = Clock::now();
  Trial r;
  r.result = testing::run_sync(io, ssh_checker().attempt(t, c));
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

OpenAccessResult check_open(std::string_view ip, uint16_t port, int io_ms = 3000) {
  asio::io_context io;
  ServiceObservation svc;
  svc.service = "ssh";
  CheckTarget t = target(io, svc, ip, port, io_ms);
  return testing::run_sync(io, ssh_checker().check_open(t));
}

size_t open_fds() {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++n;
  }
  return n;
}

std::string ssh_packet(std::string payload) {
  size_t pad = 8 - ((payload.size() + 5) % 8);
  if (pad < 4) pad += 8;
  uint32_t len = static_cast<uint32_t>(payload.size() + pad + 1);
  std::string p;
  for (int s = 24; s >= 0; s -= 8) p.push_back(static_cast<char>((len >> s) & 0xff));
  p.push_back(static_cast<char>(pad));
  p += payload;
  p.append(pad, '\0');
  return p;
}

std::string ssh_string(std::string_view s) {
  std::string out;
  uint32_t len = static_cast<uint32_t>(s.size());
  for (int sh = 24; sh >= 0; sh -= 8) out.push_back(static_cast<char>((len >> sh) & 0xff));
  out += s;
  return out;
}

// Several credentials through one LoginSession (the runner's way), with what each showed and
// whether the session said it could take the next one on the same connection.
struct SessionStep {
  AttemptResult result;
  bool reusable_after = false;
  std::set<std::string> sockets_after;  // TCP sockets open after this step (session alive)
};

// The inodes of this process's TCP sockets ("socket:[123]"); a new connection has a new one.
std::set<std::string> tcp_sockets() {
  std::set<std::string> out;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind("socket:", 0) == 0) out.insert(target);
  }
  return out;
}
std::vector<SessionStep> session_run(std::string_view ip, uint16_t port, std::vector<Credential> creds) {
  asio::io_context io;
  ServiceObservation svc;
  svc.service = "ssh";
  CheckTarget t = target(io, svc, ip, port, 3000);
  auto session = ssh_checker().session(t);
  std::vector<SessionStep> out;
  for (size_t i = 0; i < creds.size(); ++i) {
    SessionStep step;
    step.result = testing::run_sync(io, session->attempt(creds[i]));
    step.sockets_after = tcp_sockets();
    step.reusable_after = i + 1 < creds.size() && session->reusable(creds[i + 1]);
    out.push_back(std::move(step));
  }
  return out;
}

// ---------- scripted servers ----------

TEST(SshScripted, SilentServerTimesOut) {
  ScriptServer server([](tcp::socket s) -> asio::awaitable<void> {
    co_await probes::testing::read_for(s, 3000);
  });
  Trial r = attempt("127.0.0.1", server.port(), "admin", "admin", 300);
  EXPECT_EQ(r.result.outcome, Outcome::error) << r.result.detail;
  EXPECT_NE(r.result.detail.find("timed out"), std::string::npos) << r.result.detail;
  EXPECT_LT(r.seconds, 2.5);
}

TEST(SshScripted, GarbageBannerIsAnErrorQuickly) {
  ScriptServer server([](tcp::socket s) -> asio::awaitable<void> {
    co_await probes::testing::send(s, "HTTP/1.1 400 Bad Request\r\nServer: lighttpd\r\n\r\n<html>\x01\x02\xff</html>\r\n");
    co_await probes::testing::read_for(s, 3000);
  });
  Trial r = attempt("127.0.0.1", server.port(), "admin", "admin", 1000);
  EXPECT_EQ(r.result.outcome, Outcome::error) << r.result.detail;
  EXPECT_LT(r.seconds, 2.5) << r.result.detail;
  EXPECT_EQ(r.result.detail.find("admin"), std::string::npos) << r.result.detail;
}

TEST(SshScripted, GarbageFloodIsBounded) {
  ScriptServer server([](tcp::socket s) -> asio::awaitable<void> {
    std::string junk(64 * 1024, 'A');
    for (int i = 0; i < 64; ++i) co_await probes::testing::send(s, junk);
    co_await probes::testing::read_for(s, 3000);
  });
  Trial r = attempt("127.0.0.1", server.port(), "admin", "admin", 1000);
  EXPECT_EQ(r.result.outcome, Outcome::error) << r.result.detail;
  EXPECT_LT(r.seconds, 2.5) << r.result.detail;
}

TEST(SshScripted, BannerThenCloseIsAnError) {
  ScriptServer server([](tcp::socket s) -> asio::awaitable<void> {
    co_await probes::testing::send(s, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
    s.close();
  });
  Trial r = attempt("127.0.0.1", server.port(), "admin", "admin", 1000);
  EXPECT_EQ(r.result.outcome, Outcome::error) << r.result.detail;
  EXPECT_LT(r.seconds, 2.5);
}

TEST(SshScripted, DisconnectTooManyFailuresIsLockout) {
  ScriptServer server([](tcp::socket s) -> asio::awaitable<void> {
    std::string payload;
    payload.push_back(1);  // SSH_MSG_DISCONNECT
    payload += std::string("\0\0\0\x02", 4);  // SSH_DISCONNECT_PROTOCOL_ERROR
    payload += ssh_string("Too many authentication failures");
    payload += ssh_string("");
    // After the client's identification and KEXINIT, as a server refusing at once would.
    co_await probes::testing::send(s, "SSH-2.0-OpenSSH_9.2\r\n");
    co_await probes::testing::read_until(s, "\r\n");
    co_await probes::testing::read_for(s, 200);
    co_await probes::testing::send(s, ssh_packet(payload));
    co_await probes::testing::read_for(s, 2000);
  });
  Trial r = attempt("127.0.0.1", server.port(), "admin", "admin", 1000);
  EXPECT_EQ(r.result.outcome, Outcome::lockout) << r.result.detail;
}

TEST(SshScripted, ConnectRefusedIsAnError) {
  uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  Trial r = attempt("127.0.0.1", port, "admin", "admin", 500);
  EXPECT_EQ(r.result.outcome, Outcome::error);
}

TEST(SshScripted, NoDescriptorLeaks) {
  ScriptServer server([](tcp::socket s) -> asio::awaitable<void> {
    co_await probes::testing::send(s, "SSH-2.0-OpenSSH_9.2\r\n");
    co_await probes::testing::read_for(s, 200);
  });
  attempt("127.0.0.1", server.port(), "admin", "admin", 300);  // warm up libssh
  size_t before = open_fds();
  for (int i = 0; i < 5; ++i) attempt("127.0.0.1", server.port(), "admin", "admin", 300);
  EXPECT_EQ(open_fds(), before);
}

// ---------- mamori-lab (identification string only: never a login) ----------

TEST(SshLab, BannerOnlyServiceIsNeverALogin) {
  testing::LabProcess lab(std::string(MAMORI_SSH_TESTDATA) + "/lab.yaml");
  if (!lab.ok()) GTEST_SKIP() << lab.why();
  for (auto [ip, port] : {std::pair<const char*, uint16_t>{"127.71.2.10", 22}, {"127.71.2.11", 2222}}) {
    Trial r = attempt(ip, port, "admin", "admin", 500);
    EXPECT_EQ(r.result.outcome, Outcome::error) << ip << ": " << r.result.detail;
    EXPECT_LT(r.seconds, 3.0);
    OpenAccessResult open = check_open(ip, port, 500);
    EXPECT_TRUE(open.found.empty());
    EXPECT_FALSE(open.no_login_needed);
  }
}

// ---------- real daemons ----------

// SHA-256 (hex) of the key blobs of the *.pub files in `dir`.
std::vector<std::string> pub_key_hashes(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".pub") continue;
    std::ifstream in(e.path());
    std::string type, b64;
    in >> type >> b64;
    std::string blob(b64.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(blob.data()),
                            reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
    if (n < 0) continue;
    size_t pad = 0;
    while (pad < b64.size() && b64[b64.size() - 1 - pad] == '=') ++pad;
    blob.resize(static_cast<size_t>(n) - pad);
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(blob.data(), blob.size(), md, &len, EVP_sha256(), nullptr);
    out.push_back(ssh::to_hex({reinterpret_cast<char*>(md), len}));
  }
  return out;
}

struct Daemon {
  std::string ip;
  uint16_t port = 0;
  std::string config;
};

std::optional<Daemon> daemon_named(const char* name) {
  auto manifest = testing::daemons_manifest();
  if (!manifest) return std::nullopt;
  auto d = testing::daemon(*manifest, name);
  if (d.empty()) return std::nullopt;
  return Daemon{d.value("ip", ""), static_cast<uint16_t>(d.value("port", 22)), d.value("config", "")};
}

void expect_host_key(const AttemptResult& r, const std::string& config_dir) {
  ASSERT_TRUE(r.evidence.count(ssh::kHostKeySha256)) << r.detail;
  EXPECT_EQ(r.evidence.at(ssh::kHostKeySha256).size(), 64u);
  EXPECT_FALSE(r.evidence.at(ssh::kHostKeyType).empty());
  if (!config_dir.empty() && std::filesystem::is_directory(config_dir)) {
    auto hashes = pub_key_hashes(config_dir);
    EXPECT_NE(std::find(hashes.begin(), hashes.end(), r.evidence.at(ssh::kHostKeySha256)), hashes.end())
        << "host key " << r.evidence.at(ssh::kHostKeySha256) << " is not one of " << config_dir << "/*.pub";
  }
}

TEST(SshDaemons, OpenSshWeakAcceptsAdminAndRejectsWrong) {
  auto d = daemon_named("ssh-weak");
  if (!d) GTEST_SKIP() << "MAMORI_DAEMONS_MANIFEST not set";
  Trial ok = attempt(d->ip, d->port, "admin", "admin");
  EXPECT_EQ(ok.result.outcome, Outcome::accepted) << dump(ok.result);
  EXPECT_EQ(ok.result.evidence[ssh::kMethod], "password") << dump(ok.result);
  expect_host_key(ok.result, d->config);
  EXPECT_NE(ok.result.evidence[ssh::kBanner].find("OpenSSH"), std::string::npos);
  EXPECT_EQ(ok.result.detail.find("admin"), std::string::npos);

  Trial bad = attempt(d->ip, d->port, "admin", "wrong-password-x");
  EXPECT_EQ(bad.result.outcome, Outcome::rejected) << dump(bad.result);
  EXPECT_EQ(bad.result.detail.find("wrong-password-x"), std::string::npos);
  Trial nouser = attempt(d->ip, d->port, "nosuchuser", "admin");
  EXPECT_EQ(nouser.result.outcome, Outcome::rejected) << nouser.result.detail;

  OpenAccessResult open = check_open(d->ip, d->port);
  EXPECT_TRUE(open.found.empty());
  EXPECT_FALSE(open.no_login_needed);
  EXPECT_EQ(open.attempts, 1u);
}

TEST(SshDaemons, OneConnectionTakesSeveralPasswordsOfOneUser) {
  auto d = daemon_named("ssh-weak");
  if (!d) GTEST_SKIP() << "MAMORI_DAEMONS_MANIFEST not set";
  size_t fds_before = open_fds();
  auto steps = session_run(d->ip, d->port,
                           {{"admin", "wrong-1", "t", ""}, {"admin", "wrong-2", "t", ""}, {"admin", "admin", "t", ""}});
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].result.outcome, Outcome::rejected) << dump(steps[0].result);
  EXPECT_TRUE(steps[0].reusable_after);
  EXPECT_EQ(steps[1].result.outcome, Outcome::rejected) << dump(steps[1].result);
  EXPECT_TRUE(steps[1].reusable_after);
  EXPECT_EQ(steps[2].result.outcome, Outcome::accepted) << dump(steps[2].result);
  expect_host_key(steps[2].result, d->config);
  // One connection for all three: the same socket after each step, none left at the end.
  EXPECT_FALSE(steps[0].sockets_after.empty());
  EXPECT_EQ(steps[1].sockets_after, steps[0].sockets_after);
  EXPECT_EQ(steps[2].sockets_after, steps[0].sockets_after);
  EXPECT_EQ(open_fds(), fds_before);
  // Another user name needs another connection (OpenSSH ends one that changes user).
  auto other = session_run(d->ip, d->port, {{"admin", "wrong-1", "t", ""}, {"root", "wrong-2", "t", ""}});
  EXPECT_EQ(other[0].result.outcome, Outcome::rejected) << dump(other[0].result);
  EXPECT_FALSE(other[0].reusable_after);
}

TEST(SshDaemons, TheSessionStopsWithinTheDefaultMaxAuthTries) {
  auto d = daemon_named("ssh-weak");
  if (!d) GTEST_SKIP() << "MAMORI_DAEMONS_MANIFEST not set";
  std::vector<Credential> creds;
  for (unsigned i = 0; i < ssh::kMaxPasswordsPerConnection + 1; ++i) {
    creds.push_back({"admin", "wrong-" + std::to_string(i), "t", ""});
  }
  auto steps = session_run(d->ip, d->port, creds);
  for (auto& s : steps) EXPECT_EQ(s.result.outcome, Outcome::rejected) << dump(s.result);
  for (unsigned i = 0; i + 1 < ssh::kMaxPasswordsPerConnection; ++i) EXPECT_TRUE(steps[i].reusable_after) << i;
  EXPECT_FALSE(steps[ssh::kMaxPasswordsPerConnection - 1].reusable_after);
}

TEST(SshDaemons, OpenSshHardenedIsUnsupported) {
  auto d = daemon_named("ssh-hardened");
  if (!d) GTEST_SKIP() << "MAMORI_DAEMONS_MANIFEST not set";
  Trial r = attempt(d->ip, d->port, "admin", "admin");
  EXPECT_EQ(r.result.outcome, Outcome::unsupported) << r.result.detail;
  EXPECT_EQ(r.result.evidence[ssh::kAuthMethods], "publickey");
  expect_host_key(r.result, d->config);
}

TEST(SshDaemons, DropbearAcceptsAdminAndRejectsWrong) {
  auto d = daemon_named("ssh-dropbear");
  if (!d) GTEST_SKIP() << "MAMORI_DAEMONS_MANIFEST not set";
  Trial ok = attempt(d->ip, d->port, "admin", "admin");
  EXPECT_EQ(ok.result.outcome, Outcome::accepted) << dump(ok.result);
  EXPECT_NE(ok.result.evidence[ssh::kBanner].find("dropbear"), std::string::npos);
  EXPECT_EQ(ok.result.evidence[ssh::kHostKeySha256].size(), 64u);
  Trial bad = attempt(d->ip, d->port, "admin", "wrong-password-x");
  EXPECT_EQ(bad.result.outcome, Outcome::rejected) << dump(bad.result);
}

// ---------- an sshd of our own (keyboard-interactive, legacy algorithms) ----------

// Runs /usr/sbin/sshd -D on ip:port with `extra` configuration, in a fresh directory; stopped by
// its PID. Needs root and the daemons lab's `admin` user (password admin).
class LocalSshd {
 public:
  LocalSshd(const std::string& ip, uint16_t port, const std::string& key_type, const std::string& extra) {
    if (::geteuid() != 0 || !std::filesystem::exists("/usr/sbin/sshd")) {
      why_ = "needs root and /usr/sbin/sshd";
      return;
    }
    char tmpl[] = "/tmp/mamori-ssh-sshd-XXXXXX";
    if (!::mkdtemp(tmpl)) {
      why_ = "mkdtemp";
      return;
    }
    dir_ = tmpl;
    std::string key = dir_ + "/host_key";
    std::string keygen = "ssh-keygen -q -t " + key_type + (key_type == "rsa" ? " -b 2048" : "") + " -N '' -f " + key;
    if (std::system(keygen.c_str()) != 0) {
      why_ = "ssh-keygen failed";
      return;
    }
    std::ofstream cfg(dir_ + "/sshd_config");
    cfg << "ListenAddress " << ip << ":" << port << "\nHostKey " << key << "\nPidFile " << dir_
        << "/sshd.pid\nPubkeyAuthentication no\nAuthorizedKeysFile none\nAllowUsers admin\nPermitRootLogin no\n"
        << "StrictModes no\nPrintMotd no\nX11Forwarding no\nAllowTcpForwarding no\n" << extra;
    cfg.close();
    std::vector<std::string> args = {"/usr/sbin/sshd", "-D", "-f", dir_ + "/sshd_config", "-E", dir_ + "/log"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = 0;
      why_ = "cannot start sshd";
      return;
    }
    for (int i = 0; i < 50; ++i) {
      asio::io_context io;
      tcp::socket s(io);
      boost::system::error_code ec;
      s.connect({asio::ip::make_address(ip), port}, ec);
      if (!ec) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    why_ = "sshd did not listen within 5 s";
  }
  ~LocalSshd() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  bool ok() const { return pid_ > 0 && why_.empty(); }
  std::string why() const { return why_; }

 private:
  pid_t pid_ = 0;
  std::string dir_;
  std::string why_;
};

bool admin_user_exists() { return std::system("id admin >/dev/null 2>&1") == 0; }

TEST(SshLocalSshd, KeyboardInteractivePassword) {
  if (!daemon_named("ssh-weak") || !admin_user_exists()) GTEST_SKIP() << "needs the daemons lab (user admin)";
  LocalSshd sshd("127.71.2.1", 2222, "ed25519",
                 "UsePAM yes\nPasswordAuthentication no\nKbdInteractiveAuthentication yes\n");
  if (!sshd.ok()) GTEST_SKIP() << sshd.why();
  Trial ok = attempt("127.71.2.1", 2222, "admin", "admin");
  EXPECT_EQ(ok.result.outcome, Outcome::accepted) << dump(ok.result);
  EXPECT_EQ(ok.result.evidence[ssh::kMethod], "keyboard-interactive");
  EXPECT_EQ(ok.result.evidence[ssh::kAuthMethods], "keyboard-interactive");
  EXPECT_EQ(ok.result.evidence[ssh::kHostKeyType], "ssh-ed25519");
  Trial bad = attempt("127.71.2.1", 2222, "admin", "wrong-password-x");
  EXPECT_EQ(bad.result.outcome, Outcome::rejected) << dump(bad.result);
}

TEST(SshLocalSshd, PerConnectionLimitIsARefusalNotALockout) {
  // MaxAuthTries 2: OpenSSH ends the connection with "Too many authentication failures" at the
  // second wrong password. That is this connection's limit, not a lockout of the account.
  if (!daemon_named("ssh-weak") || !admin_user_exists()) GTEST_SKIP() << "needs the daemons lab (user admin)";
  LocalSshd sshd("127.71.2.3", 2222, "ed25519",
                 "UsePAM yes\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\nMaxAuthTries 2\n");
  if (!sshd.ok()) GTEST_SKIP() << sshd.why();
  auto steps = session_run("127.71.2.3", 2222,
                           {{"admin", "wrong-1", "t", ""}, {"admin", "wrong-2", "t", ""}, {"admin", "admin", "t", ""}});
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].result.outcome, Outcome::rejected) << dump(steps[0].result);
  EXPECT_TRUE(steps[0].reusable_after);
  EXPECT_EQ(steps[1].result.outcome, Outcome::rejected) << dump(steps[1].result);
  EXPECT_NE(steps[1].result.detail.find("per-connection limit"), std::string::npos) << dump(steps[1].result);
  EXPECT_FALSE(steps[1].reusable_after);
  // The next password gets a fresh connection and works.
  EXPECT_EQ(steps[2].result.outcome, Outcome::accepted) << dump(steps[2].result);
}

TEST(SshLocalSshd, LegacyAlgorithms) {
  if (!daemon_named("ssh-weak") || !admin_user_exists()) GTEST_SKIP() << "needs the daemons lab (user admin)";
  LocalSshd sshd("127.71.2.2", 2222, "rsa",
                 "UsePAM yes\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
                 "KexAlgorithms diffie-hellman-group1-sha1\nHostKeyAlgorithms ssh-rsa\n"
                 "Ciphers aes128-cbc\nMACs hmac-sha1\n");
  if (!sshd.ok()) GTEST_SKIP() << sshd.why();
  Trial ok = attempt("127.71.2.2", 2222, "admin", "admin");
  EXPECT_EQ(ok.result.outcome, Outcome::accepted) << dump(ok.result);
  // Only the legacy algorithms were offered: the login proves they were negotiated.
  EXPECT_EQ(ok.result.evidence[ssh::kCipher], "aes128-cbc") << dump(ok.result);
  if (ok.result.evidence.count(ssh::kKex)) {
    EXPECT_EQ(ok.result.evidence[ssh::kKex], "diffie-hellman-group1-sha1");
  }
  EXPECT_EQ(ok.result.evidence[ssh::kHostKeyType], "ssh-rsa");
  Trial bad = attempt("127.71.2.2", 2222, "admin", "wrong-password-x");
  EXPECT_EQ(bad.result.outcome, Outcome::rejected) << dump(bad.result);
}

}  // namespace
}  // namespace mamori::creds
