// MQTT: an anonymous MQTT 3.1.1 CONNECT (clean session, keep-alive 30 s, client id
// "mamori-<random>", no user name or password) and the broker's CONNACK, then DISCONNECT.
// Client-first. An anonymous CONNECT is how every MQTT client starts; it is not a login attempt
// and publishes or subscribes nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "probes/probe.h"

namespace mamori::probes {

const TcpProbe& mqtt_probe();

// An MQTT 3.1.1 CONNECT packet with the clean-session flag and no will, user or password.
// REQUIRES: client_id.size() <= 65535.
std::string mqtt_connect_packet(std::string_view client_id, uint16_t keepalive = 30);
inline constexpr std::string_view kMqttDisconnect{"\xe0\x00", 2};

struct MqttConnack {
  int code = 0;                  // 3.1.1 return code (0 accepted .. 5 not authorised), or an
                                 // MQTT 5 reason code (0x84 unsupported version, 0x87 ...)
  bool session_present = false;
  bool v5 = false;               // the broker answered with an MQTT 5 CONNACK (properties)
};

enum class MqttParse { ok, need_more, invalid };

// Parses a CONNACK at the start of `bytes`: 0x20, remaining length (variable-length integer),
// acknowledge flags, return/reason code, and for MQTT 5 the property length and properties.
// A remaining length of 2 is MQTT 3.1.1; a longer one is MQTT 5. Bounded: a CONNACK longer than
// kMaxConnack bytes is invalid. No I/O.
inline constexpr size_t kMaxConnack = 512;
MqttParse parse_mqtt_connack(std::string_view bytes, MqttConnack& out);

}  // namespace mamori::probes
