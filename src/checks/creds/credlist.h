// Credential lists as data (data/creds/*.tsv, plus the user's own files): which pairs to try on a
// service, most likely first, chosen by the device's vendor and category and the service.
//
// File format (TSV, UTF-8): `#` comment lines (the first `# list: NAME` names the list), one
// header line `username<TAB>password<TAB>services<TAB>categories<TAB>vendors<TAB>note`, then one
// entry per line. services/categories/vendors are comma lists or `*`; an empty field is an empty
// string. A user file may also be plain `user:password` lines (services, categories, vendors `*`).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "checks/creds/checker.h"
#include "core/expected.h"

namespace mamori::creds {

struct CredentialEntry {
  Credential cred;                      // cred.list = the list name, cred.source = note
  std::vector<std::string> services;    // empty = any
  std::vector<std::string> categories;  // empty = any
  std::vector<std::string> vendors;     // lower case; empty = any
  bool community = false;               // an SNMP community (only services {"snmp"})
};

struct CredentialList {
  std::string name;
  std::string path;
  bool user = false;  // given by the user (tried first)
  std::vector<CredentialEntry> entries;
};

// Parses one list; errors name the file, line and field.
Expected<CredentialList> parse_credential_list(std::string_view text, const std::string& path,
                                               bool user_list = false);
Expected<CredentialList> load_credential_list(const std::filesystem::path& path,
                                              bool user_list = false);

// What the runner needs to choose credentials for one service.
struct CredentialQuery {
  std::string service;   // checker id / service name: "telnet", "http", "snmp"...
  std::string kind;      // CheckerInfo::credential_kind: "login", "community", "password"
  std::string category;  // device category (spec/results.md) or "unknown"
  std::string vendor;    // device vendor as identified, any case; may be empty
};

class CredentialCatalog {
 public:
  // Loads every *.tsv in `dir` (sorted by name), then each user file (tried first).
  static Expected<CredentialCatalog> load(const std::filesystem::path& dir,
                                          const std::vector<std::string>& user_files = {});
  void add(CredentialList list);

  // The pairs to try, most likely first, without duplicates: the user's lists, then vendor
  // defaults for this vendor, then defaults for this category, then Mirai's list (telnet/ssh),
  // then the common weak list. Entries whose services/categories/vendors exclude the query are
  // left out. `limit` caps the result (0 = no cap).
  std::vector<Credential> select(const CredentialQuery& q, size_t limit = 0) const;

  const std::vector<CredentialList>& lists() const { return lists_; }
  size_t size() const;

 private:
  std::vector<CredentialList> lists_;
};

// Lower case, spaces and underscores to '-': "TP-LINK" -> "tp-link", "Raspberry Pi" ->
// "raspberry-pi". Used to compare vendors.
std::string normalize_vendor(std::string_view vendor);

}  // namespace mamori::creds
