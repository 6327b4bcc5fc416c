#include "lab/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

namespace mamori::lab {
namespace {

std::string ssl_error(const char* what) {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return fmt::format("{}: {}", what, buf);
}

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

void add_entry(X509_NAME* name, const char* field, const std::string& value) {
  if (value.empty()) return;
  std::string v = value.substr(0, 64);  // X.520 upper bound for CN/O
  X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.c_str()),
                             static_cast<int>(v.size()), -1, 0);
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ex = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ex) {
    X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
  }
}

}  // namespace

struct TlsFactory::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

TlsFactory::TlsFactory() = default;
TlsFactory::~TlsFactory() { X509_free(static_cast<X509*>(ca_cert_)); }

Expected<std::shared_ptr<TlsFactory::Key>> TlsFactory::key_for(const Device& d, const TlsOptions& t) {
  std::string id = !t.key_file.empty() ? "file:" + t.key_file
                   : !t.shared_key.empty() ? fmt::format("shared:{}:{}", t.shared_key, t.key_bits)
                                            : std::string();
  if (!id.empty()) {
    auto it = shared_.find(id);
    if (it != shared_.end()) return it->second;
  }
  auto key = std::make_shared<Key>();
  if (!t.key_file.empty()) {
    BIO* bio = BIO_new_file(t.key_file.c_str(), "r");
    if (!bio) return make_error(fmt::format("{}: cannot open key file", t.key_file));
    key->pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!key->pkey) return make_error(ssl_error(t.key_file.c_str()));
  } else {
    key->pkey = EVP_RSA_gen(static_cast<unsigned>(t.key_bits));
    if (!key->pkey) return make_error(ssl_error("RSA key generation"));
  }
  if (!id.empty()) shared_[id] = key;
  return key;
}

Expected<std::shared_ptr<TlsFactory::Key>> TlsFactory::ca_key() {
  if (ca_) return ca_;
  auto key = std::make_shared<Key>();
  key->pkey = EVP_RSA_gen(2048);
  if (!key->pkey) return make_error(ssl_error("CA key generation"));
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -86400);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * 3650);
  X509_NAME* name = X509_get_subject_name(cert);
  add_entry(name, "O", "Mamori Lab");
  add_entry(name, "CN", "Mamori Lab CA");
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key->pkey);
  add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(cert, cert, NID_subject_key_identifier, "hash");
  if (!X509_sign(cert, key->pkey, EVP_sha256())) {
    X509_free(cert);
    return make_error(ssl_error("CA certificate"));
  }
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  ca_cert_pem_.assign(data, static_cast<size_t>(len));
  BIO_free(bio);
  ca_cert_ = cert;
  ca_ = key;
  return ca_;
}

std::string TlsFactory::ca_pem() {
  (void)ca_key();
  return ca_cert_pem_;
}

Expected<std::shared_ptr<boost::asio::ssl::context>> TlsFactory::make_context(const Device& d, const Service& s) {
  const TlsOptions& t = s.tls;
  auto key = key_for(d, t);
  if (!key) return key.error();
  std::shared_ptr<Key> ca;
  if (!t.self_signed) {
    auto c = ca_key();
    if (!c) return c.error();
    ca = *c;
  }
  X509Ptr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  uint8_t serial[12];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  if (t.expired) {
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -86400L * 730);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), -86400L * 365);
  } else {
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -86400L);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * 3650);
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  add_entry(name, "C", "JP");
  add_entry(name, "O", d.vendor.empty() ? "Mamori Lab" : d.vendor);
  std::string cn = !t.common_name.empty() ? t.common_name : !d.model.empty() ? d.model : ipv4_str(d.address);
  add_entry(name, "CN", cn);
  X509* issuer_cert = t.self_signed ? cert.get() : static_cast<X509*>(ca_cert_);
  X509_set_issuer_name(cert.get(), t.self_signed ? name : X509_get_subject_name(issuer_cert));
  X509_set_pubkey(cert.get(), (*key)->pkey);
  std::string san = fmt::format("IP:{}", ipv4_str(d.address));
  add_ext(cert.get(), issuer_cert, NID_subject_alt_name, san.c_str());
  add_ext(cert.get(), issuer_cert, NID_basic_constraints, "CA:FALSE");
  add_ext(cert.get(), issuer_cert, NID_ext_key_usage, "serverAuth");
  EVP_PKEY* signer = t.self_signed ? (*key)->pkey : ca->pkey;
  if (!X509_sign(cert.get(), signer, EVP_sha256())) return make_error(ssl_error("certificate signing"));

  auto ctx = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  bool legacy = t.min_version == "tls1.0" || t.min_version == "tls1.1";
  // Weak keys and old protocol versions are the point of some scenarios: OpenSSL's default
  // security level 2 would refuse them.
  if (legacy || t.key_bits < 2048) {
    SSL_CTX_set_security_level(native, 0);
    SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0");
  }
  int min = t.min_version == "tls1.0"   ? TLS1_VERSION
            : t.min_version == "tls1.1" ? TLS1_1_VERSION
            : t.min_version == "tls1.3" ? TLS1_3_VERSION
                                        : TLS1_2_VERSION;
  SSL_CTX_set_min_proto_version(native, min);
  if (SSL_CTX_use_certificate(native, cert.get()) != 1) return make_error(ssl_error("use certificate"));
  if (!t.self_signed) SSL_CTX_add_extra_chain_cert(native, X509_dup(issuer_cert));
  if (SSL_CTX_use_PrivateKey(native, (*key)->pkey) != 1) return make_error(ssl_error("use key"));
  return ctx;
}

}  // namespace mamori::lab
