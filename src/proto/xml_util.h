// Internal to mamori_proto: safe loading of untrusted XML and small pugixml helpers shared by
// upnp.cc and wsd.cc. Not part of the public API.
#pragma once

#include <pugixml.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#include "core/expected.h"

namespace mamori::proto::xml {

// Loads `xml` into `doc` after refusing: more than `max_bytes`; "<!DOCTYPE" or "<!ENTITY"
// anywhere (ASCII case-insensitive, so also inside comments or CDATA); a NUL byte. The buffer is
// always read as UTF-8 (no encoding auto-detection, so a UTF-16 document cannot smuggle a
// DOCTYPE past the byte check). After parsing, element nesting deeper than `max_depth` is
// refused (checked iteratively). pugixml never resolves external entities.
Expected<bool> load(pugi::xml_document& doc, std::string_view xml, std::size_t max_bytes, int max_depth);

// "s:Envelope" -> "Envelope".
std::string_view local_name(const char* qualified);
std::string_view prefix_of(const char* qualified);

// First child element whose local name is `local` (any prefix), or an empty node.
pugi::xml_node child(pugi::xml_node parent, std::string_view local);

// The element's text (PCDATA and CDATA children concatenated), blanks trimmed.
std::string text(pugi::xml_node node);

// The namespace URI bound to `prefix` ("" = default namespace) in scope at `node`; "" if none.
std::string namespace_of(pugi::xml_node node, std::string_view prefix);

// Escapes &, <, >, ", ' and CR for text and attribute values.
std::string escape(std::string_view s);

}  // namespace mamori::proto::xml
