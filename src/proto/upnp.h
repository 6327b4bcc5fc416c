// UPnP device description documents (UDA 1.1 §2.3) and the two read-only IGD SOAP actions
// Mamori uses (WANIPConnection / WANPPPConnection: GetExternalIPAddress and
// GetGenericPortMappingEntry), both directions:
//   control point (probes): parse_description(), build_*_request(), parse_*_response()
//   device        (lab):    build_description(), parse_soap_request(), build_*_response(),
//                           build_soap_fault()
// Nothing here adds, changes or deletes a port mapping, and no builder exists for such actions.
// XML safety: input larger than kMaxXmlBytes, or containing "<!DOCTYPE" or "<!ENTITY" anywhere
// (case-insensitive), is refused before parsing; element nesting deeper than kMaxXmlDepth is
// refused; pugixml never resolves external entities. Elements are matched by local name (any
// namespace prefix). Pure functions: no I/O, thread-safe, never throw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/expected.h"

namespace mamori::proto::upnp {

inline constexpr std::size_t kMaxXmlBytes = 256 * 1024;
inline constexpr int kMaxXmlDepth = 32;
inline constexpr std::size_t kMaxDevices = 64;     // root + embedded, all levels
inline constexpr std::size_t kMaxServices = 256;   // all devices together
inline constexpr std::size_t kMaxFieldBytes = 4096;  // longer text fields are refused

inline constexpr std::string_view kIgdDevice1 = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
inline constexpr std::string_view kWanIpConnection1 = "urn:schemas-upnp-org:service:WANIPConnection:1";
inline constexpr std::string_view kWanIpConnection2 = "urn:schemas-upnp-org:service:WANIPConnection:2";
inline constexpr std::string_view kWanPppConnection1 = "urn:schemas-upnp-org:service:WANPPPConnection:1";

struct Service {
  std::string service_type;  // "urn:schemas-upnp-org:service:WANIPConnection:1"
  std::string service_id;
  std::string scpd_url;      // SCPDURL, as written (often relative)
  std::string control_url;   // controlURL, as written
  std::string event_sub_url; // eventSubURL, as written
  friend bool operator==(const Service&, const Service&) = default;
};

struct Device {
  std::string device_type;
  std::string friendly_name;
  std::string manufacturer;
  std::string manufacturer_url;
  std::string model_description;
  std::string model_name;
  std::string model_number;
  std::string serial_number;
  std::string udn;  // "uuid:..."
  std::string presentation_url;
  std::vector<Service> services;
  std::vector<Device> devices;  // embedded devices (deviceList)
  friend bool operator==(const Device&, const Device&) = default;
};

struct Description {
  int spec_major = 1;
  int spec_minor = 0;
  std::string url_base;  // URLBase (UDA 1.0; deprecated in 1.1), empty when absent
  Device root;
  friend bool operator==(const Description&, const Description&) = default;
};

// Parses a description document (root element "root", child "device"). Text fields are trimmed.
// Refuses unsafe XML (see above), a missing root/device, and more than kMaxDevices devices or
// kMaxServices services.
Expected<Description> parse_description(std::string_view xml);

// A UDA 1.1 description document (namespace urn:schemas-upnp-org:device-1-0) from the fields;
// empty fields are omitted, text is XML-escaped. Parses back to an equal Description.
std::string build_description(const Description& description);

// A service found somewhere in the device tree, with the UDN of the device that offers it.
struct ServiceRef {
  std::string device_udn;
  Service service;
};
// All services of all devices, depth first, root first.
std::vector<ServiceRef> all_services(const Description& description);
// The IGD connection service to query: the first WANIPConnection (any version), else the first
// WANPPPConnection, found depth first. nullopt when the device is not an IGD.
std::optional<ServiceRef> find_wan_connection(const Description& description);

// Resolves a URL from a description (controlURL, SCPDURL, presentationURL) against a base (the
// URLBase if present, else the LOCATION the description was fetched from): absolute URLs
// ("scheme://...") are returned unchanged, "/path" replaces the base's path, other relative
// references are joined to the base's directory. No normalisation of "..".
std::string resolve_url(std::string_view base, std::string_view reference);

// ---- SOAP (UDA 1.1 §3.2) ---------------------------------------------------------------------

// Value for the SOAPACTION HTTP header: "\"<service_type>#<action>\"" (with the quotes).
std::string soap_action_header(std::string_view service_type, std::string_view action);

// Request bodies (the whole s:Envelope). service_type is the service's serviceType.
std::string build_get_external_ip_request(std::string_view service_type);
std::string build_get_generic_port_mapping_entry_request(std::string_view service_type,
                                                         uint32_t index);

struct PortMapping {
  std::string remote_host;  // "" = any
  uint16_t external_port = 0;
  std::string protocol;     // "TCP" / "UDP"
  uint16_t internal_port = 0;
  std::string internal_client;
  bool enabled = false;
  std::string description;
  uint32_t lease_duration = 0;  // seconds, 0 = permanent
  friend bool operator==(const PortMapping&, const PortMapping&) = default;
};

// s:Fault / detail / UPnPError.
struct SoapFault {
  int error_code = 0;              // 713 = SpecifiedArrayIndexInvalid (end of the table)
  std::string error_description;
  std::string fault_string;        // usually "UPnPError"
  friend bool operator==(const SoapFault&, const SoapFault&) = default;
};
inline constexpr int kErrorInvalidAction = 401;
inline constexpr int kErrorInvalidArgs = 402;
inline constexpr int kErrorActionFailed = 501;
inline constexpr int kErrorSpecifiedArrayIndexInvalid = 713;

// A response is either the action's result or a fault; an Error means the body was not a
// SOAP envelope we understand (unsafe XML, no Body, neither the expected response nor a Fault,
// or a malformed number).
Expected<std::variant<std::string, SoapFault>> parse_get_external_ip_response(std::string_view xml);
Expected<std::variant<PortMapping, SoapFault>> parse_get_generic_port_mapping_entry_response(
    std::string_view xml);

// Lab side: the action called and its in-arguments (child elements of the action element).
struct SoapCall {
  std::string service_type;  // namespace URI of the action element
  std::string action;        // local name: "GetExternalIPAddress"
  std::vector<std::pair<std::string, std::string>> arguments;
  std::optional<std::string> argument(std::string_view name) const;
};
Expected<SoapCall> parse_soap_request(std::string_view xml);

std::string build_get_external_ip_response(std::string_view service_type,
                                           std::string_view external_ip);
std::string build_get_generic_port_mapping_entry_response(std::string_view service_type,
                                                          const PortMapping& mapping);
// A UPnPError fault envelope (sent with HTTP 500).
std::string build_soap_fault(int error_code, std::string_view error_description);

}  // namespace mamori::proto::upnp
