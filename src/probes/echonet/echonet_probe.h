// ECHONET Lite identification (3610/udp), the protocol of Japan's HEMS devices and smart meters:
// one Get to the node profile (0x0EF001) for 0x8A manufacturer code, 0xD6 self-node instance
// list, 0x83 identification number and 0x82 version. Fields:
//   echonet.manufacturer  "0x000005" (the consortium's code; names are not in the codec)
//   echonet.classes       "0x0288 (low-voltage smart electric energy meter),0x0130 (...)":
//                         the distinct classes of the device objects, in list order
//   echonet.instances     "0x028801,0x013001": every EOJ as listed
//   echonet.version       "1.13"     echonet.id   lower-case hex of the 17-byte 0x83 value
//   echonet.esv           "Get_Res" or "Get_SNA" (some properties refused)
// Service "echonet".
#pragma once

#include "probes/probe.h"

namespace mamori::probes {

const UdpProbe& echonet_probe();

}  // namespace mamori::probes
