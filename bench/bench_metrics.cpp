// Pixel metrics on the scale of the full VisA test set: 2,162 maps of 240x240 = 124.5 M pixels pooled
// into one accumulator (the worst case; real runs pool one class at a time). Reports wall time of add() +
// finish() and the peak resident memory of the process.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "winclip/metrics.hpp"

namespace {

constexpr int kImages = 2162;
constexpr int kSide = 240;

// xorshift64*: fast enough that making the maps does not dominate the paused time.
struct Random {
  uint64_t state;
  uint64_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
  }
  float uniform() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }
};

// Half the images anomalous with 1-3 elliptic defects; scores are noise lifted inside the defects, with
// ~16 M distinct values so that the sweep has nearly one step per pixel.
void make_image(Random& random, bool anomalous, std::vector<float>& map, std::vector<uint8_t>& mask) {
  std::fill(mask.begin(), mask.end(), 0);
  const int defects = anomalous ? 1 + static_cast<int>(random.next() % 3) : 0;
  for (int d = 0; d < defects; ++d) {
    const float cy = random.uniform() * kSide;
    const float cx = random.uniform() * kSide;
    const float ry = 3 + random.uniform() * 27;
    const float rx = 3 + random.uniform() * 27;
    for (int y = 0; y < kSide; ++y) {
      for (int x = 0; x < kSide; ++x) {
        const float dy = (static_cast<float>(y) - cy) / ry;
        const float dx = (static_cast<float>(x) - cx) / rx;
        if (dy * dy + dx * dx <= 1.0f) mask[static_cast<size_t>(y) * kSide + x] = 255;
      }
    }
  }
  for (size_t i = 0; i < map.size(); ++i) map[i] = 0.7f * random.uniform() + (mask[i] != 0 ? 0.3f : 0.0f);
}

double peak_resident_megabytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // value is in kB
  }
  return 0;
}

void BM_PixelMetricsVisaScale(benchmark::State& state) {
  std::vector<float> map(kSide * kSide);
  std::vector<uint8_t> mask(kSide * kSide);
  winclip::PixelMetrics metrics;
  for (auto _ : state) {
    Random random{0x9E3779B97F4A7C15ULL};
    winclip::PixelMetricsAccumulator accumulator;
    for (int image = 0; image < kImages; ++image) {
      state.PauseTiming();
      make_image(random, image % 2 == 1, map, mask);
      state.ResumeTiming();
      accumulator.add(map, mask, kSide, kSide);
    }
    metrics = accumulator.finish();
    benchmark::DoNotOptimize(metrics);
  }
  const double pixels = static_cast<double>(kImages) * kSide * kSide;
  state.counters["pixels"] = pixels;
  state.counters["pixels_per_second"] = benchmark::Counter(pixels, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_rss_MB"] = peak_resident_megabytes();
  state.counters["auroc"] = metrics.auroc.value_or(-1);
  state.counters["aupro"] = metrics.aupro.value_or(-1);
}
BENCHMARK(BM_PixelMetricsVisaScale)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
