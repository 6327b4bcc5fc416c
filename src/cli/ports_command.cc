// `mamori ports [SET]`: the named port sets and why each port is in them.
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/port_spec.h"

namespace mamori {

Command add_ports_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("ports", "List the named port sets (usable in scan -p) and why each port is in them");
  auto set_name = std::make_shared<std::string>();
  cmd->add_option("SET", *set_name, "Show one set in full");
  return {cmd, [set_name]() -> int {
    auto catalog = PortCatalog::load(data_dir() + "/ports");
    if (!catalog) {
      std::fprintf(stderr, "mamori: %s\n", catalog.error().message.c_str());
      return kExitFailure;
    }
    if (set_name->empty()) {
      for (const auto& [name, set] : catalog->sets()) {
        fmt::print("{:<10} {:>4} ports  {}\n", name, set.ports.size(), set.description);
      }
      return kExitOk;
    }
    const PortSetInfo* set = catalog->find(*set_name);
    if (set == nullptr) {
      std::fprintf(stderr, "mamori: no port set named '%s' (try: mamori ports)\n", set_name->c_str());
      return kExitUsage;
    }
    fmt::print("{}: {}\n", set->name, set->description);
    for (const PortInfo& p : set->ports) {
      fmt::print("  {:>5}/{}  {:<12} {}\n", p.port, proto_name(p.proto), p.service, p.reason);
    }
    return kExitOk;
  }};
}

}  // namespace mamori
