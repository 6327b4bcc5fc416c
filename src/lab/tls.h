// Certificates and keys for the lab's TLS services, generated at start with OpenSSL:
// self-signed or signed by a lab CA, current or expired, 1024..4096-bit RSA keys, and keys
// shared by several devices (same `shared_key` name, or the same `key_file`).
#pragma once

#include <map>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "core/expected.h"
#include "lab/scenario.h"

namespace mamori::lab {

// Owns the generated keys. Not thread-safe: used from the lab thread (or before it starts).
class TlsFactory {
 public:
  TlsFactory();
  ~TlsFactory();
  TlsFactory(const TlsFactory&) = delete;
  TlsFactory& operator=(const TlsFactory&) = delete;

  // A server context for one TLS service of one device.
  Expected<std::shared_ptr<boost::asio::ssl::context>> make_context(const Device& d, const Service& s);
  // PEM of the lab CA (the issuer of certificates with self_signed: false).
  std::string ca_pem();

 private:
  struct Key;
  Expected<std::shared_ptr<Key>> key_for(const Device& d, const TlsOptions& t);
  Expected<std::shared_ptr<Key>> ca_key();
  std::map<std::string, std::shared_ptr<Key>> shared_;  // by shared_key name or key file
  std::shared_ptr<Key> ca_;
  std::string ca_cert_pem_;
  void* ca_cert_ = nullptr;  // X509*
};

}  // namespace mamori::lab
