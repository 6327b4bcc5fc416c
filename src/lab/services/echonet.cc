// ECHONET Lite (UDP 3610): Get to the node profile 0x0EF001 answers manufacturer code (0x8A),
// self-node instance list S (0xD6), number of instances (0xD3), version (0x82),
// identification number (0x83) and operation status (0x80); Get to one of the instances
// answers 0x80/0x8A. Unknown properties get Get_SNA; other objects are ignored.
#include "lab/service.h"
#include "proto/echonet.h"

namespace mamori::lab {
namespace {
namespace el = proto::echonet;

std::optional<std::string> serve(std::string_view bytes, ServiceEnv& env) {
  const Service& s = env.service;
  auto req = el::decode_get_request(bytes);
  if (!req) return std::nullopt;
  std::vector<el::Eoj> instances;
  for (uint32_t v : s.instances) instances.push_back(el::Eoj::from(v));
  if (instances.empty()) instances.push_back(el::Eoj::from(0x028801));  // low-voltage smart meter
  if (instances.size() > 84) instances.resize(84);
  std::string maker = el::encode_manufacturer_code(s.manufacturer_code);
  el::PropertyMap props;
  el::Eoj self;
  bool node = req->deoj.class_group == 0x0E && req->deoj.class_code == 0xF0 &&
              (req->deoj.instance == 0x01 || req->deoj.instance == 0x00);
  if (node) {
    self = el::kNodeProfile;
    props[el::epc::kOperationStatus] = std::string(1, '\x30');
    props[el::epc::kVersionInfo] = std::string("\x01\x0D\x01\x00", 4);
    std::string id = "\xFE" + maker;
    id.resize(17, '\0');
    props[el::epc::kIdentificationNumber] = id;
    props[el::epc::kManufacturerCode] = maker;
    props[el::epc::kSelfNodeInstanceListS] = el::encode_instance_list(instances);
    props[el::epc::kNumberOfInstances] = std::string{'\0', '\0', static_cast<char>(instances.size())};
  } else {
    auto it = std::find_if(instances.begin(), instances.end(), [&](const el::Eoj& e) {
      return e.class_group == req->deoj.class_group && e.class_code == req->deoj.class_code &&
             (req->deoj.instance == 0 || e.instance == req->deoj.instance);
    });
    if (it == instances.end()) return std::nullopt;
    self = *it;
    props[el::epc::kOperationStatus] = std::string(1, '\x30');
    props[el::epc::kManufacturerCode] = maker;
  }
  auto out = el::build_get_reply(*req, self, props);
  return out ? std::optional<std::string>(*out) : std::nullopt;
}

}  // namespace

extern const ServiceKind kEchonetKind{"echonet", "ECHONET Lite node profile and device objects (Get)", Transport::udp,
                                      3610, {"manufacturer_code", "instances"}, nullptr, serve, nullptr, nullptr,
                                      "echonet"};

}  // namespace mamori::lab
