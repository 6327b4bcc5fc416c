#include "probes/ssdp/ssdp_probe.h"

#include <algorithm>
#include <cctype>

#include "probes/http/http_probe.h"
#include "probes/ssdp/igd_client.h"
#include "proto/ssdp.h"
#include "proto/upnp.h"

namespace mamori::probes {
namespace {

namespace ssdp = proto::ssdp;
namespace upnp = proto::upnp;

constexpr size_t kMaxFieldBytes = 256;
constexpr size_t kMaxListBytes = 1024;
constexpr size_t kMaxUrlBytes = 1024;
constexpr size_t kMaxDescriptionRead = 512 * 1024;  // headers + a description of at most 256 KiB

std::string host_port(const Ip& ip, uint16_t port) {
  return (ip.is_v4() ? ip.str() : "[" + ip.str() + "]") + ":" + std::to_string(port);
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

void set_if(ServiceObservation& obs, const char* key, std::string_view value) {
  if (!value.empty()) obs.fields[key] = net::printable(value, kMaxFieldBytes);
}

class SsdpProbe final : public UdpProbe {
 public:
  SsdpProbe() {
    info_.id = "ssdp";
    info_.summary = "SSDP unicast M-SEARCH ssdp:all; UPnP description from a same-host LOCATION";
    info_.transport = Proto::udp;
    info_.default_ports = {ssdp::kPort};
  }
  const ProbeInfo& info() const override { return info_; }

  std::string request(const ProbeContext& ctx) const override {
    ssdp::SearchRequest r;
    r.host = host_port(ctx.ip, ctx.port);
    r.st = "ssdp:all";
    r.mx = 1;
    r.user_agent = "Mamori/0.1 UPnP/1.1";
    return ssdp::build_search(r);
  }

  std::optional<ServiceObservation> parse(const std::vector<std::string>& replies,
                                          const ProbeContext& ctx) const override {
    std::optional<ServiceObservation> obs;
    std::string sts;
    for (const auto& reply : replies) {
      auto a = ssdp::parse_announcement(reply);
      if (!a || a->is_notify) continue;
      if (!obs) {
        obs = make_service(ctx, "ssdp");
        obs->proto = Proto::udp;
      }
      auto& f = obs->fields;
      if (!f.contains("ssdp.server")) set_if(*obs, "ssdp.server", a->server);
      if (!f.contains("ssdp.location") && !a->location.empty() && a->location.size() <= kMaxUrlBytes) {
        f["ssdp.location"] = net::printable(a->location, kMaxUrlBytes);
      }
      if (!f.contains("upnp.udn") && a->usn.starts_with("uuid:")) {
        set_if(*obs, "upnp.udn", std::string_view(a->usn).substr(0, a->usn.find("::")));
      }
      std::string st = net::printable(a->st, kMaxFieldBytes);
      std::replace(st.begin(), st.end(), ',', ';');
      if (!st.empty() && sts.size() + st.size() + 1 <= kMaxListBytes &&
          ("," + sts + ",").find("," + st + ",") == std::string::npos) {
        sts += (sts.empty() ? "" : ",") + st;
      }
    }
    if (obs && !sts.empty()) obs->fields["ssdp.st"] = sts;
    return obs;
  }

  Task<void> follow_up(ServiceObservation& obs, const ProbeContext& ctx) const override {
    auto it = obs.fields.find("ssdp.location");
    if (it == obs.fields.end()) co_return;
    const std::string location = it->second;
    auto target = same_host_http_url(location, ctx.ip);
    if (!target) {
      obs.fields["upnp.fetch"] = "offhost";
      co_return;
    }
    net::Limits limits = ctx.limits;
    limits.max_read = std::min(limits.max_read, kMaxDescriptionRead);
    auto conn = co_await net::Conn::connect(ctx.ex, ctx.ip, target->port, limits);
    if (!conn) {
      obs.fields["upnp.fetch"] = "failed";
      co_return;
    }
    const std::string request = "GET " + target->path + " HTTP/1.1\r\nHost: " + host_port(ctx.ip, target->port) +
                                "\r\nUser-Agent: Mamori/0.1 UPnP/1.1\r\nAccept: text/xml\r\nConnection: close\r\n\r\n";
    auto resp = co_await http_exchange(**conn, request);
    if (!resp) {
      obs.fields["upnp.fetch"] = "failed";
      co_return;
    }
    if (resp->status != 200) {
      obs.fields["upnp.fetch"] = "http " + std::to_string(resp->status);
      co_return;
    }
    auto desc = upnp::parse_description(resp->body);
    if (!desc) {
      obs.fields["upnp.fetch"] = "bad_description";
      co_return;
    }
    obs.fields["upnp.fetch"] = "ok";
    const upnp::Device& d = desc->root;
    set_if(obs, "upnp.device_type", d.device_type);
    set_if(obs, "upnp.friendly_name", d.friendly_name);
    set_if(obs, "upnp.manufacturer", d.manufacturer);
    set_if(obs, "upnp.model", d.model_name);
    set_if(obs, "upnp.model_number", d.model_number);
    set_if(obs, "upnp.model_description", d.model_description);
    set_if(obs, "upnp.serial", d.serial_number);
    set_if(obs, "upnp.udn", d.udn);
    if (auto wan = upnp::find_wan_connection(*desc)) {
      set_if(obs, "upnp.igd_service", wan->service.service_type);
      const std::string base = desc->url_base.empty() ? location : desc->url_base;
      const std::string control = upnp::resolve_url(base, wan->service.control_url);
      obs.fields["upnp.igd_control_url"] = net::printable(control, kMaxUrlBytes);
      if (auto c = same_host_http_url(control, ctx.ip)) {
        obs.fields["upnp.igd_control"] = net::printable(c->path, kMaxUrlBytes);
        obs.fields["upnp.igd_port"] = std::to_string(c->port);
        // Ask the gateway what it forwards (read-only actions; see igd_client.h).
        IgdAnswer igd = co_await query_igd(ctx, c->port, c->path, wan->service.service_type);
        set_if(obs, "upnp.external_ip", igd.external_ip);
        obs.fields["upnp.mapping_query"] = igd.status;
        obs.fields["upnp.mapping_count"] = std::to_string(igd.mappings.size());
        if (!igd.mappings.empty()) obs.fields["upnp.mappings"] = mappings_field(igd.mappings);
      }
    }
  }

 private:
  ProbeInfo info_;
};

}  // namespace

std::optional<SameHostUrl> same_host_http_url(std::string_view url, Ip ip) {
  if (url.size() < 7 || !iequal(url.substr(0, 7), "http://")) return std::nullopt;
  std::string_view rest = url.substr(7);
  const size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view host = authority, port;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(":")) return std::nullopt;
      port = after.substr(1);
    }
  } else if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  auto parsed = Ip::parse(host);
  if (!parsed || !(*parsed == ip)) return std::nullopt;
  if (authority.starts_with("[") == ip.is_v4()) return std::nullopt;  // brackets iff IPv6
  SameHostUrl out;
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    const unsigned long p = std::stoul(std::string(port));
    if (p == 0 || p > 65535) return std::nullopt;
    out.port = static_cast<uint16_t>(p);
  }
  if (end != std::string_view::npos) {
    std::string_view path = rest.substr(end);
    if (auto hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
    out.path = path.starts_with("/") ? std::string(path) : "/" + std::string(path);
  }
  // The path goes into a request line: no blanks or control bytes.
  if (std::any_of(out.path.begin(), out.path.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return std::nullopt;
  }
  return out;
}

const UdpProbe& ssdp_probe() {
  static const SsdpProbe p;
  return p;
}

}  // namespace mamori::probes
