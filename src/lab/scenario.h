// The lab scenario: which emulated devices exist, on which addresses, with which services.
// The scenario is also the ground truth (see truth.h). Loaded from YAML; every error names the
// file, the line and the field, e.g. `demo.yaml:14: devices[2].services[0].port: 70000 is not
// a port 1..65535`. The format is documented in docs/lab.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/expected.h"

namespace mamori::lab {

enum class Transport { tcp, udp };

struct Credential {
  std::string username;
  std::string password;
  bool is_default = false;  // a known default/weak pair: the truth expects `default-credential`
};

struct TlsOptions {
  bool enabled = false;
  bool self_signed = true;   // false: signed by the lab CA generated at start
  bool expired = false;      // validity ended a year ago
  int key_bits = 2048;       // RSA modulus bits (1024 emulates a weak key)
  std::string shared_key;    // devices naming the same shared key use one key pair
  std::string key_file;      // PEM private key to load instead of generating one
  std::string common_name;   // certificate subject CN (default: the device model)
  std::string min_version;   // "tls1.0", "tls1.1", "tls1.2" (default), "tls1.3"
};

struct Topic {  // MQTT retained message
  std::string topic;
  std::string payload;
};

struct Community {  // SNMP v1/v2c
  std::string name;
  bool write = false;
};

struct PortMapping {  // UPnP IGD WANIPConnection entry (read-only)
  std::string protocol = "TCP";
  uint16_t external_port = 0;
  std::string internal_client;
  uint16_t internal_port = 0;
  std::string description;
  bool enabled = true;
  uint32_t lease = 0;
};

struct Service {
  std::string kind;  // registry id: telnet, http, rtsp, ftp, mqtt, ssh, upnp, snmp, ...
  Transport transport = Transport::tcp;
  uint16_t port = 0;
  int line = 0;  // line in the scenario file, for messages

  std::string banner;  // telnet pre-login text, FTP greeting, SSH identification
  std::string server;  // HTTP/RTSP Server header
  std::string title;   // HTML <title>
  std::string realm;   // HTTP/RTSP auth realm
  std::string prompt;  // telnet shell prompt ("# " or "$ ")
  std::string hostname;
  std::string auth = "none";  // none | login (telnet) | basic | digest | form (http/rtsp)
  std::vector<Credential> credentials;
  bool anonymous = false;  // FTP anonymous login, MQTT CONNECT without credentials
  bool admin = true;       // HTTP: the page behind the auth is an administration page
  int max_tries = 3;       // telnet login attempts per connection
  std::vector<std::string> paths;  // RTSP stream paths
  std::string favicon;             // HTTP favicon bytes (from favicon: file or favicon_base64:)
  std::vector<Topic> topics;
  std::vector<Community> communities;
  std::string sys_descr, sys_object_id;  // SNMP
  std::string external_ip;               // UPnP IGD
  std::vector<PortMapping> mappings;
  std::vector<std::string> resources;  // CoAP resources (paths)
  uint32_t manufacturer_code = 0;      // ECHONET Lite 0x8A (3 bytes)
  std::vector<uint32_t> instances;     // ECHONET Lite EOJs (3 bytes each)
  TlsOptions tls;
};

struct Device {
  std::string name;
  uint32_t address = 0;  // IPv4, host order; inside 127.0.0.0/8 or 198.18.0.0/15
  std::string category;
  std::string vendor, model, firmware, serial, uuid;
  std::vector<Service> services;
  // The verdicts a correct assessment gives (requirement id -> pass, fail, not_verifiable,
  // not_applicable, declared), for the requirements the scenario's author chose to pin.
  std::map<std::string, std::string> verdicts;
  int line = 0;
};

struct Scenario {
  std::string name;
  std::string file;  // as given, for messages
  std::vector<Device> devices;
  size_t service_count() const;
};

// Parses scenario text. `display_name` prefixes messages; `base_dir` resolves favicon and key
// files. Never throws.
Expected<Scenario> parse_scenario(const std::string& text, const std::string& display_name,
                                  const std::string& base_dir);
Expected<Scenario> load_scenario(const std::string& path);

// The categories of spec/results.md (without `unknown`).
const std::vector<std::string>& device_categories();
// True for the well-known default pairs the truth marks as `default-credential` when a
// credential does not say `default:` itself.
bool is_well_known_default(const std::string& user, const std::string& password);
std::string ipv4_str(uint32_t host_order);

}  // namespace mamori::lab
