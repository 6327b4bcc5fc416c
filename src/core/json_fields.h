// Reading fields of a results record (spec/results.md) that may come from anywhere: a JSON Lines
// file, the store, another Mamori. Nothing here throws on a missing or mistyped field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace mamori {

// The field `key` of object `j` as text: a string as it is, a number or boolean as its JSON
// text; "" when `j` is not an object or the field is missing, null, an array or an object.
inline std::string field_str(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number() || it->is_boolean()) return it->dump();
  return "";
}

// The integer field "port" of object `j`; nullopt when missing or not an integer.
inline std::optional<int64_t> field_port(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find("port");
  if (it != j.end() && it->is_number_integer()) return it->get<int64_t>();
  return std::nullopt;
}

// The field `key` of the record's "evidence" object, as field_str() reads it ("" when absent).
inline std::string evidence_str(const nlohmann::json& record, const char* key) {
  if (!record.is_object()) return "";
  auto e = record.find("evidence");
  return e != record.end() ? field_str(*e, key) : "";
}

}  // namespace mamori
