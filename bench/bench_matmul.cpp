// The four bf16 matrix products of a transformer block at the window batch's size (2896 tokens of
// ViT-B-16-plus-240: all windows of scales 2 and 3 plus the full image), each with the epilogue the block
// fuses into it, once per bf16 backend (our AMX kernel where the CPU has it, and oneDNN), so one run
// compares both on the same machine.
#include <benchmark/benchmark.h>

#include <random>

#include "compute/aligned_vector.hpp"
#include "compute/bf16.hpp"
#include "compute/amx_matmul.hpp"
#include "compute/linear.hpp"

using namespace winclip::compute;

namespace {

constexpr int64_t kRows = 2896;

void BM_Linear(benchmark::State& state, Bf16Backend backend, int64_t k, int64_t n, Epilogue epilogue,
               ActivationType y_type) {
  if (backend == Bf16Backend::Amx && !amx_available()) {
    state.SkipWithError("no AMX tiles on this CPU or kernel");
    return;
  }
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.f, 0.05f);
  std::vector<float> weight(static_cast<size_t>(k * n)), bias(static_cast<size_t>(n));
  for (auto& v : weight) v = dist(rng);
  for (auto& v : bias) v = dist(rng);
  const Linear linear(k, n, weight, WeightLayout::OutIn, bias, MatmulOptions(MatmulPrecision::BF16, backend));
  AlignedVector<uint16_t> x(static_cast<size_t>(kRows * k));
  for (auto& v : x) v = float_to_bf16(dist(rng));
  AlignedVector<float> y(static_cast<size_t>(kRows * n));  // big enough for either output type
  for (auto _ : state) linear.forward(x.data(), kRows, y.data(), y_type, epilogue);
  const double flops = 2.0 * kRows * k * n * static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsRate);
}

}  // namespace

#define WINCLIP_PRODUCTS(backend_name, backend)                                                          \
  BENCHMARK_CAPTURE(BM_Linear, backend_name##_qkv, backend, 896, 2688, Epilogue::None, ActivationType::F32)      \
      ->Unit(benchmark::kMillisecond)->UseRealTime();                                                          \
  BENCHMARK_CAPTURE(BM_Linear, backend_name##_out_proj, backend, 896, 896, Epilogue::AddToDst,                  \
                    ActivationType::F32)->Unit(benchmark::kMillisecond)->UseRealTime();                        \
  BENCHMARK_CAPTURE(BM_Linear, backend_name##_fc_gelu, backend, 896, 3584, Epilogue::Gelu, ActivationType::BF16) \
      ->Unit(benchmark::kMillisecond)->UseRealTime();                                                          \
  BENCHMARK_CAPTURE(BM_Linear, backend_name##_proj, backend, 3584, 896, Epilogue::AddToDst, ActivationType::F32) \
      ->Unit(benchmark::kMillisecond)->UseRealTime();

WINCLIP_PRODUCTS(amx, Bf16Backend::Amx)
WINCLIP_PRODUCTS(onednn, Bf16Backend::OneDnn)
BENCHMARK_MAIN();
