// UPnP device description over HTTP (the LOCATION of the ssdp service) and, on routers with
// an `igd` (external_ip/mappings), a read-only WANIPConnection:1 control point answering
// GetExternalIPAddress, GetGenericPortMappingEntry and GetSpecificPortMappingEntry. Every
// other action gets a 401 Invalid Action fault: nothing can be changed.
#include <fmt/format.h>

#include "lab/services/http_common.h"
#include "proto/upnp.h"

namespace mamori::lab {
namespace {
namespace upnp = proto::upnp;

constexpr std::string_view kControlPath = "/ctl/IPConn";

bool is_igd(const Device& d, const Service& s) { return d.category == "router" || !s.mappings.empty() || !s.external_ip.empty(); }

std::string root_type(const Device& d, const Service& s) {
  if (is_igd(d, s)) return std::string(upnp::kIgdDevice1);
  if (d.category == "tv_stb" || d.category == "smart_speaker") return "urn:schemas-upnp-org:device:MediaRenderer:1";
  if (d.category == "mfp") return "urn:schemas-upnp-org:device:Printer:1";
  return "urn:schemas-upnp-org:device:Basic:1";
}

std::string description(const Device& d, const Service& s) {
  upnp::Description desc;
  auto& root = desc.root;
  root.device_type = root_type(d, s);
  root.friendly_name = !s.title.empty() ? s.title : d.vendor + " " + d.model;
  root.manufacturer = d.vendor;
  root.model_description = d.category;
  root.model_name = d.model;
  root.model_number = d.firmware;
  root.serial_number = d.serial;
  root.udn = "uuid:" + d.uuid;
  if (const Service* http = find_service(d, "http"))
    root.presentation_url = fmt::format("http{}://{}:{}/", http->tls.enabled ? "s" : "", ipv4_str(d.address), http->port);
  if (is_igd(d, s)) {
    upnp::Device wan;
    wan.device_type = "urn:schemas-upnp-org:device:WANDevice:1";
    wan.friendly_name = "WANDevice";
    wan.manufacturer = d.vendor;
    wan.model_name = d.model;
    wan.udn = "uuid:" + d.uuid.substr(0, d.uuid.size() - 1) + "1";
    upnp::Device conn;
    conn.device_type = "urn:schemas-upnp-org:device:WANConnectionDevice:1";
    conn.friendly_name = "WANConnectionDevice";
    conn.manufacturer = d.vendor;
    conn.model_name = d.model;
    conn.udn = "uuid:" + d.uuid.substr(0, d.uuid.size() - 1) + "2";
    conn.services.push_back({std::string(upnp::kWanIpConnection1), "urn:upnp-org:serviceId:WANIPConn1", "/WANIPCn.xml",
                             std::string(kControlPath), "/evt/IPConn"});
    wan.devices.push_back(std::move(conn));
    root.devices.push_back(std::move(wan));
  }
  return upnp::build_description(desc);
}

upnp::PortMapping to_proto(const PortMapping& m) {
  return {"", m.external_port, m.protocol, m.internal_port, m.internal_client, m.enabled, m.description, m.lease};
}

Response control(const Request& r, const Device& d, const Service& s) {
  Response res;
  res.headers.emplace_back("Content-Type", "text/xml; charset=\"utf-8\"");
  auto fault = [&](int code, std::string_view text) {
    res.status = 500;
    res.body = upnp::build_soap_fault(code, text);
    return res;
  };
  auto call = upnp::parse_soap_request(r.body);
  if (!call) return fault(upnp::kErrorInvalidArgs, "Invalid Args");
  if (call->action == "GetExternalIPAddress") {
    res.body = upnp::build_get_external_ip_response(call->service_type, s.external_ip.empty() ? "203.0.113.7" : s.external_ip);
    return res;
  }
  if (call->action == "GetGenericPortMappingEntry") {
    auto idx = call->argument("NewPortMappingIndex");
    size_t i = 0;
    try {
      i = idx ? std::stoul(*idx) : s.mappings.size();
    } catch (const std::exception&) {
      return fault(upnp::kErrorInvalidArgs, "Invalid Args");
    }
    if (i >= s.mappings.size()) return fault(upnp::kErrorSpecifiedArrayIndexInvalid, "SpecifiedArrayIndexInvalid");
    res.body = upnp::build_get_generic_port_mapping_entry_response(call->service_type, to_proto(s.mappings[i]));
    return res;
  }
  if (call->action == "GetSpecificPortMappingEntry") {
    auto port = call->argument("NewExternalPort");
    auto proto = call->argument("NewProtocol");
    for (const auto& m : s.mappings)
      if (port && proto && *port == std::to_string(m.external_port) && *proto == m.protocol) {
        res.body = upnp::build_get_generic_port_mapping_entry_response(call->service_type, to_proto(m));
        return res;
      }
    return fault(714, "NoSuchEntryInArray");
  }
  return fault(upnp::kErrorInvalidAction, "Invalid Action");
}

constexpr std::string_view kScpd =
    "<?xml version=\"1.0\"?>\n<scpd xmlns=\"urn:schemas-upnp-org:service-1-0\"><specVersion><major>1</major>"
    "<minor>0</minor></specVersion><actionList>"
    "<action><name>GetExternalIPAddress</name></action>"
    "<action><name>GetGenericPortMappingEntry</name></action>"
    "<action><name>GetSpecificPortMappingEntry</name></action>"
    "</actionList></scpd>\n";

boost::asio::awaitable<void> serve(Conn& c, ServiceEnv& env) {
  const Device& d = env.device;
  const Service& s = env.service;
  for (int i = 0; i < 50; ++i) {
    auto req = co_await read_request(c, 16384);
    if (!req) co_return;
    Response res;
    std::string path = req->path();
    if ((req->method == "GET" || req->method == "HEAD") && (path == "/rootDesc.xml" || path == "/description.xml")) {
      res.headers.emplace_back("Content-Type", "text/xml; charset=\"utf-8\"");
      res.body = description(d, s);
    } else if (req->method == "GET" && path == "/WANIPCn.xml" && is_igd(d, s)) {
      res.headers.emplace_back("Content-Type", "text/xml; charset=\"utf-8\"");
      res.body = std::string(kScpd);
    } else if (req->method == "POST" && path == kControlPath && is_igd(d, s)) {
      res = control(*req, d, s);
    } else {
      res.status = 404;
    }
    res.headers.emplace(res.headers.begin(), "Server",
                        s.server.empty() ? fmt::format("Linux/3.4 UPnP/1.0 {}/{}", d.model, d.firmware) : s.server);
    res.headers.emplace_back("Connection", "close");
    co_await c.write(res.serialize("HTTP/1.1", req->method == "HEAD"));
    co_return;
  }
}

std::vector<std::string> findings(const Device& d, const Service& s) {
  if (is_igd(d, s)) return {"upnp-igd-exposed"};
  return {};
}

}  // namespace

extern const ServiceKind kUpnpKind{"upnp", "UPnP description XML and read-only IGD WANIPConnection control",
                                   Transport::tcp, 49152, {"server", "title", "external_ip", "mappings"}, serve,
                                   nullptr, findings, nullptr, "upnp"};

}  // namespace mamori::lab
