// Findings of the TLS/SSH posture (check ids of spec/results.md, defined in
// data/checks/posture.yaml) and the fleet view: the same TLS public key or SSH host key on two
// or more distinct device addresses is `shared-private-key` on each of them.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "checks/findings.h"
#include "tls/posture.h"

namespace mamori::tls {

// tls-legacy-protocol, tls-weak-cipher, tls-self-signed, tls-expired, tls-weak-key for one
// endpoint (`service` names it in the findings). Deterministic order.
std::vector<Finding> tls_findings(const TlsReport& r, const std::string& service,
                                  const CheckCatalog& catalog);
// ssh-weak-algorithms for one endpoint (one finding listing every weak algorithm).
std::vector<Finding> ssh_findings(const SshReport& r, const CheckCatalog& catalog);

// The SSH posture of one endpoint as the `ssh` object of its `service` record: `server`
// (identification line), `behaviour`, `host_keys` (type, algorithm, bits, sha256 hex,
// fingerprint "SHA256:..."), the server's KEXINIT lists (`kex`, `host_key_algorithms`,
// `ciphers`, `macs`, `compression`; server-to-client, with `ciphers_c2s`/`macs_c2s` when they
// differ) and `weak` (kind, name, reason). Lists are absent when no KEXINIT was read.
nlohmann::json ssh_json(const SshReport& r);

// Keys seen in one scan. Not thread-safe: use it from one thread (the audit stage's loop).
class KeyRegistry {
 public:
  // Records that `ip`:`port` presents the key `key_sha256` ("tls-spki" or "ssh-host-key" as
  // `kind`). Returns the shared-private-key findings this observation creates: one for `ip`
  // naming every other address with the key, and, when the key was until now on one address
  // only, one for that earlier address naming `ip` (later addresses add nothing more for it).
  std::vector<Finding> observe(Ip ip, uint16_t port, const std::string& service,
                               const std::string& kind, const std::string& key_sha256,
                               const CheckCatalog& catalog);

 private:
  struct Seen {
    uint16_t port;
    std::string service;
  };
  std::map<std::pair<std::string, std::string>, std::map<Ip, Seen>> keys_;  // (kind, key) -> ip
};

}  // namespace mamori::tls
