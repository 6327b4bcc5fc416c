// mamori-posture-bench: the TLS/SSH posture analysis alone (no sweep, identification or
// credential audit) of given endpoints, timed, for bench/tls-bench.sh. One JSON line per
// endpoint: what was found (versions, ciphers, weak suites, certificate key, SSH algorithms and
// host keys) and, apart, the wall time. Running it with --parallel 1 and --parallel 4 on the same
// endpoints shows the gain and, by comparing the lines without their time, that the results are
// the same.
//
//   mamori-posture-bench [--parallel N] [--repeat N] ENDPOINT...
//   ENDPOINT: tls://IP:PORT, ftp://IP:PORT (AUTH TLS) or ssh://IP:PORT
//
// Endpoints are analysed one after another (as the audit stage does for one device's
// services); only loopback or lab addresses should be given (the caller's responsibility, as
// for `mamori scan`).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "tls/posture.h"

namespace {
namespace asio = boost::asio;
using namespace mamori;
using namespace mamori::tls;

nlohmann::json describe(const TlsReport& r) {
  nlohmann::json versions = nlohmann::json::object();
  for (const auto& v : r.versions) versions[v.version] = v.status == "accepted" ? v.cipher : v.status;
  nlohmann::json weak = nlohmann::json::array();
  for (const auto& w : r.weak_suites) weak.push_back(w.category + ":" + w.suite);
  nlohmann::json j = {{"versions", versions}, {"weak", weak}, {"behaviour", r.behaviour}};
  if (r.cert) j["spki_sha256"] = r.cert->spki_sha256;
  return j;
}

nlohmann::json describe(const SshReport& r) {
  nlohmann::json weak = nlohmann::json::array();
  for (const auto& w : r.weak) weak.push_back(w.kind + ":" + w.name);
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : r.host_keys) keys.push_back(k.type + " " + k.fingerprint);
  return {{"ident", r.ident}, {"weak", weak}, {"host_keys", keys}, {"behaviour", r.behaviour}};
}

}  // namespace

int main(int argc, char** argv) {
  PostureLimits lim;
  int repeat = 1;
  std::vector<std::string> endpoints;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--parallel" || a == "--repeat") && i + 1 < argc) {
      int n = std::atoi(argv[++i]);
      if (n < 1) {
        std::cerr << a << " needs a positive number\n";
        return 2;
      }
      if (a == "--parallel") lim.parallel = static_cast<unsigned>(n);
      else repeat = n;
    } else if (a.rfind("--", 0) == 0) {
      std::cerr << "usage: mamori-posture-bench [--parallel N] [--repeat N] tls://IP:PORT|ftp://IP:PORT|ssh://IP:PORT...\n";
      return 2;
    } else {
      endpoints.push_back(a);
    }
  }
  int rc = 0;
  for (int round = 0; round < repeat; ++round) {
    for (const auto& e : endpoints) {
      auto sep = e.find("://");
      auto colon = e.rfind(':');
      if (sep == std::string::npos || colon == std::string::npos || colon <= sep + 3) {
        std::cerr << "bad endpoint " << e << "\n";
        return 2;
      }
      std::string scheme = e.substr(0, sep);
      std::string host = e.substr(sep + 3, colon - sep - 3);
      if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
      auto ip = Ip::parse(host);
      int port = std::atoi(e.c_str() + colon + 1);
      if (!ip || port <= 0 || port > 65535 || (scheme != "tls" && scheme != "ftp" && scheme != "ssh")) {
        std::cerr << "bad endpoint " << e << "\n";
        return 2;
      }
      asio::io_context io;
      nlohmann::json found;
      auto t0 = std::chrono::steady_clock::now();
      if (scheme == "ssh") {
        asio::co_spawn(io, analyze_ssh(io.get_executor(), *ip, static_cast<uint16_t>(port), lim),
                       [&](std::exception_ptr ex, SshReport r) {
                         if (!ex) found = describe(r);
                       });
      } else {
        asio::co_spawn(io,
                       analyze_tls(io.get_executor(), *ip, static_cast<uint16_t>(port), "", lim,
                                   scheme == "ftp" ? StartTls::ftp : StartTls::none),
                       [&](std::exception_ptr ex, TlsReport r) {
                         if (!ex) found = describe(r);
                       });
      }
      io.run();
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (found.is_null()) rc = 1;
      nlohmann::json line = {{"endpoint", e}, {"parallel", lim.parallel}, {"ms", ms}, {"found", found}};
      std::cout << line.dump() << "\n";
    }
  }
  return rc;
}
