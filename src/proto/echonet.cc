#include "proto/echonet.h"

#include <cstdio>

namespace mamori::proto::echonet {
namespace {

Expected<std::size_t> read_list(std::string_view in, std::size_t pos, std::vector<Property>& out) {
  if (pos >= in.size()) return make_error("truncated ECHONET Lite frame: missing OPC");
  const std::size_t opc = static_cast<uint8_t>(in[pos++]);
  if (opc > kMaxProperties) return make_error("too many properties");
  out.reserve(opc);
  for (std::size_t i = 0; i < opc; ++i) {
    if (in.size() - pos < 2) return make_error("truncated ECHONET Lite property header");
    const auto epc = static_cast<uint8_t>(in[pos]);
    const std::size_t pdc = static_cast<uint8_t>(in[pos + 1]);
    pos += 2;
    if (pdc > in.size() - pos) return make_error("PDC exceeds the remaining bytes");
    out.push_back({epc, std::string(in.substr(pos, pdc))});
    pos += pdc;
  }
  return pos;
}

Expected<bool> write_list(std::string& out, const std::vector<Property>& props) {
  if (props.size() > kMaxProperties) return make_error("more than 255 properties");
  out.push_back(static_cast<char>(props.size()));
  for (const auto& p : props) {
    if (p.edt.size() > 255) return make_error("EDT longer than 255 bytes");
    out.push_back(static_cast<char>(p.epc));
    out.push_back(static_cast<char>(p.edt.size()));
    out += p.edt;
  }
  return true;
}

void put_eoj(std::string& out, Eoj e) {
  out.push_back(static_cast<char>(e.class_group));
  out.push_back(static_cast<char>(e.class_code));
  out.push_back(static_cast<char>(e.instance));
}

Eoj get_eoj(std::string_view in, std::size_t pos) {
  return {static_cast<uint8_t>(in[pos]), static_cast<uint8_t>(in[pos + 1]), static_cast<uint8_t>(in[pos + 2])};
}

}  // namespace

std::string Eoj::str() const {
  char buf[12];
  std::snprintf(buf, sizeof buf, "0x%06X", static_cast<unsigned>(value()));
  return buf;
}

std::string_view esv_name(uint8_t esv) {
  switch (esv) {
    case 0x50: return "SetI_SNA";
    case 0x51: return "SetC_SNA";
    case 0x52: return "Get_SNA";
    case 0x53: return "INF_SNA";
    case 0x5E: return "SetGet_SNA";
    case 0x60: return "SetI";
    case 0x61: return "SetC";
    case 0x62: return "Get";
    case 0x63: return "INF_REQ";
    case 0x6E: return "SetGet";
    case 0x71: return "Set_Res";
    case 0x72: return "Get_Res";
    case 0x73: return "INF";
    case 0x74: return "INFC";
    case 0x7A: return "INFC_Res";
    case 0x7E: return "SetGet_Res";
    default: return "";
  }
}

bool is_set_get(uint8_t esv) { return esv == 0x5E || esv == 0x6E || esv == 0x7E; }

Expected<std::string> encode(const Frame& f) {
  if (!f.get_properties.empty() && !is_set_get(f.esv))
    return make_error("a second property list exists only for SetGet services");
  std::string out;
  out.push_back(static_cast<char>(kEhd1));
  out.push_back(static_cast<char>(kEhd2Format1));
  out.push_back(static_cast<char>(f.tid >> 8));
  out.push_back(static_cast<char>(f.tid & 0xff));
  put_eoj(out, f.seoj);
  put_eoj(out, f.deoj);
  out.push_back(static_cast<char>(f.esv));
  if (auto r = write_list(out, f.properties); !r) return r.error();
  if (is_set_get(f.esv))
    if (auto r = write_list(out, f.get_properties); !r) return r.error();
  if (out.size() > kMaxFrameBytes) return make_error("ECHONET Lite frame too large");
  return out;
}

Expected<Frame> decode(std::string_view in) {
  if (in.size() > kMaxFrameBytes) return make_error("ECHONET Lite frame too large");
  if (in.size() < 12) return make_error("truncated ECHONET Lite frame");
  if (static_cast<uint8_t>(in[0]) != kEhd1) return make_error("not ECHONET Lite (EHD1 != 0x10)");
  if (static_cast<uint8_t>(in[1]) != kEhd2Format1) return make_error("only format 1 (EHD2 0x81) is supported");
  Frame f;
  f.tid = static_cast<uint16_t>((static_cast<uint8_t>(in[2]) << 8) | static_cast<uint8_t>(in[3]));
  f.seoj = get_eoj(in, 4);
  f.deoj = get_eoj(in, 7);
  f.esv = static_cast<uint8_t>(in[10]);
  auto pos = read_list(in, 11, f.properties);
  if (!pos) return pos.error();
  if (is_set_get(f.esv)) {
    pos = read_list(in, *pos, f.get_properties);
    if (!pos) return pos.error();
  }
  if (*pos != in.size()) return make_error("trailing bytes after the ECHONET Lite frame");
  return f;
}

Expected<std::string> encode_get(uint16_t tid, Eoj seoj, Eoj deoj, std::span<const uint8_t> epcs) {
  if (epcs.empty() || epcs.size() > kMaxProperties) return make_error("a Get needs 1..255 EPCs");
  Frame f{tid, seoj, deoj, static_cast<uint8_t>(Esv::get), {}, {}};
  for (uint8_t e : epcs) f.properties.push_back({e, {}});
  return encode(f);
}

std::string encode_node_profile_get(uint16_t tid) {
  static constexpr uint8_t kEpcs[] = {epc::kManufacturerCode, epc::kSelfNodeInstanceListS,
                                      epc::kIdentificationNumber, epc::kVersionInfo};
  return encode_get(tid, kController, kNodeProfile, kEpcs).value();
}

Expected<Frame> decode_get_reply(std::string_view bytes) {
  auto f = decode(bytes);
  if (!f) return f;
  if (f->esv != static_cast<uint8_t>(Esv::get_res) && f->esv != static_cast<uint8_t>(Esv::get_sna))
    return make_error("not a Get_Res or Get_SNA");
  return f;
}

Expected<Frame> decode_get_request(std::string_view bytes) {
  auto f = decode(bytes);
  if (!f) return f;
  if (f->esv != static_cast<uint8_t>(Esv::get)) return make_error("not a Get request");
  return f;
}

Expected<std::string> build_get_reply(const Frame& request, Eoj self, const PropertyMap& props) {
  if (request.esv != static_cast<uint8_t>(Esv::get)) return make_error("not a Get request");
  Frame r{request.tid, self, request.seoj, static_cast<uint8_t>(Esv::get_res), {}, {}};
  for (const auto& p : request.properties) {
    auto it = props.find(p.epc);
    if (it == props.end()) {
      r.esv = static_cast<uint8_t>(Esv::get_sna);
      r.properties.push_back({p.epc, {}});
    } else {
      r.properties.push_back({p.epc, it->second});
    }
  }
  return encode(r);
}

Expected<uint32_t> parse_manufacturer_code(std::string_view edt) {
  if (edt.size() != 3) return make_error("manufacturer code must be 3 bytes");
  return (uint32_t{static_cast<uint8_t>(edt[0])} << 16) | (uint32_t{static_cast<uint8_t>(edt[1])} << 8) |
         static_cast<uint8_t>(edt[2]);
}

std::string format_manufacturer_code(uint32_t code) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%06X", static_cast<unsigned>(code & 0xffffff));
  return buf;
}

std::string encode_manufacturer_code(uint32_t code) {
  return {static_cast<char>((code >> 16) & 0xff), static_cast<char>((code >> 8) & 0xff), static_cast<char>(code & 0xff)};
}

Expected<std::vector<Eoj>> parse_instance_list(std::string_view edt) {
  if (edt.empty()) return make_error("empty instance list");
  const std::size_t n = static_cast<uint8_t>(edt[0]);
  if (edt.size() != 1 + 3 * n) return make_error("instance list count does not match its length");
  std::vector<Eoj> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(get_eoj(edt, 1 + 3 * i));
  return out;
}

std::string encode_instance_list(const std::vector<Eoj>& eojs) {
  std::string out(1, static_cast<char>(eojs.size() > 84 ? 84 : eojs.size()));
  for (std::size_t i = 0; i < eojs.size() && i < 84; ++i) put_eoj(out, eojs[i]);
  return out;
}

Expected<std::string> parse_version_info(std::string_view edt) {
  if (edt.size() != 4) return make_error("node profile version information must be 4 bytes");
  return std::to_string(static_cast<uint8_t>(edt[0])) + "." + std::to_string(static_cast<uint8_t>(edt[1]));
}

Expected<char> parse_appendix_release(std::string_view edt) {
  if (edt.size() != 4) return make_error("device version information must be 4 bytes");
  const char c = edt[2];
  if (c < 'A' || c > 'Z') return make_error("release is not a letter A..Z");
  return c;
}

Expected<std::string> parse_identification_number(std::string_view edt) {
  if (edt.size() != 17) return make_error("identification number must be 17 bytes");
  static const char* d = "0123456789abcdef";
  std::string out;
  for (char c : edt) {
    out.push_back(d[static_cast<uint8_t>(c) >> 4]);
    out.push_back(d[static_cast<uint8_t>(c) & 15]);
  }
  return out;
}

// Appendix, Release R, chapter 2 (class group codes) and the class lists per group.
std::string_view class_group_name(uint8_t g) {
  switch (g) {
    case 0x00: return "sensor-related device";
    case 0x01: return "air conditioner-related device";
    case 0x02: return "housing/facility-related device";
    case 0x03: return "cooking/household-related device";
    case 0x04: return "health-related device";
    case 0x05: return "management/control-related device";
    case 0x06: return "audiovisual-related device";
    case 0x0E: return "profile";
    default: return "";
  }
}

std::string_view class_name(uint16_t id) {
  switch (id) {
    case 0x0011: return "temperature sensor";
    case 0x0012: return "humidity sensor";
    case 0x0130: return "home air conditioner";
    case 0x0133: return "ventilation fan";
    case 0x0135: return "air cleaner";
    case 0x0260: return "electrically operated blind/shade";
    case 0x0263: return "electrically operated rain sliding door/shutter";
    case 0x026B: return "electric water heater";
    case 0x026F: return "electric lock";
    case 0x0272: return "instantaneous water heater";
    case 0x0279: return "household solar power generation";
    case 0x027B: return "floor heater";
    case 0x027C: return "fuel cell";
    case 0x027D: return "storage battery";
    case 0x027E: return "electric vehicle charger/discharger";
    case 0x0280: return "electric energy meter";
    case 0x0281: return "water flow meter";
    case 0x0282: return "gas meter";
    case 0x0287: return "power distribution board metering";
    case 0x0288: return "low-voltage smart electric energy meter";
    case 0x028A: return "high-voltage smart electric energy meter";
    case 0x0290: return "general lighting";
    case 0x02A1: return "electric vehicle charger";
    case 0x02A3: return "lighting system";
    case 0x03B7: return "refrigerator";
    case 0x03B8: return "combination microwave oven";
    case 0x03B9: return "cooking heater";
    case 0x03BB: return "rice cooker";
    case 0x03D3: return "washer and dryer";
    case 0x05FD: return "switch (JEM-A/HA terminals)";
    case 0x05FF: return "controller";
    case 0x0EF0: return "node profile";
    default: return "";
  }
}

}  // namespace mamori::proto::echonet
