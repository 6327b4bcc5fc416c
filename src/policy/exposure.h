// What a scan learned about exposure, read from its records: the port mappings a UPnP IGD
// listed (the `upnp.mappings` evidence of an ssdp service, src/probes/ssdp/igd_client.h), and
// the connection form they prove for the devices they point to. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mamori::policy {

// One enabled mapping "external_ip:external_port/protocol -> internal_client:internal_port",
// listed by the gateway at `router`.
struct Forward {
  std::string router;        // the address the IGD answered at (its LAN side)
  std::string external_ip;   // the IGD's GetExternalIPAddress ("" when it did not say)
  std::string protocol;      // "tcp" / "udp"
  uint16_t external_port = 0;
  std::string internal_client;  // canonical address
  uint16_t internal_port = 0;
  std::string remote_host;   // "" = any remote host
  friend bool operator==(const Forward&, const Forward&) = default;
};

// The enabled mappings an ssdp `service` record lists whose internal client is an address
// literal (others cannot be attributed to a device). Empty for any other record. Bounded by
// the evidence it reads (at most 64 mappings are listed by the probe; at most 256 are read).
std::vector<Forward> forwards_from_service(const nlohmann::json& service);

// The external address a gateway's own `service` record says it holds (UPnP IGD
// GetExternalIPAddress on its ssdp service, or the NAT-PMP answer on its nat-pmp service),
// canonical, and which of the two said so ("upnp-igd" / "nat-pmp"); empty when none or not an
// address.
struct ClaimedAddress {
  std::string address, via;
};
ClaimedAddress gateway_claimed_address(const nlohmann::json& service);

// The claimed address when it is on the internet: "" when it is a private (RFC 1918), shared
// (RFC 6598, carrier-grade NAT) or link-local one: that gateway is itself behind another NAT,
// so holding it does not put the gateway on the internet.
std::string gateway_external_address(const nlohmann::json& service);

// The `port-forwarded-service` evidence of one mapping.
nlohmann::json forward_evidence(const Forward& f);

}  // namespace mamori::policy
