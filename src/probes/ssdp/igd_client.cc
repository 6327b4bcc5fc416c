#include "probes/ssdp/igd_client.h"

#include <algorithm>
#include <variant>

#include "core/ip.h"
#include "probes/http/http_probe.h"

namespace mamori::probes {
namespace {

namespace upnp = proto::upnp;

constexpr std::size_t kMaxSoapRead = 64 * 1024;  // one SOAP answer with its headers

std::string host_port(const Ip& ip, uint16_t port) {
  return (ip.is_v4() ? ip.str() : "[" + ip.str() + "]") + ":" + std::to_string(port);
}

// One SOAP call on a fresh connection (miniupnpd and most IGDs close after each answer).
// nullopt: no HTTP answer. A fault comes back with HTTP 500 and is parsed by the caller.
Task<std::optional<HttpResponse>> soap_call(const ProbeContext& ctx, uint16_t port, const std::string& path,
                                            const std::string& service_type, const char* action,
                                            const std::string& body) {
  net::Limits limits = ctx.limits;
  limits.max_read = std::min(limits.max_read, kMaxSoapRead);
  auto conn = co_await net::Conn::connect(ctx.ex, ctx.ip, port, limits);
  if (!conn) co_return std::nullopt;
  std::string request = "POST " + path + " HTTP/1.1\r\nHost: " + host_port(ctx.ip, port) +
                        "\r\nUser-Agent: Mamori/0.1 UPnP/1.1\r\nContent-Type: text/xml; charset=\"utf-8\"" +
                        "\r\nSOAPACTION: " + upnp::soap_action_header(service_type, action) +
                        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  co_return co_await http_exchange(**conn, std::move(request));
}

}  // namespace

Task<IgdAnswer> query_igd(const ProbeContext& ctx, uint16_t port, std::string path, std::string service_type,
                          std::size_t max_entries) {
  IgdAnswer out;
  if (auto r = co_await soap_call(ctx, port, path, service_type, "GetExternalIPAddress",
                                  upnp::build_get_external_ip_request(service_type))) {
    if (auto parsed = upnp::parse_get_external_ip_response(r->body)) {
      if (auto* ip = std::get_if<std::string>(&*parsed)) out.external_ip = net::printable(*ip, 64);
    }
  }
  out.status = "failed";
  for (uint32_t index = 0;; ++index) {
    if (index >= max_entries) {
      out.status = "truncated";
      break;
    }
    auto r = co_await soap_call(ctx, port, path, service_type, "GetGenericPortMappingEntry",
                                upnp::build_get_generic_port_mapping_entry_request(service_type, index));
    if (!r) break;
    auto parsed = upnp::parse_get_generic_port_mapping_entry_response(r->body);
    if (!parsed) break;
    if (auto* fault = std::get_if<upnp::SoapFault>(&*parsed)) {
      // 713 at index 0 is an empty table; other faults (606 not authorized, 501) end the walk.
      out.status = fault->error_code == upnp::kErrorSpecifiedArrayIndexInvalid
                       ? "ok"
                       : "fault " + std::to_string(fault->error_code);
      break;
    }
    out.mappings.push_back(std::get<upnp::PortMapping>(*parsed));
    out.status = "ok";
  }
  co_return out;
}

std::string mappings_field(const std::vector<upnp::PortMapping>& mappings) {
  std::string out;
  for (const auto& m : mappings) {
    std::string proto = m.protocol == "UDP" || m.protocol == "udp" ? "UDP" : "TCP";
    // A client that is not an address literal is kept (printable, separators removed) so the
    // evidence shows it, but the policy only credits mappings to a parseable address.
    std::string client = net::printable(m.internal_client, 64);
    std::replace_if(client.begin(), client.end(), [](char c) { return c == ',' || c == ' ' || c == '>'; }, '_');
    if (!out.empty()) out += ',';
    out += proto + ' ' + std::to_string(m.external_port) + "->" + client + ':' + std::to_string(m.internal_port);
    if (!m.enabled) out += " disabled";
    if (!m.remote_host.empty()) {
      std::string remote = net::printable(m.remote_host, 64);
      std::replace_if(remote.begin(), remote.end(), [](char c) { return c == ',' || c == ' '; }, '_');
      out += " from=" + remote;
    }
  }
  return out;
}

}  // namespace mamori::probes
