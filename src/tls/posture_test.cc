// The posture analysis against real servers on loopback: openssl s_server with certificates this
// test generates, OpenSSH sshd with a default and a legacy configuration, and scripted bad peers
// (tests/tls/bad_peer.py). Servers are stopped by their PIDs.
#include "tls/posture.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "tls/posture_findings.h"

extern char** environ;

namespace mamori::tls {
namespace {
namespace asio = boost::asio;

std::string run(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

bool listening(const std::string& ip, uint16_t port) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({asio::ip::make_address(ip), port}, ec);
  return !ec;
}

// A child process stopped (SIGTERM, then waited for) by its PID.
class Proc {
 public:
  Proc(std::vector<std::string> args, const std::string& log, const std::string& ip, uint16_t port) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (::posix_spawnp(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; pid_ > 0 && i < 100; ++i) {
      if (listening(ip, port)) {
        up_ = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~Proc() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  bool up() const { return up_; }

 private:
  pid_t pid_ = 0;
  bool up_ = false;
};

template <class F>
auto run_task(F make) {
  using T = typename decltype(make(asio::any_io_executor{}))::value_type;
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(io, make(io.get_executor()), [&](std::exception_ptr e, T v) {
    if (!e) out = std::move(v);
  });
  io.run();
  EXPECT_TRUE(out.has_value());
  return out ? std::move(*out) : T{};
}

PostureLimits quick() {
  PostureLimits l;
  l.connect = Millis(2000);
  l.handshake = Millis(2000);
  return l;
}

const VersionProbe& version(const TlsReport& r, const std::string& v) {
  for (const auto& p : r.versions) {
    if (p.version == v) return p;
  }
  static VersionProbe none;
  return none;
}

std::vector<std::string> ids(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.check_id);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Certificates for every server, generated once per test program.
class TlsServers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/mamori-tls-test-XXXXXX";
    if (!::mkdtemp(tmpl)) return;
    dir_ = tmpl;
    std::string script = R"(set -e; cd ')" + dir_ + R"('
      q() { "$@" >/dev/null 2>&1; }
      q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj '/CN=Mamori Test CA' -days 30
      q openssl req -new -newkey rsa:2048 -nodes -keyout good.key -out good.csr -subj '/CN=good.test'
      printf 'subjectAltName=DNS:good.test,IP:127.74.0.1\n' > san.ext
      q openssl x509 -req -in good.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 -extfile san.ext -out good.pem
      q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.pem -subj '/CN=self.test' -days 30 -addext subjectAltName=DNS:self.test
      q openssl req -x509 -newkey rsa:1024 -nodes -keyout weak.key -out weak.pem -subj '/CN=weak.test' -days 30
      q openssl req -new -newkey rsa:2048 -nodes -keyout exp.key -out exp.csr -subj '/CN=expired.test'
      mkdir db; touch db/index; echo 01 > db/serial
      printf '[ca]\ndefault_ca=x\n[x]\ndatabase=db/index\nserial=db/serial\nnew_certs_dir=db\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n' > ca.cnf
      q openssl ca -batch -config ca.cnf -selfsign -keyfile exp.key -in exp.csr -out exp.pem -startdate 20200101000000Z -enddate 20210101000000Z
    )";
    std::ofstream(dir_ + "/gen.sh") << script;
    ok_ = std::system(("bash '" + dir_ + "/gen.sh'").c_str()) == 0;
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void SetUp() override {
    if (!ok_) GTEST_SKIP() << "could not generate certificates with openssl";
  }
  // openssl s_server -www on ip:port with the named certificate and extra arguments.
  std::unique_ptr<Proc> server(const std::string& ip, uint16_t port, const std::string& name,
                               std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"openssl", "s_server", "-www", "-accept", ip + ":" + std::to_string(port),
                                     "-cert", dir_ + "/" + name + ".pem", "-key", dir_ + "/" + name + ".key"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = std::make_unique<Proc>(args, dir_ + "/" + name + ".log", ip, port);
    EXPECT_TRUE(p->up()) << "s_server " << name << " did not start";
    return p;
  }
  std::string spki_of(const std::string& name) {
    return run("openssl x509 -in " + dir_ + "/" + name + ".pem -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64");
  }
  static inline std::string dir_;
  static inline bool ok_ = false;
  CheckCatalog catalog_ = *CheckCatalog::load(std::string(MAMORI_SOURCE_DIR) + "/data/checks");
};

TEST_F(TlsServers, GoodServer) {
  // ECDHE suites only (OpenSSL's DEFAULT also has static-RSA ones, which are a finding).
  auto s = server("127.74.0.1", 24433, "good", {"-cipher", "ECDHE+AESGCM"});
  auto r = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.0.1"), 24433, "good.test", quick()); });
  EXPECT_TRUE(r.tls);
  EXPECT_EQ(version(r, "TLSv1.3").status, "accepted");
  EXPECT_EQ(version(r, "TLSv1.2").status, "accepted");
  EXPECT_FALSE(version(r, "TLSv1.2").cipher.empty());
  EXPECT_EQ(version(r, "TLSv1.0").status, "rejected") << version(r, "TLSv1.0").detail;
  EXPECT_EQ(version(r, "SSLv3").status, "rejected") << version(r, "SSLv3").detail;
  ASSERT_TRUE(r.cert);
  EXPECT_EQ(r.cert->subject, "CN=good.test");
  EXPECT_EQ(r.cert->issuer, "CN=Mamori Test CA");
  EXPECT_FALSE(r.cert->self_signed);
  EXPECT_FALSE(r.cert->expired);
  EXPECT_EQ(r.cert->key_type, "RSA");
  EXPECT_EQ(r.cert->key_bits, 2048);
  EXPECT_EQ(r.cert->sig_alg, "sha256WithRSAEncryption");
  EXPECT_TRUE(has(r.cert->sans, "DNS:good.test"));
  EXPECT_TRUE(has(r.cert->sans, "IP:127.74.0.1"));
  EXPECT_EQ(r.cert->spki_sha256, spki_of("good"));
  EXPECT_EQ(r.cert->sha256, run("openssl x509 -in " + dir_ + "/good.pem -outform DER | sha256sum | cut -c1-64"));
  auto f = tls_findings(r, "https", catalog_);
  EXPECT_TRUE(f.empty()) << ids(f).front();
}

TEST_F(TlsServers, SelfSignedExpiredWeakKey) {
  auto a = server("127.74.0.2", 24433, "self");
  auto b = server("127.74.0.3", 24433, "exp");
  auto c = server("127.74.0.4", 24433, "weak", {"-cipher", "DEFAULT:@SECLEVEL=0"});
  auto self = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.0.2"), 24433, "", quick()); });
  ASSERT_TRUE(self.cert);
  EXPECT_TRUE(self.cert->self_signed);
  EXPECT_EQ(self.cert->key_type, "EC");
  EXPECT_EQ(self.cert->key_bits, 256);
  EXPECT_TRUE(has(ids(tls_findings(self, "https", catalog_)), "tls-self-signed"));

  auto exp = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.0.3"), 24433, "", quick()); });
  ASSERT_TRUE(exp.cert);
  EXPECT_TRUE(exp.cert->expired);
  EXPECT_EQ(exp.cert->not_after, "2021-01-01T00:00:00Z");
  auto ef = ids(tls_findings(exp, "https", catalog_));
  EXPECT_TRUE(has(ef, "tls-expired"));
  EXPECT_TRUE(has(ef, "tls-self-signed"));

  auto weak = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.0.4"), 24433, "", quick()); });
  ASSERT_TRUE(weak.cert);
  EXPECT_EQ(weak.cert->key_bits, 1024);
  auto wf = tls_findings(weak, "https", catalog_);
  ASSERT_TRUE(has(ids(wf), "tls-weak-key"));
}

TEST_F(TlsServers, LegacyProtocolAndStaticRsaSuite) {
  // TLS 1.0 only, one static-RSA suite (no forward secrecy).
  auto s = server("127.74.0.5", 24433, "good", {"-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"});
  auto r = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.0.5"), 24433, "", quick()); });
  EXPECT_EQ(version(r, "TLSv1.0").status, "accepted") << version(r, "TLSv1.0").detail;
  EXPECT_EQ(version(r, "TLSv1.2").status, "rejected");
  EXPECT_EQ(version(r, "TLSv1.3").status, "rejected");
  EXPECT_EQ(r.accepted(), std::vector<std::string>{"TLSv1.0"});
  auto f = tls_findings(r, "https", catalog_);
  auto i = ids(f);
  ASSERT_TRUE(has(i, "tls-legacy-protocol"));
  ASSERT_TRUE(has(i, "tls-weak-cipher"));
  for (const auto& x : f) {
    if (x.check_id == "tls-weak-cipher") EXPECT_EQ(x.evidence["suites"][0]["suite"], "TLS_RSA_WITH_AES_128_CBC_SHA");
    if (x.check_id == "tls-legacy-protocol") EXPECT_EQ(x.evidence["versions"][0], "TLSv1.0");
  }
}

TEST_F(TlsServers, SharedKeyOnTwoDevices) {
  auto a = server("127.74.0.6", 24433, "good");
  auto b = server("127.74.0.7", 24433, "good");
  KeyRegistry reg;
  std::vector<Finding> all;
  for (const char* ip : {"127.74.0.6", "127.74.0.7"}) {
    auto r = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse(ip), 24433, "", quick()); });
    ASSERT_TRUE(r.cert);
    auto f = reg.observe(r.ip, r.port, "https", "tls-spki", r.cert->spki_sha256, catalog_);
    all.insert(all.end(), f.begin(), f.end());
  }
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].check_id, "shared-private-key");
  EXPECT_EQ(all[0].ip.str(), "127.74.0.7");
  EXPECT_EQ(all[0].evidence["also_on"][0]["ip"], "127.74.0.6");
  EXPECT_EQ(all[1].ip.str(), "127.74.0.6");
  EXPECT_EQ(all[1].evidence["also_on"][0]["ip"], "127.74.0.7");
  EXPECT_EQ(all[0].severity, "high");
  // The same device on another port adds nothing.
  EXPECT_TRUE(reg.observe(*Ip::parse("127.74.0.7"), 8443, "https", "tls-spki", all[0].evidence["key_sha256"], catalog_).empty());
}

const WeakSuite* weak(const TlsReport& r, const std::string& category) {
  for (const auto& w : r.weak_suites) {
    if (w.category == category) return &w;
  }
  return nullptr;
}

// CBC-only on TLS 1.0: TLS 1.0 with forward-secret CBC suites only, so that the CBC class is the
// only reason for tls-weak-cipher. Controls: the same CBC suites on TLS 1.0 plus an AEAD suite on
// TLS 1.2 (not CBC-only), and TLS 1.0-1.2 with CBC suites only (TLS 1.2 asked for AEAD: none).
TEST_F(TlsServers, CbcOnlyOnTls10) {
  auto only10 = server("127.74.0.8", 24433, "good",
                       {"-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:@SECLEVEL=0"});
  auto with_gcm = server("127.74.0.9", 24433, "good",
                         {"-no_tls1_3", "-cipher", "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"});
  auto cbc12 = server("127.74.0.10", 24433, "good",
                      {"-no_tls1_3", "-cipher", "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:@SECLEVEL=0"});

  auto r = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.0.8"), 24433, "", quick()); });
  EXPECT_EQ(r.accepted(), std::vector<std::string>{"TLSv1.0"});
  ASSERT_NE(weak(r, "cbc-only-tls10"), nullptr);
  EXPECT_EQ(weak(r, "cbc-only-tls10")->version, "TLSv1.0");
  EXPECT_NE(weak(r, "cbc-only-tls10")->suite.find("_CBC_"), std::string::npos) << weak(r, "cbc-only-tls10")->suite;
  auto f = tls_findings(r, "https", catalog_);
  const Finding* wc = nullptr;
  for (const auto& x : f) {
    if (x.check_id == "tls-weak-cipher") wc = &x;
  }
  ASSERT_NE(wc, nullptr);
  EXPECT_EQ(wc->evidence["categories"], (nlohmann::json{"cbc-only-tls10"}));  // ECDHE: not static RSA
  const auto& ev = wc->evidence["suites"][0];
  EXPECT_EQ(ev["category"], "cbc-only-tls10");
  EXPECT_EQ(ev["version"], "TLSv1.0");
  EXPECT_NE(ev["note"].get<std::string>().find("no AEAD suite"), std::string::npos) << ev["note"];
  EXPECT_EQ(wc->severity, "medium");

  auto g = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.0.9"), 24433, "", quick()); });
  EXPECT_EQ(version(g, "TLSv1.0").status, "accepted");
  EXPECT_EQ(version(g, "TLSv1.2").status, "accepted");
  EXPECT_EQ(weak(g, "cbc-only-tls10"), nullptr) << "an AEAD suite is offered on TLS 1.2";
  EXPECT_TRUE(has(ids(tls_findings(g, "https", catalog_)), "tls-legacy-protocol"));

  auto c = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.0.10"), 24433, "", quick()); });
  EXPECT_EQ(version(c, "TLSv1.2").status, "accepted");
  EXPECT_NE(version(c, "TLSv1.2").suite.find("_CBC_"), std::string::npos) << version(c, "TLSv1.2").suite;
  EXPECT_NE(weak(c, "cbc-only-tls10"), nullptr) << "TLS 1.2 has CBC suites only";
}

// A real vsftpd with ssl_enable: FEAT lists AUTH TLS, and the TLS behind it is analysed like any
// TLS port. Control: the same vsftpd without TLS is "no_starttls", not a TLS endpoint.
class Vsftpd {
 public:
  Vsftpd(const std::string& dir, const std::string& ip, uint16_t port, bool tls, const std::string& cert) {
    if (::geteuid() != 0 || !std::filesystem::exists("/usr/sbin/vsftpd")) {
      why_ = "needs root and /usr/sbin/vsftpd";
      return;
    }
    std::string conf = dir + "/vsftpd-" + ip + ".conf";
    std::filesystem::create_directories(dir + "/empty");
    std::ofstream cfg(conf);
    cfg << "listen=YES\nlisten_ipv6=NO\nlisten_address=" << ip << "\nlisten_port=" << port
        << "\nbackground=NO\nanonymous_enable=YES\nanon_root=" << dir << "/empty\nlocal_enable=NO\n"
        << "write_enable=NO\nsecure_chroot_dir=" << dir << "/empty\npam_service_name=vsftpd\n"
        << "seccomp_sandbox=NO\nxferlog_enable=NO\n";
    if (tls) cfg << "ssl_enable=YES\nrsa_cert_file=" << dir << "/" << cert << ".pem\nrsa_private_key_file=" << dir << "/" << cert << ".key\n";
    cfg.close();
    proc_ = std::make_unique<Proc>(std::vector<std::string>{"/usr/sbin/vsftpd", conf}, dir + "/vsftpd.log", ip, port);
    if (!proc_->up()) why_ = "vsftpd did not start: " + run("cat " + dir + "/vsftpd.log");
  }
  std::string why() const { return why_; }

 private:
  std::string why_;
  std::unique_ptr<Proc> proc_;
};

TEST_F(TlsServers, FtpAuthTlsOnVsftpd) {
  Vsftpd tls(dir_, "127.74.3.1", 2121, true, "good");
  if (!tls.why().empty()) GTEST_SKIP() << tls.why();
  Vsftpd plain(dir_, "127.74.3.2", 2121, false, "good");
  ASSERT_TRUE(plain.why().empty()) << plain.why();
  auto r = run_task([&](asio::any_io_executor ex) {
    return analyze_tls(ex, *Ip::parse("127.74.3.1"), 2121, "", quick(), StartTls::ftp);
  });
  EXPECT_EQ(r.behaviour, "ok") << version(r, "TLSv1.2").detail;
  EXPECT_TRUE(r.tls);
  EXPECT_EQ(r.starttls, "ftp");
  EXPECT_EQ(version(r, "TLSv1.2").status, "accepted") << version(r, "TLSv1.2").detail;
  EXPECT_FALSE(version(r, "TLSv1.2").cipher.empty());
  EXPECT_EQ(version(r, "SSLv3").status, "rejected") << version(r, "SSLv3").detail;
  ASSERT_TRUE(r.cert);
  EXPECT_EQ(r.cert->subject, "CN=good.test");
  EXPECT_EQ(r.cert->issuer, "CN=Mamori Test CA");
  EXPECT_EQ(r.cert->spki_sha256, spki_of("good"));
  // What openssl s_client -starttls ftp sees on each version must agree.
  for (const auto& [flag, name] : std::vector<std::pair<std::string, std::string>>{
           {"-tls1", "TLSv1.0"}, {"-tls1_1", "TLSv1.1"}, {"-tls1_2", "TLSv1.2"}, {"-tls1_3", "TLSv1.3"}}) {
    std::string out = run("timeout 10 openssl s_client -connect 127.74.3.1:2121 -starttls ftp " + flag +
                          (flag == "-tls1_3" ? "" : " -cipher 'ALL:@SECLEVEL=0'") + " </dev/null 2>&1 | grep -c 'Cipher is (NONE)'");
    bool sclient_accepts = out == "0";
    EXPECT_EQ(version(r, name).status == "accepted", sclient_accepts) << name << ": " << version(r, name).detail;
  }

  auto p = run_task([&](asio::any_io_executor ex) {
    return analyze_tls(ex, *Ip::parse("127.74.3.2"), 2121, "", quick(), StartTls::ftp);
  });
  EXPECT_EQ(p.behaviour, "no_starttls");
  EXPECT_FALSE(p.tls);
  EXPECT_NE(version(p, "TLSv1.2").detail.find("AUTH TLS"), std::string::npos) << version(p, "TLSv1.2").detail;
  EXPECT_EQ(version(p, "TLSv1.0").status, "not_tested");
}

// ---------- scripted bad peers: bounded, recorded, never fatal ----------

class BadPeers : public ::testing::Test {
 protected:
  std::unique_ptr<Proc> peer(const std::string& mode, const std::string& ip, uint16_t port) {
    std::string script = std::string(MAMORI_SOURCE_DIR) + "/tests/tls/bad_peer.py";
    return std::make_unique<Proc>(std::vector<std::string>{"python3", script, mode, ip, std::to_string(port)},
                                  "/dev/null", ip, port);
  }
};

TEST_F(BadPeers, GarbageStallHugeChain) {
  auto g = peer("garbage", "127.74.1.1", 24433);
  auto s = peer("stall", "127.74.1.2", 24433);
  auto m = peer("stallmid", "127.74.1.3", 24433);
  auto h = peer("hugechain", "127.74.1.4", 24433);
  ASSERT_TRUE(g->up() && s->up() && m->up() && h->up());
  auto lim = quick();
  lim.handshake = Millis(800);
  auto t0 = std::chrono::steady_clock::now();
  auto gr = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.1.1"), 24433, "", lim); });
  EXPECT_EQ(gr.behaviour, "garbage");
  EXPECT_FALSE(gr.tls);
  EXPECT_EQ(version(gr, "TLSv1.0").status, "not_tested");  // never offered: not "rejected"
  auto sr = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.1.2"), 24433, "", lim); });
  EXPECT_EQ(sr.behaviour, "stalled");
  EXPECT_EQ(version(sr, "SSLv3").status, "not_tested");
  auto mr = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.1.3"), 24433, "", lim); });
  EXPECT_EQ(mr.behaviour, "stalled");
  auto hr = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.1.4"), 24433, "", lim); });
  EXPECT_FALSE(hr.cert);
  EXPECT_NE(version(hr, "TLSv1.3").status, "accepted");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));  // did not hang
}

// OpenSSL 3 cannot speak SSLv3: the hand-built hello finds it (and its 3DES suite).
TEST_F(BadPeers, Sslv3OnlyServer) {
  auto p = peer("ssl3only", "127.74.1.7", 24433);
  ASSERT_TRUE(p->up());
  auto r = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.1.7"), 24433, "", quick()); });
  EXPECT_EQ(version(r, "SSLv3").status, "accepted") << version(r, "SSLv3").detail;
  EXPECT_EQ(version(r, "SSLv3").cipher, "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
  EXPECT_EQ(version(r, "TLSv1.2").status, "rejected");
  EXPECT_EQ(r.accepted(), std::vector<std::string>{"SSLv3"});
  EXPECT_FALSE(r.cert);  // no handshake completed: the certificate is not known
  CheckCatalog catalog = *CheckCatalog::load(std::string(MAMORI_SOURCE_DIR) + "/data/checks");
  auto f = tls_findings(r, "https", catalog);
  ASSERT_TRUE(has(ids(f), "tls-legacy-protocol"));
  ASSERT_TRUE(has(ids(f), "tls-weak-cipher"));
  for (const auto& x : f) {
    if (x.check_id == "tls-legacy-protocol") EXPECT_EQ(x.severity, "high");
    if (x.check_id == "tls-weak-cipher") {
      // 3DES-CBC on SSLv3 and nothing else: also CBC-only on TLS 1.0 or older.
      EXPECT_EQ(x.evidence["categories"], (nlohmann::json{"3des", "static-rsa", "cbc-only-tls10"}));
    }
  }
}

// FTP peers that flood the greeting, stall after AUTH TLS or do not offer it: bounded by bytes
// and time, recorded, never TLS.
TEST_F(BadPeers, FtpStartTlsBounded) {
  auto f = peer("ftpflood", "127.74.1.8", 2121);
  auto s = peer("ftpstall", "127.74.1.9", 2121);
  auto n = peer("ftpnotls", "127.74.1.10", 2121);
  ASSERT_TRUE(f->up() && s->up() && n->up());
  auto lim = quick();
  lim.handshake = Millis(800);
  auto t0 = std::chrono::steady_clock::now();
  auto fr = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.1.8"), 2121, "", lim, StartTls::ftp); });
  EXPECT_EQ(fr.behaviour, "garbage") << version(fr, "TLSv1.2").detail;
  EXPECT_FALSE(fr.tls);
  auto sr = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.1.9"), 2121, "", lim, StartTls::ftp); });
  EXPECT_EQ(sr.behaviour, "stalled") << version(sr, "TLSv1.2").detail;
  EXPECT_NE(version(sr, "TLSv1.2").detail.find("AUTH TLS"), std::string::npos) << version(sr, "TLSv1.2").detail;
  EXPECT_EQ(version(sr, "TLSv1.3").status, "not_tested");
  auto nr = run_task([&](asio::any_io_executor ex) { return analyze_tls(ex, *Ip::parse("127.74.1.10"), 2121, "", lim, StartTls::ftp); });
  EXPECT_EQ(nr.behaviour, "no_starttls");
  EXPECT_FALSE(nr.tls);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));  // did not hang
}

TEST_F(BadPeers, SshGarbageAndStall) {
  auto g = peer("sshgarbage", "127.74.1.5", 24422);
  auto s = peer("stall", "127.74.1.6", 24422);
  ASSERT_TRUE(g->up() && s->up());
  auto lim = quick();
  lim.handshake = Millis(800);
  auto gr = run_task([&](asio::any_io_executor ex) { return analyze_ssh(ex, *Ip::parse("127.74.1.5"), 24422, lim); });
  EXPECT_EQ(gr.ident, "SSH-2.0-Bad_1.0");
  EXPECT_EQ(gr.behaviour, "garbage");
  EXPECT_FALSE(gr.kexinit);
  auto sr = run_task([&](asio::any_io_executor ex) { return analyze_ssh(ex, *Ip::parse("127.74.1.6"), 24422, lim); });
  EXPECT_EQ(sr.behaviour, "stalled");
}

// ---------- OpenSSH sshd, default and legacy algorithms ----------

class Sshd {
 public:
  Sshd(const std::string& ip, uint16_t port, const std::string& extra) {
    if (::geteuid() != 0 || !std::filesystem::exists("/usr/sbin/sshd")) {
      why_ = "needs root and /usr/sbin/sshd";
      return;
    }
    std::filesystem::create_directories("/run/sshd");  // sshd's privilege separation directory
    char tmpl[] = "/tmp/mamori-tls-sshd-XXXXXX";
    if (!::mkdtemp(tmpl)) return;
    dir_ = tmpl;
    for (const char* t : {"ed25519", "rsa"}) {
      std::string cmd = std::string("ssh-keygen -q -t ") + t + " -N '' -f " + dir_ + "/host_" + t + " >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) why_ = "ssh-keygen failed";
    }
    std::ofstream cfg(dir_ + "/sshd_config");
    cfg << "ListenAddress " << ip << ":" << port << "\nHostKey " << dir_ << "/host_ed25519\nHostKey " << dir_
        << "/host_rsa\nPidFile " << dir_ << "/sshd.pid\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        << "PubkeyAuthentication no\nAuthorizedKeysFile none\nAllowUsers nobody-mamori\nStrictModes no\n" << extra;
    cfg.close();
    proc_ = std::make_unique<Proc>(std::vector<std::string>{"/usr/sbin/sshd", "-D", "-f", dir_ + "/sshd_config", "-E", dir_ + "/log"},
                                   dir_ + "/out", ip, port);
    if (!proc_->up()) why_ = "sshd did not start: " + run("cat " + dir_ + "/log");
  }
  ~Sshd() {
    proc_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string why() const { return why_; }
  std::string fingerprint(const std::string& t) const {
    return run("ssh-keygen -l -E sha256 -f " + dir_ + "/host_" + t + ".pub | cut -d' ' -f2");
  }

 private:
  std::string dir_, why_;
  std::unique_ptr<Proc> proc_;
};

TEST(SshPosture, DefaultSshdHasNoWeakAlgorithmsAndTwoHostKeys) {
  Sshd d("127.74.2.1", 24422, "");
  if (!d.why().empty()) GTEST_SKIP() << d.why();
  auto r = run_task([&](asio::any_io_executor ex) { return analyze_ssh(ex, *Ip::parse("127.74.2.1"), 24422, quick()); });
  EXPECT_EQ(r.behaviour, "ok") << r.detail;
  EXPECT_EQ(r.ident.rfind("SSH-2.0-OpenSSH_", 0), 0u) << r.ident;
  ASSERT_TRUE(r.kexinit);
  EXPECT_TRUE(has(r.kexinit->kex, "curve25519-sha256"));
  EXPECT_TRUE(r.weak.empty()) << r.weak.front().name;
  ASSERT_EQ(r.host_keys.size(), 2u) << r.detail;
  for (const auto& k : r.host_keys) {
    std::string t = k.type == "ssh-ed25519" ? "ed25519" : "rsa";
    EXPECT_EQ(k.fingerprint, d.fingerprint(t)) << k.type;
    EXPECT_EQ(k.sha256.size(), 64u);
  }
}

TEST(SshPosture, LegacySshdIsFlagged) {
  Sshd d("127.74.2.2", 24422,
         "KexAlgorithms diffie-hellman-group1-sha1,diffie-hellman-group14-sha1\n"
         "HostKeyAlgorithms ssh-rsa\nPubkeyAcceptedAlgorithms +ssh-rsa\n"
         "Ciphers aes128-cbc,3des-cbc,aes128-ctr\nMACs hmac-md5,hmac-sha1-96,hmac-sha1\n");
  if (!d.why().empty()) GTEST_SKIP() << d.why();
  auto r = run_task([&](asio::any_io_executor ex) { return analyze_ssh(ex, *Ip::parse("127.74.2.2"), 24422, quick()); });
  EXPECT_EQ(r.behaviour, "ok") << r.detail;
  std::vector<std::string> names;
  for (const auto& w : r.weak) names.push_back(w.name);
  for (const char* n : {"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "ssh-rsa", "aes128-cbc",
                        "3des-cbc", "hmac-md5", "hmac-sha1-96"}) {
    EXPECT_TRUE(has(names, n)) << n;
  }
  // The host key through a DH group 14 exchange.
  ASSERT_EQ(r.host_keys.size(), 1u) << r.detail;
  EXPECT_EQ(r.host_keys[0].type, "ssh-rsa");
  EXPECT_EQ(r.host_keys[0].fingerprint, d.fingerprint("rsa"));
  EXPECT_EQ(r.host_keys[0].bits, 3072);
  CheckCatalog catalog = *CheckCatalog::load(std::string(MAMORI_SOURCE_DIR) + "/data/checks");
  auto f = ssh_findings(r, catalog);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].check_id, "ssh-weak-algorithms");
  EXPECT_EQ(f[0].port, 24422);
  EXPECT_EQ(f[0].evidence["host_keys"][0]["fingerprint"], d.fingerprint("rsa"));
  // The `ssh` object of the service record: the lists as offered, the key, the weak ones.
  auto j = ssh_json(r);
  EXPECT_EQ(j["behaviour"], "ok");
  EXPECT_EQ(j["server"], r.ident);
  // As offered, with OpenSSH's strict key exchange marker (CVE-2023-48795) where it sends one.
  std::vector<std::string> kex = j["kex"];
  std::erase(kex, "kex-strict-s-v00@openssh.com");
  EXPECT_EQ(kex, (std::vector<std::string>{"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"}));
  EXPECT_EQ(j["host_key_algorithms"], std::vector<std::string>{"ssh-rsa"});
  EXPECT_EQ(j["ciphers"], (std::vector<std::string>{"aes128-cbc", "3des-cbc", "aes128-ctr"}));
  EXPECT_FALSE(j.contains("ciphers_c2s"));  // the same both ways
  ASSERT_EQ(j["host_keys"].size(), 1u);
  EXPECT_EQ(j["host_keys"][0]["fingerprint"], d.fingerprint("rsa"));
  EXPECT_EQ(j["host_keys"][0]["sha256"], r.host_keys[0].sha256);
  EXPECT_EQ(j["host_keys"][0]["bits"], 3072);
  EXPECT_EQ(j["weak"].size(), r.weak.size());
}

TEST(SshPosture, SshJsonOfAPeerThatNeverSentKexinit) {
  SshReport r;
  r.ident = "SSH-2.0-dropbear_2019.78";
  r.behaviour = "stalled";
  r.detail = "no binary packet before the deadline";
  auto j = ssh_json(r);
  EXPECT_EQ(j["behaviour"], "stalled");
  EXPECT_EQ(j["detail"], r.detail);
  EXPECT_TRUE(j["host_keys"].empty());
  EXPECT_FALSE(j.contains("kex"));  // no lists when no KEXINIT was read
}

}  // namespace
}  // namespace mamori::tls
