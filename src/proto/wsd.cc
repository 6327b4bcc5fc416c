#include "proto/wsd.h"

#include <charconv>
#include <map>

#include "proto/xml_util.h"

namespace mamori::proto::wsd {
namespace {

constexpr int kMaxXmlDepth = 32;
constexpr std::string_view kNsSoap12 = "http://www.w3.org/2003/05/soap-envelope";
constexpr std::string_view kActionProbe = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe";
constexpr std::string_view kActionProbeMatches = "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches";
constexpr std::string_view kToDiscovery = "urn:schemas-xmlsoap-org:ws:2005:04:discovery";
constexpr std::string_view kAnonymous = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";

Expected<std::vector<std::string>> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    const std::size_t start = i;
    while (i < s.size() && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    if (i > start) {
      if (out.size() >= kMaxItems) return make_error("too many list items");
      out.emplace_back(s.substr(start, i - start));
    }
  }
  return out;
}

Expected<std::vector<QName>> parse_types(pugi::xml_node types) {
  auto items = split_list(xml::text(types));
  if (!items) return items.error();
  std::vector<QName> out;
  for (const auto& item : *items) {
    const std::size_t c = item.find(':');
    const std::string prefix = c == std::string::npos ? std::string() : item.substr(0, c);
    out.push_back({xml::namespace_of(types, prefix), c == std::string::npos ? item : item.substr(c + 1)});
  }
  return out;
}

// Writes a Types element, declaring t0, t1... for namespaces other than dn/tds.
std::string types_element(const std::vector<QName>& types) {
  std::string decl, list;
  std::map<std::string, std::string> prefixes = {{std::string(kNsOnvifNetwork), "dn"},
                                                 {std::string(kNsOnvifDevice), "tds"}};
  int next = 0;
  for (const auto& t : types) {
    if (!list.empty()) list.push_back(' ');
    if (t.ns.empty()) {
      list += t.local;
      continue;
    }
    auto it = prefixes.find(t.ns);
    if (it == prefixes.end()) {
      const std::string p = "t" + std::to_string(next++);
      it = prefixes.emplace(t.ns, p).first;
      decl += " xmlns:" + p + "=\"" + xml::escape(t.ns) + "\"";
    }
    list += it->second + ":" + t.local;
  }
  return "<d:Types" + decl + ">" + xml::escape(list) + "</d:Types>";
}

std::string envelope(std::string_view header, std::string_view body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<s:Envelope xmlns:s=\"" + std::string(kNsSoap12) +
         "\" xmlns:a=\"" + std::string(kNsAddressing) + "\" xmlns:d=\"" + std::string(kNsDiscovery) +
         "\" xmlns:dn=\"" + std::string(kNsOnvifNetwork) + "\" xmlns:tds=\"" + std::string(kNsOnvifDevice) +
         "\"><s:Header>" + std::string(header) + "</s:Header><s:Body>" + std::string(body) +
         "</s:Body></s:Envelope>";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out.push_back(' ');
    out += s;
  }
  return out;
}

struct Loaded {
  pugi::xml_node header;
  pugi::xml_node body_child;
};

Expected<Loaded> load_envelope(pugi::xml_document& doc, std::string_view text, std::string_view body_name) {
  if (auto r = xml::load(doc, text, kMaxXmlBytes, kMaxXmlDepth); !r) return r.error();
  pugi::xml_node env = doc.document_element();
  if (!env || xml::local_name(env.name()) != "Envelope") return make_error("not a SOAP envelope");
  pugi::xml_node body = xml::child(env, "Body");
  if (!body) return make_error("SOAP envelope without a Body");
  pugi::xml_node el = xml::child(body, body_name);
  if (!el) return make_error("SOAP Body without " + std::string(body_name));
  return Loaded{xml::child(env, "Header"), el};
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string build_probe(std::string_view message_id, const std::vector<QName>& types) {
  const std::string header = "<a:Action s:mustUnderstand=\"1\">" + std::string(kActionProbe) +
                             "</a:Action><a:MessageID>" + xml::escape(message_id) +
                             "</a:MessageID><a:ReplyTo><a:Address>" + std::string(kAnonymous) +
                             "</a:Address></a:ReplyTo><a:To s:mustUnderstand=\"1\">" + std::string(kToDiscovery) +
                             "</a:To>";
  return envelope(header, "<d:Probe>" + (types.empty() ? std::string() : types_element(types)) + "</d:Probe>");
}

Expected<Probe> parse_probe(std::string_view text) {
  pugi::xml_document doc;
  auto l = load_envelope(doc, text, "Probe");
  if (!l) return l.error();
  Probe p;
  p.message_id = xml::text(xml::child(l->header, "MessageID"));
  if (pugi::xml_node t = xml::child(l->body_child, "Types")) {
    auto types = parse_types(t);
    if (!types) return types.error();
    p.types = std::move(*types);
  }
  auto scopes = split_list(xml::text(xml::child(l->body_child, "Scopes")));
  if (!scopes) return scopes.error();
  p.scopes = std::move(*scopes);
  return p;
}

std::string build_probe_matches(const ProbeMatches& m) {
  const std::string header = "<a:Action s:mustUnderstand=\"1\">" + std::string(kActionProbeMatches) +
                             "</a:Action><a:MessageID>" + xml::escape(m.message_id) + "</a:MessageID><a:RelatesTo>" +
                             xml::escape(m.relates_to) + "</a:RelatesTo><a:To s:mustUnderstand=\"1\">" +
                             std::string(kAnonymous) + "</a:To>";
  std::string body = "<d:ProbeMatches>";
  for (std::size_t i = 0; i < m.matches.size() && i < kMaxMatches; ++i) {
    const auto& pm = m.matches[i];
    body += "<d:ProbeMatch><a:EndpointReference><a:Address>" + xml::escape(pm.address) +
            "</a:Address></a:EndpointReference>" + types_element(pm.types) + "<d:Scopes>" +
            xml::escape(join(pm.scopes)) + "</d:Scopes><d:XAddrs>" + xml::escape(join(pm.xaddrs)) +
            "</d:XAddrs><d:MetadataVersion>" + std::to_string(pm.metadata_version) +
            "</d:MetadataVersion></d:ProbeMatch>";
  }
  body += "</d:ProbeMatches>";
  return envelope(header, body);
}

Expected<ProbeMatches> parse_probe_matches(std::string_view text) {
  pugi::xml_document doc;
  auto l = load_envelope(doc, text, "ProbeMatches");
  if (!l) return l.error();
  ProbeMatches out;
  out.message_id = xml::text(xml::child(l->header, "MessageID"));
  out.relates_to = xml::text(xml::child(l->header, "RelatesTo"));
  for (pugi::xml_node n = l->body_child.first_child(); n; n = n.next_sibling()) {
    if (n.type() != pugi::node_element || xml::local_name(n.name()) != "ProbeMatch") continue;
    if (out.matches.size() >= kMaxMatches) return make_error("too many ProbeMatch entries");
    ProbeMatch pm;
    pm.address = xml::text(xml::child(xml::child(n, "EndpointReference"), "Address"));
    auto types = parse_types(xml::child(n, "Types"));
    if (!types) return types.error();
    pm.types = std::move(*types);
    auto scopes = split_list(xml::text(xml::child(n, "Scopes")));
    if (!scopes) return scopes.error();
    pm.scopes = std::move(*scopes);
    auto xaddrs = split_list(xml::text(xml::child(n, "XAddrs")));
    if (!xaddrs) return xaddrs.error();
    pm.xaddrs = std::move(*xaddrs);
    const std::string mv = xml::text(xml::child(n, "MetadataVersion"));
    if (!mv.empty()) {
      const auto [p, ec] = std::from_chars(mv.data(), mv.data() + mv.size(), pm.metadata_version);
      if (ec != std::errc() || p != mv.data() + mv.size()) return make_error("bad MetadataVersion");
    }
    out.matches.push_back(std::move(pm));
  }
  return out;
}

OnvifScopes parse_onvif_scopes(const std::vector<std::string>& scopes) {
  constexpr std::string_view kPrefix = "onvif://www.onvif.org/";
  OnvifScopes out;
  for (const auto& s : scopes) {
    if (s.size() <= kPrefix.size() || !iequals(std::string_view(s).substr(0, kPrefix.size()), kPrefix)) {
      out.other.push_back(s);
      continue;
    }
    const std::string_view rest = std::string_view(s).substr(kPrefix.size());
    const std::size_t slash = rest.find('/');
    const std::string_view cat = rest.substr(0, slash);
    const std::string value = slash == std::string_view::npos ? std::string() : percent_decode(rest.substr(slash + 1));
    if (iequals(cat, "hardware")) out.hardware.push_back(value);
    else if (iequals(cat, "name")) out.name.push_back(value);
    else if (iequals(cat, "location")) out.location.push_back(value);
    else if (iequals(cat, "type")) out.type.push_back(value);
    else if (iequals(cat, "profile")) out.profile.push_back(value);
    else out.other.push_back(s);
  }
  return out;
}

}  // namespace mamori::proto::wsd
