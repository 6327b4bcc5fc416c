#include "probes/probe.h"

namespace mamori::probes {

ServiceObservation make_service(const ProbeContext& ctx, std::string service) {
  ServiceObservation s;
  s.ip = ctx.ip;
  s.port = ctx.port;
  s.proto = Proto::tcp;
  s.service = std::move(service);
  return s;
}

}  // namespace mamori::probes
