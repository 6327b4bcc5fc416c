// CoAP: GET /.well-known/core lists the configured resources in CoRE link format; GET on a
// resource returns a short text value; anything else 4.04/4.05. No authentication (CoAP
// devices usually have none).
#include <fmt/format.h>

#include "lab/service.h"
#include "proto/coap.h"

namespace mamori::lab {
namespace {
namespace coap = proto::coap;

std::vector<std::string> resources(const Service& s) {
  if (!s.resources.empty()) return s.resources;
  return {"/sensors/temp", "/sensors/power", "/device/info"};
}

std::optional<std::string> serve(std::string_view bytes, ServiceEnv& env) {
  auto req = coap::decode(bytes);
  if (!req || req->type == coap::Type::ack || req->type == coap::Type::rst) return std::nullopt;
  if (req->code == coap::kEmpty) return std::nullopt;  // ping: ignore
  if ((req->code >> 5) != 0) return std::nullopt;     // not a request
  auto res = resources(env.service);
  std::string path = "/" + req->uri_path();
  Expected<std::string> out = make_error("");
  if (req->code != coap::kGet) {
    out = coap::encode_response(*req, coap::kMethodNotAllowed, "", std::nullopt);
  } else if (path == "/.well-known/core") {
    std::vector<coap::Link> links;
    links.push_back({"/.well-known/core", {{"ct", "40"}}});
    for (const auto& r : res) links.push_back({r, {{"rt", r.substr(r.rfind('/') + 1)}, {"ct", "0"}}});
    out = coap::encode_response(*req, coap::kContent, coap::format_link_format(links), coap::kFormatLinkFormat);
  } else if (std::find(res.begin(), res.end(), path) != res.end()) {
    std::string value = path.find("info") != std::string::npos
                            ? fmt::format("{} {} {}", env.device.vendor, env.device.model, env.device.firmware)
                            : "21.5";
    out = coap::encode_response(*req, coap::kContent, value, coap::kFormatTextPlain);
  } else {
    out = coap::encode_response(*req, coap::kNotFound, "", std::nullopt);
  }
  return out ? std::optional<std::string>(*out) : std::nullopt;
}

}  // namespace

// Resources readable by anyone (no DTLS, no OSCORE): the data service answers without
// authentication (issue 5 lists CoAP among the services that need no login).
std::vector<std::string> coap_findings(const Device&, const Service& s) {
  if (!s.resources.empty()) return {"no-authentication"};
  return {};
}

extern const ServiceKind kCoapKind{"coap", "CoAP server: /.well-known/core and text resources", Transport::udp, 5683,
                                   {"resources"}, nullptr, serve, coap_findings, nullptr, "coap"};

}  // namespace mamori::lab
