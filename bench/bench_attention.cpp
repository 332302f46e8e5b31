// Attention and layer norm at ViT-B-16-plus-240's size: the full image (one sequence of 226 tokens) and the
// window batch (196 windows of 5 tokens, 169 of 10), 14 heads of 64, bf16 q/k/v in and bf16 out as the bf16
// path runs them.
#include <benchmark/benchmark.h>

#include <random>

#include "compute/aligned_vector.hpp"
#include "compute/attention.hpp"
#include "compute/bf16.hpp"
#include "compute/layer_norm.hpp"

using namespace winclip::compute;

namespace {

constexpr int64_t kWidth = 896;
constexpr int kHeads = 14;

// The full image, or the window batch divided by `part` (a small part stays in cache).
SequenceBatch batch_of(bool windows, int part = 1) {
  SequenceBatch batch;
  if (!windows) {
    batch.add(226);
    return batch;
  }
  for (int i = 0; i < 196 / part; ++i) batch.add(5);
  for (int i = 0; i < 169 / part; ++i) batch.add(10);
  return batch;
}

AlignedVector<float> random_floats(size_t n) {
  std::mt19937 rng(1);
  std::normal_distribution<float> dist;
  AlignedVector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

void BM_Attention(benchmark::State& state, bool windows, int part) {
  const SequenceBatch batch = batch_of(windows, part);
  const int64_t rows = batch.total_rows();
  const auto values = random_floats(static_cast<size_t>(rows * 3 * kWidth));
  AlignedVector<uint16_t> qkv(values.size()), out(static_cast<size_t>(rows * kWidth));
  for (size_t i = 0; i < values.size(); ++i) qkv[i] = float_to_bf16(values[i]);
  for (auto _ : state) multi_head_attention(qkv.data(), kWidth, kHeads, batch, out.data());
}

void BM_LayerNorm(benchmark::State& state) {
  const int64_t rows = 2896;
  const auto x = random_floats(static_cast<size_t>(rows * kWidth));
  const auto gamma = random_floats(kWidth), beta = random_floats(kWidth);
  AlignedVector<uint16_t> y(static_cast<size_t>(rows * kWidth));
  for (auto _ : state) layer_norm(x.data(), rows, kWidth, gamma.data(), beta.data(), y.data());
}

}  // namespace

BENCHMARK_CAPTURE(BM_Attention, full_image, false, 1)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Attention, windows, true, 1)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Attention, windows_part_in_cache, true, 16)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_LayerNorm)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_MAIN();
