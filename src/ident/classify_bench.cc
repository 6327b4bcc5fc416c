// Classifies 10,000 synthetic devices of 10 services each, built from the shipped fixtures
// (positive devices and the yes-to-everything negatives), against the shipped catalog.
// Run: ident_bench [--benchmark_min_time=2]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "ident/classify.h"
#include "ident/lint.h"

namespace mamori::ident {
namespace {

struct Corpus {
  FingerprintCatalog catalog;
  std::vector<std::vector<ServiceObservation>> devices;
};

const Corpus& corpus() {
  static const Corpus* c = [] {
    auto cat = FingerprintCatalog::load(MAMORI_FINGERPRINTS_DIR);
    auto fx = load_fixtures(std::string(MAMORI_FINGERPRINTS_DIR) + "/tests");
    if (!cat || !fx) {
      std::fprintf(stderr, "%s\n", (!cat ? cat.error() : fx.error()).message.c_str());
      std::exit(1);
    }
    std::vector<ServiceObservation> pool;
    for (const auto& f : *fx) {
      for (const auto& s : f.services) pool.push_back(s.service);
    }
    auto* out = new Corpus{std::move(*cat), {}};
    uint64_t x = 88172645463325252ull;  // xorshift: a fixed, varied mix
    for (int d = 0; d < 10000; ++d) {
      std::vector<ServiceObservation> dev;
      for (int s = 0; s < 10; ++s) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        dev.push_back(pool[x % pool.size()]);
      }
      out->devices.push_back(std::move(dev));
    }
    return out;
  }();
  return *c;
}

void BM_Classify10kDevices(benchmark::State& state) {
  const Corpus& c = corpus();
  size_t known = 0;
  for (auto _ : state) {
    known = 0;
    for (const auto& d : c.devices) {
      std::vector<ServiceObservation> services = d;  // classify enriches in place
      DeviceObservation o = classify(c.catalog, Ip{}, services);
      known += o.category != "unknown";
      benchmark::DoNotOptimize(o);
    }
  }
  state.counters["rules"] = static_cast<double>(c.catalog.rules().size());
  state.counters["classified"] = static_cast<double>(known);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.devices.size()));
}
BENCHMARK(BM_Classify10kDevices)->Unit(benchmark::kMillisecond);

void BM_MatchOneService(benchmark::State& state) {
  const Corpus& c = corpus();
  size_t i = 0;
  for (auto _ : state) {
    const auto& d = c.devices[i++ % c.devices.size()];
    benchmark::DoNotOptimize(match_service(c.catalog, d[i % d.size()]));
  }
}
BENCHMARK(BM_MatchOneService);

}  // namespace
}  // namespace mamori::ident

BENCHMARK_MAIN();
