// What one core's AMX unit can do on this machine, apart from any matmul code: the ceilings the bf16 speed
// targets run into (README, Performance). Each case is the tile loop of our kernel's 32×32 output block
// (amx_kernel.cpp: 2×2 tiles, TDPBF16PS = 16384 FLOP), varied one factor at a time:
//   RegisterResident   the same four tiles over and over: the unit's peak, no memory at all;
//   Stream/store:0     x's 32-row block (56 KiB, K = 896) and a 1 MiB weight sub-block streamed as the
//                      kernel streams them, accumulators never stored;
//   Stream/store:1     the same with the kernel's one store of the four accumulators per block (every 28
//                      steps at K = 896): every real product must take its results out of the tiles;
//   zero:1             all operands zero instead of random bf16 values (the unit runs faster on zeros, so a
//                      probe on zero-filled buffers flatters the hardware).
// Each Google Benchmark thread keeps one core's unit busy; /threads:2 is the whole machine.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "compute/aligned_vector.hpp"
#include "compute/amx_matmul.hpp"
#include "compute/bf16.hpp"

using namespace winclip::compute;

namespace {

constexpr int64_t kSteps = 28;        // K = 896: the depth of qkv, out_proj and fc
constexpr int64_t kPanels = 18;       // 1 MiB of weight panels, as the kernel keeps in L2
constexpr int64_t kRowBlocks = 23;    // one work item's run of 32-row blocks of x
constexpr double kFlopPerProduct = 16384;

bool start_tiles(benchmark::State& state) {
  if (!amx_available()) {
    state.SkipWithError("no AMX tiles on this CPU or kernel");
    return false;
  }
  amx_configure_tiles();
  return true;
}

AlignedVector<uint16_t> operand(int64_t values, bool zero, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, 0.05f);
  // At least one huge page, so the operands sit on the pages the engine gives its buffers (aligned_vector.hpp).
  AlignedVector<uint16_t> v(std::max(static_cast<size_t>(values), kHugePage / sizeof(uint16_t)));
  for (auto& x : v) x = zero ? 0 : float_to_bf16(dist(rng));
  return v;
}

void BM_RegisterResident(benchmark::State& state) {
  if (!start_tiles(state)) return;
  const auto a = operand(2 * 512, false, 1), b = operand(2 * 512, false, 2);
  _tile_loadd(4, a.data(), 64);
  _tile_loadd(5, a.data() + 512, 64);
  _tile_loadd(6, b.data(), 64);
  _tile_loadd(7, b.data() + 512, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (auto _ : state) {
    for (int i = 0; i < 1024; ++i) {
      _tile_dpbf16ps(0, 4, 6);
      _tile_dpbf16ps(1, 4, 7);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    }
  }
  alignas(64) float sink[256];
  _tile_stored(0, sink, 64);
  benchmark::DoNotOptimize(sink);
  _tile_release();
  state.counters["GFLOP/s"] = benchmark::Counter(4 * 1024 * kFlopPerProduct / 1e9 * state.iterations(),
                                                 benchmark::Counter::kIsRate);
}

// One iteration: one 32-row block of x against every panel of the sub-block, as block_product runs it.
void BM_Stream(benchmark::State& state) {
  if (!start_tiles(state)) return;
  const bool store = state.range(0) != 0, zero = state.range(1) != 0;
  const auto x = operand(kRowBlocks * kSteps * 1024, zero, 3), w = operand(kPanels * kSteps * 1024, zero, 4);
  alignas(64) float acc[2][32 * 32];
  int64_t block = 0;
  for (auto _ : state) {
    const uint16_t* a = x.data() + (block++ % kRowBlocks) * kSteps * 1024;
    for (int64_t p = 0; p < kPanels; ++p) {
      const uint16_t* panel = w.data() + p * kSteps * 1024;
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (int64_t s = 0; s < kSteps; ++s) {
        _tile_loadd(4, a + s * 1024, 64);
        _tile_loadd(6, panel + s * 1024, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_loadd(7, panel + s * 1024 + 512, 64);
        _tile_dpbf16ps(1, 4, 7);
        _tile_loadd(5, a + s * 1024 + 512, 64);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
      }
      if (store) {
        float* out = acc[p % 2];
        _tile_stored(0, out, 128);
        _tile_stored(1, out + 16, 128);
        _tile_stored(2, out + 512, 128);
        _tile_stored(3, out + 528, 128);
      }
    }
  }
  _tile_stored(0, acc[0], 128);
  benchmark::DoNotOptimize(acc);
  _tile_release();
  state.counters["GFLOP/s"] = benchmark::Counter(
      kPanels * kSteps * 4 * kFlopPerProduct / 1e9 * state.iterations(), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_RegisterResident)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Stream)
    ->ArgNames({"store", "zero"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_MAIN();
