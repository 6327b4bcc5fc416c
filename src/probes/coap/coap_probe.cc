#include "probes/coap/coap_probe.h"

#include "proto/coap.h"

namespace mamori::probes {
namespace {

namespace coap = proto::coap;

constexpr std::string_view kPath = "/.well-known/core";
constexpr int kMaxBlocks = 16;                // follow-up: at most this many Block2 blocks
constexpr size_t kMaxDocumentBytes = 16384;  // and at most this much link format in all
constexpr size_t kRetryPrefixBytes = 4096;   // < kMaxLinks (1024) links of >= 5 bytes each

uint64_t endpoint_hash(const ProbeContext& ctx, uint64_t salt) {
  uint64_t h = 1469598103934665603ull ^ salt;
  const u128 v = ctx.ip.value();
  for (int i = 0; i < 16; ++i) h = (h ^ static_cast<uint8_t>(v >> (8 * i))) * 1099511628211ull;
  return (h ^ ctx.port) * 1099511628211ull;
}
uint16_t message_id(const ProbeContext& ctx, uint32_t block) {
  return static_cast<uint16_t>(endpoint_hash(ctx, 0xc0a9) + block);
}
std::string token(const ProbeContext& ctx) {
  const uint64_t h = endpoint_hash(ctx, 0x70c3);
  return std::string(reinterpret_cast<const char*>(&h), 4);
}

// The resources of a link-format document as "a,b,c" (bounded); "" when it does not parse.
std::string resources(std::string_view doc) {
  auto links = coap::parse_link_format(doc);
  if (!links && doc.size() > kRetryPrefixBytes) {
    // Too many links for the codec's cap (or one bad link late in a long list): the whole links
    // of the first kRetryPrefixBytes are enough for a bounded list.
    const size_t comma = doc.substr(0, kRetryPrefixBytes).rfind(',');
    if (comma != std::string_view::npos) links = coap::parse_link_format(doc.substr(0, comma));
  }
  if (!links) return "";
  std::string out;
  size_t n = 0;
  for (const auto& l : *links) {
    std::string t = net::printable(l.target, 256);
    if (n == kCoapMaxResources || out.size() + t.size() + 1 > kCoapMaxResourcesBytes) break;
    if (!out.empty()) out += ',';
    out += t;
    ++n;
  }
  return out;
}

struct Block2 {
  uint32_t num = 0;
  bool more = false;
  uint32_t size = 0;
};
std::optional<Block2> block2(const coap::Message& m) {
  auto v = m.uint_option(coap::option::kBlock2);
  if (!v) return std::nullopt;
  const uint32_t szx = *v & 7;
  if (szx == 7) return std::nullopt;  // reserved (BERT over TCP only)
  return Block2{*v >> 4, (*v & 8) != 0, 16u << szx};
}

// Our response among `replies`: the piggybacked ACK, or a separate CON/NON response with our
// token. Sets `rst` when the endpoint reset our message.
std::optional<coap::Message> find_response(const std::vector<std::string>& replies, uint16_t mid,
                                           const std::string& tok, bool& rst, bool& empty_ack) {
  for (const auto& r : replies) {
    auto m = coap::decode(r);
    if (!m) continue;
    if (m->type == coap::Type::rst && m->message_id == mid) {
      rst = true;
      continue;
    }
    if (m->type == coap::Type::ack && m->message_id == mid && m->code == coap::kEmpty) {
      empty_ack = true;
      continue;
    }
    if (m->code >> 5 < 2 || m->token != tok) continue;  // a request or someone else's answer
    if (m->type == coap::Type::ack && m->message_id != mid) continue;
    return *m;
  }
  return std::nullopt;
}

class CoapProbe final : public UdpProbe {
 public:
  CoapProbe() {
    info_.id = "coap";
    info_.summary = "CoAP GET /.well-known/core (CoRE resource discovery)";
    info_.transport = Proto::udp;
    info_.default_ports = {coap::kPort};
  }
  const ProbeInfo& info() const override { return info_; }

  std::string request(const ProbeContext& ctx) const override {
    auto b = coap::encode_get(coap::Type::con, message_id(ctx, 0), token(ctx), kPath);
    return b ? *b : std::string();
  }

  std::optional<ServiceObservation> parse(const std::vector<std::string>& replies,
                                          const ProbeContext& ctx) const override {
    bool rst = false, empty_ack = false;
    auto m = find_response(replies, message_id(ctx, 0), token(ctx), rst, empty_ack);
    if (!m && !rst && !empty_ack) return std::nullopt;
    ServiceObservation obs = make_service(ctx, "coap");
    obs.proto = Proto::udp;
    if (!m) {
      obs.fields["coap.code"] = rst ? "RST" : "ACK";  // ACK: answer announced, not received
      return obs;
    }
    obs.fields["coap.code"] = coap::code_str(m->code);
    if (auto cf = m->content_format()) obs.fields["coap.content_format"] = std::to_string(*cf);
    if (m->code != coap::kContent || m->payload.empty()) return obs;
    std::string_view doc = m->payload;
    auto b = block2(*m);
    if (b && b->more) {
      // First block of several: keep the whole links in it; follow_up fetches the rest.
      size_t comma = doc.rfind(',');
      doc = comma == std::string_view::npos ? std::string_view() : doc.substr(0, comma);
      obs.fields["coap.block_size"] = std::to_string(b->size);
    }
    if (auto r = resources(doc); !r.empty()) obs.fields["coap.resources"] = r;
    return obs;
  }

  // A resource list split into Block2 blocks (RFC 7959): fetch the blocks in order and list the
  // resources of the whole document.
  Task<void> follow_up(ServiceObservation& obs, const ProbeContext& ctx) const override {
    auto it = obs.fields.find("coap.block_size");
    if (it == obs.fields.end()) co_return;
    const uint32_t size = static_cast<uint32_t>(std::stoul(it->second));
    obs.fields.erase(it);
    uint32_t szx = 0;
    while ((16u << szx) < size && szx < 6) ++szx;
    std::string doc;
    for (uint32_t num = 0; num < kMaxBlocks && doc.size() < kMaxDocumentBytes; ++num) {
      coap::Message req;
      req.type = coap::Type::con;
      req.code = coap::kGet;
      req.message_id = message_id(ctx, num + 1);
      req.token = token(ctx);
      req.options = {{coap::option::kUriPath, ".well-known"},
                     {coap::option::kUriPath, "core"},
                     {coap::option::kBlock2, coap::uint_value((num << 4) | szx)}};
      auto bytes = coap::encode(req);
      if (!bytes) co_return;
      auto replies = co_await net::udp_exchange(ctx.ex, ctx.ip, ctx.port, *bytes, ctx.limits.io);
      bool rst = false, empty_ack = false;
      auto m = find_response(replies, req.message_id, req.token, rst, empty_ack);
      if (!m || m->code != coap::kContent) break;
      auto b = block2(*m);
      if (!b || b->num != num) break;
      doc += m->payload;
      if (!b->more) {
        if (auto r = resources(doc.substr(0, kMaxDocumentBytes)); !r.empty()) obs.fields["coap.resources"] = r;
        co_return;
      }
    }
    // Incomplete: the whole links we have.
    size_t comma = doc.rfind(',');
    if (comma != std::string::npos) {
      if (auto r = resources(std::string_view(doc).substr(0, comma)); !r.empty()) obs.fields["coap.resources"] = r;
    }
    obs.fields["coap.truncated"] = "1";
  }

 private:
  ProbeInfo info_;
};

}  // namespace

const UdpProbe& coap_probe() {
  static const CoapProbe p;
  return p;
}

}  // namespace mamori::probes
