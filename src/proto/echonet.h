// ECHONET Lite frames over UDP 3610, both directions:
//   controller (Mamori's probes): encode_node_profile_get() -> bytes, decode() <- Get_Res/Get_SNA
//   device     (mamori-lab):      decode() <- Get,  build_get_reply() -> Get_Res/Get_SNA
// References: ECHONET Lite Specification Version 1.14, Part II "ECHONET Lite Communications
// Middleware Specifications" ch. 3 (frame format: EHD1 0x10, EHD2 0x81 "specified message
// format" = format 1, TID, SEOJ, DEOJ, ESV, OPC, then OPC x (EPC, PDC, EDT)), ch. 6 (node profile
// class 0x0EF0), and the "APPENDIX Detailed Requirements for ECHONET Device Objects" Release R
// (class groups and class codes). Only format 1 is decoded; format 2 (EHD2 0x82, arbitrary
// message) is refused.
// Pure functions: no I/O, thread-safe, never throw. Decoding is bounded: the frame is at most
// kMaxFrameBytes, OPC at most kMaxProperties, every PDC checked against the remaining bytes.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"

namespace mamori::proto::echonet {

inline constexpr uint16_t kPort = 3610;
inline constexpr std::string_view kMulticastV4 = "224.0.23.0";
inline constexpr uint8_t kEhd1 = 0x10;         // ECHONET Lite
inline constexpr uint8_t kEhd2Format1 = 0x81;  // specified message format
inline constexpr std::size_t kMaxFrameBytes = 4096;  // far above any real UDP frame
inline constexpr std::size_t kMaxProperties = 255;   // OPC is one byte

// ECHONET object: class group code, class code, instance code.
struct Eoj {
  uint8_t class_group = 0;
  uint8_t class_code = 0;
  uint8_t instance = 0;

  constexpr uint16_t class_id() const {
    return static_cast<uint16_t>((class_group << 8) | class_code);
  }
  constexpr uint32_t value() const {
    return (uint32_t{class_group} << 16) | (uint32_t{class_code} << 8) | instance;
  }
  static constexpr Eoj from(uint32_t v) {
    return {static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  }
  std::string str() const;  // "0x0EF001"
  friend constexpr bool operator==(const Eoj&, const Eoj&) = default;
  friend constexpr auto operator<=>(const Eoj&, const Eoj&) = default;
};

inline constexpr Eoj kNodeProfile{0x0E, 0xF0, 0x01};  // general node profile instance
inline constexpr Eoj kController{0x05, 0xFF, 0x01};

// Service codes (Part II §3.2.5).
enum class Esv : uint8_t {
  set_i_sna = 0x50,
  set_c_sna = 0x51,
  get_sna = 0x52,
  inf_sna = 0x53,
  set_get_sna = 0x5E,
  set_i = 0x60,
  set_c = 0x61,
  get = 0x62,
  inf_req = 0x63,
  set_get = 0x6E,
  set_res = 0x71,
  get_res = 0x72,
  inf = 0x73,
  infc = 0x74,
  infc_res = 0x7A,
  set_get_res = 0x7E,
};
std::string_view esv_name(uint8_t esv);  // "Get_Res"; "" if unknown
bool is_set_get(uint8_t esv);            // 0x5E, 0x6E, 0x7E carry two property lists

// Well-known property codes (EPCs).
namespace epc {
inline constexpr uint8_t kOperationStatus = 0x80;
inline constexpr uint8_t kInstallationLocation = 0x81;
inline constexpr uint8_t kVersionInfo = 0x82;        // node profile: major, minor, 2 format bytes
inline constexpr uint8_t kIdentificationNumber = 0x83;  // node profile: 0xFE + maker(3) + 13
inline constexpr uint8_t kFaultStatus = 0x88;
inline constexpr uint8_t kManufacturerCode = 0x8A;   // 3 bytes
inline constexpr uint8_t kProductCode = 0x8C;        // 12 ASCII bytes
inline constexpr uint8_t kSerialNumber = 0x8D;       // 12 ASCII bytes
inline constexpr uint8_t kNumberOfInstances = 0xD3;
inline constexpr uint8_t kNumberOfClasses = 0xD4;
inline constexpr uint8_t kInstanceListNotification = 0xD5;
inline constexpr uint8_t kSelfNodeInstanceListS = 0xD6;  // count + count x EOJ
inline constexpr uint8_t kSelfNodeClassListS = 0xD7;
inline constexpr uint8_t kGetPropertyMap = 0x9F;
}  // namespace epc

struct Property {
  uint8_t epc = 0;
  std::string edt;  // PDC = edt.size() (0 in a Get request or for an unavailable property)
  friend bool operator==(const Property&, const Property&) = default;
};

struct Frame {
  uint16_t tid = 0;
  Eoj seoj;
  Eoj deoj;
  uint8_t esv = 0;
  std::vector<Property> properties;  // OPC entries; for SetGet ESVs the Set list (OPCSet)
  std::vector<Property> get_properties;  // SetGet ESVs only: the Get list (OPCGet)
  friend bool operator==(const Frame&, const Frame&) = default;
};

// Encodes a format-1 frame. Fails when a list has more than 255 entries, an EDT is longer than
// 255 bytes, or get_properties is non-empty for a non-SetGet ESV.
Expected<std::string> encode(const Frame& frame);

// Decodes a format-1 frame. Refuses other EHD1/EHD2 values, truncation anywhere, PDCs running
// past the end, and trailing bytes.
Expected<Frame> decode(std::string_view bytes);

// ---- controller side -------------------------------------------------------------------------

// A Get (0x62) from `seoj` to `deoj` asking for `epcs` (PDC 0 each). REQUIRES 1..255 EPCs.
Expected<std::string> encode_get(uint16_t tid, Eoj seoj, Eoj deoj, std::span<const uint8_t> epcs);

// The identification probe: Get from the controller 0x05FF01 to the node profile 0x0EF001 for
// 0x8A (manufacturer code), 0xD6 (self-node instance list S), 0x83 (identification number) and
// 0x82 (version information).
std::string encode_node_profile_get(uint16_t tid);

// Decodes a frame and requires a Get reply: Get_Res (0x72) or Get_SNA (0x52). In a Get_SNA the
// properties the device could not supply have an empty EDT.
Expected<Frame> decode_get_reply(std::string_view bytes);

// ---- device side -----------------------------------------------------------------------------

using PropertyMap = std::map<uint8_t, std::string>;  // EPC -> EDT

// Decodes a frame and requires a Get (0x62) request.
Expected<Frame> decode_get_request(std::string_view bytes);

// Builds the reply to a Get `request` addressed to an object with properties `props`: SEOJ is
// `self`, DEOJ the request's SEOJ, same TID; Get_Res (0x72) when every requested EPC is in
// `props`, else Get_SNA (0x52) with the missing EPCs' PDC = 0 (Part II §3.2.5).
// Fails if request.esv is not Get or a property value exceeds 255 bytes.
Expected<std::string> build_get_reply(const Frame& request, Eoj self, const PropertyMap& props);

// ---- property value helpers ------------------------------------------------------------------

// 0x8A: three bytes, big-endian.
Expected<uint32_t> parse_manufacturer_code(std::string_view edt);
// "0x000005" (six upper-case hex digits), the style used by the ECHONET Consortium's list.
std::string format_manufacturer_code(uint32_t code);
std::string encode_manufacturer_code(uint32_t code);  // the 3-byte EDT

// 0xD5 / 0xD6: count byte then count x EOJ; the count must match the bytes that follow (a
// count of 0xFF or more than 84 instances per the spec's split rule is accepted if consistent).
Expected<std::vector<Eoj>> parse_instance_list(std::string_view edt);
std::string encode_instance_list(const std::vector<Eoj>& eojs);  // REQUIRES <= 84 entries

// 0x82 of the node profile: "1.14" style major.minor of the ECHONET Lite version supported.
Expected<std::string> parse_version_info(std::string_view edt);
// 0x82 of a device object: the Appendix release letter, e.g. 'J'.
Expected<char> parse_appendix_release(std::string_view edt);
// 0x83: lower-case hex of all 17 bytes ("fe000005..."); refuses other lengths.
Expected<std::string> parse_identification_number(std::string_view edt);

// Names from the Appendix (Release R), English. "" when unknown.
std::string_view class_group_name(uint8_t class_group);
std::string_view class_name(uint16_t class_id);  // 0x0288 -> "low-voltage smart electric energy meter"

}  // namespace mamori::proto::echonet
