// MQTT credential checker: one MQTT 3.1.1 CONNECT (clean session, client id "mamori-<random>",
// keep-alive 10 s) with a user name and password, the broker's CONNACK as the verdict, then
// DISCONNECT. Never SUBSCRIBE or PUBLISH. The open-access check is the same CONNECT without
// credentials. MQTTS (service tls) is spoken inside TLS.
//
// The packet builder and CONNACK parser/classifier are pure (no I/O), bounded, and fuzzed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "checks/creds/checker.h"

namespace mamori::creds {

const Checker& mqtt_checker();

inline constexpr uint16_t kMqttKeepalive = 10;
inline constexpr std::string_view kMqttDisconnectPacket{"\xe0\x00", 2};

// An MQTT 3.1.1 CONNECT with the clean-session flag and no will. With `username`, the user name
// flag and the password flag (the password may be empty) are set; a password without a user
// name is sent with an empty user name (3.1.1 forbids the password flag alone).
// Fails (nullopt) when a field is longer than 65535 bytes.
std::optional<std::string> mqtt_connect(std::string_view client_id,
                                        std::optional<std::string_view> username,
                                        std::optional<std::string_view> password,
                                        uint16_t keepalive = kMqttKeepalive);

// "mamori-" and 8 random hex digits.
std::string mqtt_client_id();

struct MqttConnack {
  bool v5 = false;       // MQTT 5 layout (property length and properties after the code)
  bool session_present = false;
  uint8_t code = 0;      // 3.1.1 return code (0..5) or MQTT 5 reason code
};

enum class MqttParse { ok, need_more, invalid };

inline constexpr size_t kMqttMaxConnack = 512;

// Parses the CONNACK at the start of `bytes`: type 0x20, a remaining length (variable-length
// integer of at most 4 bytes) of 2 (3.1.1) or 3..kMqttMaxConnack (MQTT 5, whose property length
// must account exactly for the rest), reserved acknowledge-flag bits clear. Anything else, a
// different packet type included, is invalid.
MqttParse parse_mqtt_connack(std::string_view bytes, MqttConnack& out);

// The verdict of a CONNACK to a CONNECT with credentials: 0 accepted; 4/5 (3.1.1) and 0x86/0x87
// (MQTT 5) rejected; 0x8A banned and 0x9F connection rate exceeded lockout; 0x8C bad
// authentication method unsupported; anything else error.
AttemptResult classify_mqtt_connack(const MqttConnack& ack);

// "CONNACK 4 (bad user name or password)".
std::string mqtt_connack_text(const MqttConnack& ack);

}  // namespace mamori::creds
