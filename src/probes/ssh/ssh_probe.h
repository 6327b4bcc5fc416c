// SSH: the server's identification string (RFC 4253 section 4.2), sent first by the server.
// Host keys and algorithms are read by the TLS/SSH posture stage, not here.
#pragma once

#include "probes/probe.h"

namespace mamori::probes {

const TcpProbe& ssh_probe();

// Parses "SSH-2.0-OpenSSH_9.2p1 Debian-2" into product/version (vendor-neutral); false if the
// line is not an SSH identification string.
bool parse_ssh_ident(std::string_view line, std::string& product, std::string& version);

}  // namespace mamori::probes
