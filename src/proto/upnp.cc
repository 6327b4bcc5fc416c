#include "proto/upnp.h"

#include <charconv>

#include "proto/xml_util.h"

namespace mamori::proto::upnp {
namespace {

constexpr std::string_view kNsSoapEnvelope = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr std::size_t kMaxSoapArguments = 64;

struct Counts {
  std::size_t devices = 0;
  std::size_t services = 0;
};

Expected<bool> field(pugi::xml_node parent, std::string_view name, std::string& out) {
  out = xml::text(xml::child(parent, name));
  if (out.size() > kMaxFieldBytes) return make_error("UPnP field " + std::string(name) + " too long");
  return true;
}

// Recursion depth is bounded by the XML depth check (kMaxXmlDepth) done at load.
Expected<Device> parse_device(pugi::xml_node node, Counts& counts) {
  if (++counts.devices > kMaxDevices) return make_error("too many UPnP devices");
  Device d;
  struct { std::string_view name; std::string* out; } fields[] = {
      {"deviceType", &d.device_type},     {"friendlyName", &d.friendly_name},
      {"manufacturer", &d.manufacturer},  {"manufacturerURL", &d.manufacturer_url},
      {"modelDescription", &d.model_description}, {"modelName", &d.model_name},
      {"modelNumber", &d.model_number},   {"serialNumber", &d.serial_number},
      {"UDN", &d.udn},                    {"presentationURL", &d.presentation_url},
  };
  for (auto& f : fields)
    if (auto r = field(node, f.name, *f.out); !r) return r.error();
  for (pugi::xml_node s = xml::child(xml::child(node, "serviceList"), "service"); s; s = s.next_sibling()) {
    if (s.type() != pugi::node_element || xml::local_name(s.name()) != "service") continue;
    if (++counts.services > kMaxServices) return make_error("too many UPnP services");
    Service svc;
    struct { std::string_view name; std::string* out; } sf[] = {
        {"serviceType", &svc.service_type}, {"serviceId", &svc.service_id}, {"SCPDURL", &svc.scpd_url},
        {"controlURL", &svc.control_url},   {"eventSubURL", &svc.event_sub_url},
    };
    for (auto& f : sf)
      if (auto r = field(s, f.name, *f.out); !r) return r.error();
    d.services.push_back(std::move(svc));
  }
  for (pugi::xml_node c = xml::child(xml::child(node, "deviceList"), "device"); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element || xml::local_name(c.name()) != "device") continue;
    auto sub = parse_device(c, counts);
    if (!sub) return sub.error();
    d.devices.push_back(std::move(*sub));
  }
  return d;
}

void tag(std::string& out, const std::string& indent, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  out += indent + "<" + std::string(name) + ">" + xml::escape(value) + "</" + std::string(name) + ">\n";
}

void build_device(std::string& out, const Device& d, const std::string& indent) {
  out += indent + "<device>\n";
  const std::string in = indent + "  ";
  tag(out, in, "deviceType", d.device_type);
  tag(out, in, "friendlyName", d.friendly_name);
  tag(out, in, "manufacturer", d.manufacturer);
  tag(out, in, "manufacturerURL", d.manufacturer_url);
  tag(out, in, "modelDescription", d.model_description);
  tag(out, in, "modelName", d.model_name);
  tag(out, in, "modelNumber", d.model_number);
  tag(out, in, "serialNumber", d.serial_number);
  tag(out, in, "UDN", d.udn);
  if (!d.services.empty()) {
    out += in + "<serviceList>\n";
    for (const auto& s : d.services) {
      const std::string sin = in + "    ";
      out += in + "  <service>\n";
      tag(out, sin, "serviceType", s.service_type);
      tag(out, sin, "serviceId", s.service_id);
      tag(out, sin, "SCPDURL", s.scpd_url);
      tag(out, sin, "controlURL", s.control_url);
      tag(out, sin, "eventSubURL", s.event_sub_url);
      out += in + "  </service>\n";
    }
    out += in + "</serviceList>\n";
  }
  if (!d.devices.empty()) {
    out += in + "<deviceList>\n";
    for (const auto& c : d.devices) build_device(out, c, in + "  ");
    out += in + "</deviceList>\n";
  }
  tag(out, in, "presentationURL", d.presentation_url);
  out += indent + "</device>\n";
}

void collect(const Device& d, std::vector<ServiceRef>& out) {
  for (const auto& s : d.services) out.push_back({d.udn, s});
  for (const auto& c : d.devices) collect(c, out);
}

std::string envelope(std::string_view body) {
  return "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"" + std::string(kNsSoapEnvelope) +
         "\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>" + std::string(body) +
         "</s:Body></s:Envelope>\r\n";
}

std::string action_element(std::string_view service_type, std::string_view name, std::string_view args) {
  return "<u:" + std::string(name) + " xmlns:u=\"" + xml::escape(service_type) + "\">" + std::string(args) +
         "</u:" + std::string(name) + ">";
}

std::string arg(std::string_view name, std::string_view value) {
  return "<" + std::string(name) + ">" + xml::escape(value) + "</" + std::string(name) + ">";
}

// The first element inside s:Body of a loaded SOAP envelope.
Expected<pugi::xml_node> body_element(const pugi::xml_document& doc) {
  pugi::xml_node env = doc.document_element();
  if (!env || xml::local_name(env.name()) != "Envelope") return make_error("not a SOAP envelope");
  pugi::xml_node body = xml::child(env, "Body");
  if (!body) return make_error("SOAP envelope without a Body");
  for (pugi::xml_node c = body.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element) return c;
  return make_error("empty SOAP Body");
}

Expected<SoapFault> parse_fault(pugi::xml_node fault) {
  SoapFault f;
  f.fault_string = xml::text(xml::child(fault, "faultstring"));
  pugi::xml_node err = xml::child(xml::child(fault, "detail"), "UPnPError");
  const std::string code = xml::text(xml::child(err, "errorCode"));
  if (!code.empty()) {
    const auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), f.error_code);
    if (ec != std::errc() || p != code.data() + code.size()) return make_error("bad UPnP errorCode");
  }
  f.error_description = xml::text(xml::child(err, "errorDescription"));
  return f;
}

template <class T>
Expected<T> parse_number(const std::string& s, const char* what) {
  T v{};
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    return make_error(std::string("bad number in ") + what);
  return v;
}

Expected<pugi::xml_node> response_element(pugi::xml_document& doc, std::string_view xml_text,
                                          std::string_view action, std::optional<SoapFault>& fault) {
  if (auto r = xml::load(doc, xml_text, kMaxXmlBytes, kMaxXmlDepth); !r)
    return r.error();
  auto el = body_element(doc);
  if (!el) return el.error();
  if (xml::local_name(el->name()) == "Fault") {
    auto f = parse_fault(*el);
    if (!f) return f.error();
    fault = std::move(*f);
    return *el;
  }
  if (xml::local_name(el->name()) != std::string(action) + "Response")
    return make_error("unexpected SOAP response element " + std::string(el->name()));
  return *el;
}

}  // namespace

Expected<Description> parse_description(std::string_view text) {
  pugi::xml_document doc;
  if (auto r = xml::load(doc, text, kMaxXmlBytes, kMaxXmlDepth); !r) return r.error();
  pugi::xml_node root = doc.document_element();
  if (!root || xml::local_name(root.name()) != "root") return make_error("UPnP description without <root>");
  Description d;
  pugi::xml_node spec = xml::child(root, "specVersion");
  if (spec) {
    auto major = parse_number<int>(xml::text(xml::child(spec, "major")), "specVersion");
    auto minor = parse_number<int>(xml::text(xml::child(spec, "minor")), "specVersion");
    if (major) d.spec_major = *major;
    if (minor) d.spec_minor = *minor;
  }
  if (auto r = field(root, "URLBase", d.url_base); !r) return r.error();
  pugi::xml_node dev = xml::child(root, "device");
  if (!dev) return make_error("UPnP description without <device>");
  Counts counts;
  auto device = parse_device(dev, counts);
  if (!device) return device.error();
  d.root = std::move(*device);
  return d;
}

std::string build_description(const Description& d) {
  std::string out = "<?xml version=\"1.0\"?>\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\">\n";
  out += "  <specVersion>\n    <major>" + std::to_string(d.spec_major) + "</major>\n    <minor>" +
         std::to_string(d.spec_minor) + "</minor>\n  </specVersion>\n";
  tag(out, "  ", "URLBase", d.url_base);
  build_device(out, d.root, "  ");
  out += "</root>\n";
  return out;
}

std::vector<ServiceRef> all_services(const Description& d) {
  std::vector<ServiceRef> out;
  collect(d.root, out);
  return out;
}

std::optional<ServiceRef> find_wan_connection(const Description& d) {
  const auto all = all_services(d);
  for (std::string_view kind : {"urn:schemas-upnp-org:service:WANIPConnection:",
                                "urn:schemas-upnp-org:service:WANPPPConnection:"})
    for (const auto& s : all)
      if (s.service.service_type.starts_with(kind)) return s;
  return std::nullopt;
}

std::string resolve_url(std::string_view base, std::string_view ref) {
  if (ref.find("://") != std::string_view::npos) return std::string(ref);
  const std::size_t scheme = base.find("://");
  const std::size_t path_start = scheme == std::string_view::npos ? base.find('/') : base.find('/', scheme + 3);
  const std::string_view origin = path_start == std::string_view::npos ? base : base.substr(0, path_start);
  if (ref.starts_with("/")) return std::string(origin) + std::string(ref);
  std::string_view dir = path_start == std::string_view::npos ? std::string_view("/") : base.substr(path_start);
  if (auto q = dir.find_first_of("?#"); q != std::string_view::npos) dir = dir.substr(0, q);
  dir = dir.substr(0, dir.rfind('/') + 1);
  return std::string(origin) + std::string(dir) + std::string(ref);
}

std::string soap_action_header(std::string_view service_type, std::string_view action) {
  return "\"" + std::string(service_type) + "#" + std::string(action) + "\"";
}

std::string build_get_external_ip_request(std::string_view service_type) {
  return envelope(action_element(service_type, "GetExternalIPAddress", ""));
}

std::string build_get_generic_port_mapping_entry_request(std::string_view service_type, uint32_t index) {
  return envelope(action_element(service_type, "GetGenericPortMappingEntry",
                                 arg("NewPortMappingIndex", std::to_string(index))));
}

Expected<std::variant<std::string, SoapFault>> parse_get_external_ip_response(std::string_view text) {
  pugi::xml_document doc;
  std::optional<SoapFault> fault;
  auto el = response_element(doc, text, "GetExternalIPAddress", fault);
  if (!el) return el.error();
  if (fault) return std::variant<std::string, SoapFault>(std::move(*fault));
  pugi::xml_node ip = xml::child(*el, "NewExternalIPAddress");
  if (!ip) return make_error("response without NewExternalIPAddress");
  std::string v = xml::text(ip);
  if (v.size() > kMaxFieldBytes) return make_error("NewExternalIPAddress too long");
  return std::variant<std::string, SoapFault>(std::move(v));
}

Expected<std::variant<PortMapping, SoapFault>> parse_get_generic_port_mapping_entry_response(
    std::string_view text) {
  pugi::xml_document doc;
  std::optional<SoapFault> fault;
  auto el = response_element(doc, text, "GetGenericPortMappingEntry", fault);
  if (!el) return el.error();
  if (fault) return std::variant<PortMapping, SoapFault>(std::move(*fault));
  PortMapping m;
  auto get = [&](const char* name) { return xml::text(xml::child(*el, name)); };
  for (const char* required : {"NewExternalPort", "NewProtocol", "NewInternalPort", "NewInternalClient"})
    if (!xml::child(*el, required)) return make_error(std::string("response without ") + required);
  auto ext = parse_number<uint16_t>(get("NewExternalPort"), "NewExternalPort");
  if (!ext) return ext.error();
  auto in = parse_number<uint16_t>(get("NewInternalPort"), "NewInternalPort");
  if (!in) return in.error();
  m.external_port = *ext;
  m.internal_port = *in;
  m.remote_host = get("NewRemoteHost");
  m.protocol = get("NewProtocol");
  m.internal_client = get("NewInternalClient");
  m.description = get("NewPortMappingDescription");
  const std::string enabled = get("NewEnabled");
  m.enabled = enabled == "1" || enabled == "true" || enabled == "yes";
  const std::string lease = get("NewLeaseDuration");
  if (!lease.empty()) {
    auto l = parse_number<uint32_t>(lease, "NewLeaseDuration");
    if (!l) return l.error();
    m.lease_duration = *l;
  }
  for (const std::string* s : {&m.remote_host, &m.protocol, &m.internal_client, &m.description})
    if (s->size() > kMaxFieldBytes) return make_error("port mapping field too long");
  return std::variant<PortMapping, SoapFault>(std::move(m));
}

std::optional<std::string> SoapCall::argument(std::string_view name) const {
  for (const auto& [k, v] : arguments)
    if (k == name) return v;
  return std::nullopt;
}

Expected<SoapCall> parse_soap_request(std::string_view text) {
  pugi::xml_document doc;
  if (auto r = xml::load(doc, text, kMaxXmlBytes, kMaxXmlDepth); !r) return r.error();
  auto el = body_element(doc);
  if (!el) return el.error();
  SoapCall call;
  call.action = std::string(xml::local_name(el->name()));
  call.service_type = xml::namespace_of(*el, xml::prefix_of(el->name()));
  for (pugi::xml_node c = el->first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (call.arguments.size() >= kMaxSoapArguments) return make_error("too many SOAP arguments");
    call.arguments.emplace_back(std::string(xml::local_name(c.name())), xml::text(c));
  }
  return call;
}

std::string build_get_external_ip_response(std::string_view service_type, std::string_view external_ip) {
  return envelope(action_element(service_type, "GetExternalIPAddressResponse", arg("NewExternalIPAddress", external_ip)));
}

std::string build_get_generic_port_mapping_entry_response(std::string_view service_type, const PortMapping& m) {
  std::string args = arg("NewRemoteHost", m.remote_host) + arg("NewExternalPort", std::to_string(m.external_port)) +
                     arg("NewProtocol", m.protocol) + arg("NewInternalPort", std::to_string(m.internal_port)) +
                     arg("NewInternalClient", m.internal_client) + arg("NewEnabled", m.enabled ? "1" : "0") +
                     arg("NewPortMappingDescription", m.description) +
                     arg("NewLeaseDuration", std::to_string(m.lease_duration));
  return envelope(action_element(service_type, "GetGenericPortMappingEntryResponse", args));
}

std::string build_soap_fault(int error_code, std::string_view error_description) {
  return envelope(
      "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
      "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>" +
      std::to_string(error_code) + "</errorCode><errorDescription>" + xml::escape(error_description) +
      "</errorDescription></UPnPError></detail></s:Fault>");
}

}  // namespace mamori::proto::upnp
