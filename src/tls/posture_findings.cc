#include "tls/posture_findings.h"

#include <algorithm>

namespace mamori::tls {
namespace {

Finding make(const CheckCatalog& catalog, const std::string& id, Ip ip, uint16_t port,
             const std::string& service, nlohmann::json evidence) {
  return make_finding(catalog, id, ip, port, service, std::move(evidence));
}

bool weak_signature(const std::string& sig) {
  std::string s = sig;
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s.find("md5") != std::string::npos || s.find("md2") != std::string::npos ||
         s == "sha1withrsaencryption" || s == "ecdsa-with-sha1" || s == "dsawithsha1" ||
         s == "dsa_with_sha1" || s.find("sha1with") != std::string::npos;
}

}  // namespace

std::vector<Finding> tls_findings(const TlsReport& r, const std::string& service,
                                  const CheckCatalog& catalog) {
  std::vector<Finding> out;
  std::vector<std::string> legacy;
  for (const auto& v : r.versions) {
    if (v.status == "accepted" && (v.version == "SSLv3" || v.version == "TLSv1.0" || v.version == "TLSv1.1")) {
      legacy.push_back(v.version);
    }
  }
  if (!legacy.empty()) {
    auto f = make(catalog, "tls-legacy-protocol", r.ip, r.port, service,
                  {{"versions", legacy}, {"accepted", r.accepted()}});
    if (legacy.front() == "SSLv3") f.severity = "high";
    out.push_back(std::move(f));
  }
  if (!r.weak_suites.empty()) {
    nlohmann::json suites = nlohmann::json::array();
    std::vector<std::string> cats;
    bool severe = false;
    for (const auto& w : r.weak_suites) {
      nlohmann::json j = {{"category", w.category}, {"suite", w.suite}, {"version", w.version}};
      if (!w.note.empty()) j["note"] = w.note;
      suites.push_back(std::move(j));
      cats.push_back(w.category);
      severe |= w.category == "null" || w.category == "anonymous" || w.category == "export";
    }
    auto f = make(catalog, "tls-weak-cipher", r.ip, r.port, service,
                  {{"categories", cats}, {"suites", suites}});
    if (severe) f.severity = "high";
    out.push_back(std::move(f));
  }
  if (r.cert) {
    const auto& c = *r.cert;
    nlohmann::json base = {{"subject", c.subject}, {"issuer", c.issuer}, {"sha256", c.sha256}};
    if (c.self_signed) out.push_back(make(catalog, "tls-self-signed", r.ip, r.port, service, base));
    if (c.expired || c.not_yet_valid) {
      auto ev = base;
      ev["not_before"] = c.not_before;
      ev["not_after"] = c.not_after;
      ev["state"] = c.expired ? "expired" : "not_yet_valid";
      out.push_back(make(catalog, "tls-expired", r.ip, r.port, service, ev));
    }
    bool small_rsa = (c.key_type == "RSA" || c.key_type == "RSA-PSS" || c.key_type == "DSA") &&
                     c.key_bits > 0 && c.key_bits < 2048;
    bool small_ec = c.key_type == "EC" && c.key_bits > 0 && c.key_bits < 224;
    bool weak_sig = weak_signature(c.sig_alg) && !c.self_signed;  // a self-signature is not relied on
    if (small_rsa || small_ec || weak_sig) {
      auto ev = base;
      ev["key_type"] = c.key_type;
      ev["key_bits"] = c.key_bits;
      ev["sig_alg"] = c.sig_alg;
      std::vector<std::string> why;
      if (small_rsa || small_ec) why.push_back("key size");
      if (weak_sig) why.push_back("signature algorithm");
      ev["weak"] = why;
      out.push_back(make(catalog, "tls-weak-key", r.ip, r.port, service, ev));
    }
  }
  return out;
}

std::vector<Finding> ssh_findings(const SshReport& r, const CheckCatalog& catalog) {
  std::vector<Finding> out;
  if (r.weak.empty()) return out;
  nlohmann::json algs = nlohmann::json::array();
  for (const auto& w : r.weak) algs.push_back({{"kind", w.kind}, {"name", w.name}, {"reason", w.reason}});
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : r.host_keys) {
    nlohmann::json j = {{"type", k.type}, {"fingerprint", k.fingerprint}};
    if (k.bits > 0) j["bits"] = k.bits;
    keys.push_back(j);
  }
  out.push_back(make(catalog, "ssh-weak-algorithms", r.ip, r.port, "ssh",
                     {{"server", r.ident}, {"algorithms", algs}, {"host_keys", keys}}));
  return out;
}

nlohmann::json ssh_json(const SshReport& r) {
  nlohmann::json j = {{"server", r.ident}, {"behaviour", r.behaviour}};
  if (!r.detail.empty()) j["detail"] = r.detail;
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : r.host_keys) {
    nlohmann::json o = {{"type", k.type}, {"algorithm", k.algorithm}, {"sha256", k.sha256},
                        {"fingerprint", k.fingerprint}};
    if (k.bits > 0) o["bits"] = k.bits;
    keys.push_back(std::move(o));
  }
  j["host_keys"] = std::move(keys);
  if (r.kexinit) {
    const auto& k = *r.kexinit;
    j["kex"] = k.kex;
    j["host_key_algorithms"] = k.host_key;
    j["ciphers"] = k.cipher_s2c;
    j["macs"] = k.mac_s2c;
    j["compression"] = k.comp_s2c;
    if (k.cipher_c2s != k.cipher_s2c) j["ciphers_c2s"] = k.cipher_c2s;
    if (k.mac_c2s != k.mac_s2c) j["macs_c2s"] = k.mac_c2s;
  }
  nlohmann::json weak = nlohmann::json::array();
  for (const auto& w : r.weak) weak.push_back({{"kind", w.kind}, {"name", w.name}, {"reason", w.reason}});
  j["weak"] = std::move(weak);
  return j;
}

std::vector<Finding> KeyRegistry::observe(Ip ip, uint16_t port, const std::string& service,
                                          const std::string& kind, const std::string& key,
                                          const CheckCatalog& catalog) {
  std::vector<Finding> out;
  if (key.empty()) return out;
  auto& ips = keys_[{kind, key}];
  if (ips.count(ip)) return out;  // the same device again (another port): not a fleet share
  ips.emplace(ip, Seen{port, service});
  if (ips.size() < 2) return out;
  auto finding = [&](Ip who, const Seen& where) {
    nlohmann::json others = nlohmann::json::array();
    for (const auto& [other, s] : ips) {
      if (other == who) continue;
      others.push_back({{"ip", other.str()}, {"port", s.port}});
    }
    return make(catalog, "shared-private-key", who, where.port, where.service,
                {{"key_kind", kind}, {"key_sha256", key}, {"also_on", others}});
  };
  out.push_back(finding(ip, ips.at(ip)));
  if (ips.size() == 2) {
    for (const auto& [other, s] : ips) {
      if (other != ip) out.push_back(finding(other, s));
    }
  }
  return out;
}

}  // namespace mamori::tls
