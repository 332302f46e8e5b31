// The full-size ViT-B-16-plus-240 on a random checkpoint: image tower alone, WinCLIP zero-shot and one-shot,
// in fp32 and bf16; each reports images/s and the fraction of oneDNN's matmul rate it reaches.
// The model is made once by `winclip make-random-model` logic into $WINCLIP_BENCH_MODEL (default
// /tmp/winclip-bench-ViT-B-16-plus-240).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <random>

#include "compute/linear.hpp"
#include "winclip/detector.hpp"
#include "winclip/random_model.hpp"
#include "winclip/windows.hpp"

using namespace winclip;

namespace {

std::filesystem::path bench_model_dir() {
  const char* env = std::getenv("WINCLIP_BENCH_MODEL");
  std::filesystem::path dir = env && *env ? env : "/tmp/winclip-bench-ViT-B-16-plus-240";
  if (!std::filesystem::exists(dir / "open_clip_model.safetensors"))
    write_random_model(builtin_config("ViT-B-16-plus-240"), 0, dir);
  return dir;
}

std::shared_ptr<const ClipModel> model(Precision precision) {
  static std::map<Precision, std::shared_ptr<const ClipModel>> models;
  auto& m = models[precision];
  if (!m) {
    ModelOptions options;
    options.precision = precision;
    m = ClipModel::load(bench_model_dir(), options);
  }
  return m;
}

Tensor random_image(int size, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  Tensor t({1, 3, size, size});
  for (auto& v : t.data) v = dist(rng);
  return t;
}

// oneDNN's own rate on the largest matmul of the window batch (2670 rows × 896 → 2688).
double matmul_flops_per_second(compute::MatmulPrecision precision) {
  const int64_t m = 2670, k = 896, n = 2688;
  std::vector<float> w(static_cast<size_t>(k * n), 0.01f), x(static_cast<size_t>(m * k), 0.5f), y(static_cast<size_t>(m * n));
  compute::Linear linear(k, n, w, compute::WeightLayout::OutIn, {}, precision);
  linear.forward(x.data(), m, y.data());
  const auto t0 = std::chrono::steady_clock::now();
  const int reps = 5;
  for (int i = 0; i < reps; ++i) linear.forward(x.data(), m, y.data());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
  return 2.0 * m * k * n / s;
}

double tower_flops(const ModelConfig& cfg, const std::vector<double>& lengths) {
  const double w = cfg.vision.width, mlp = cfg.vision.mlp_width();
  double f = 0;
  for (double len : lengths) f += cfg.vision.layers * (2.0 * len * (4 * w * w + 2 * w * mlp) + 4.0 * len * len * w);
  return f;
}

void report(benchmark::State& state, double flops_per_image, Precision precision) {
  const auto mp = precision == Precision::BF16 ? compute::MatmulPrecision::BF16 : compute::MatmulPrecision::FP32;
  static std::map<compute::MatmulPrecision, double> ceiling;
  if (!ceiling.count(mp)) ceiling[mp] = matmul_flops_per_second(mp);
  state.SetItemsProcessed(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(flops_per_image * static_cast<double>(state.iterations()) / 1e9,
                                                 benchmark::Counter::kIsRate);
  state.counters["matmul_GFLOP/s"] = ceiling[mp] / 1e9;
}

void BM_ImageTower(benchmark::State& state, Precision precision) {
  const auto m = model(precision);
  const Tensor image = random_image(m->image_size(), 1);
  for (auto _ : state) benchmark::DoNotOptimize(m->encode_images(image));
  const double g = m->grid();
  report(state, tower_flops(m->config(), {1 + g * g}), precision);
}

void BM_WinClip(benchmark::State& state, Precision precision, int shots) {
  const auto m = model(precision);
  DetectorOptions options;
  options.batch_size = 1;
  Tensor prototypes({2, m->embed_dim()});
  std::mt19937 rng(3);
  std::normal_distribution<float> dist;
  for (auto& v : prototypes.data) v = dist(rng);
  Detector detector(m, options, prototypes);
  for (int i = 0; i < shots; ++i) detector.add_references(random_image(m->image_size(), 10 + i));
  const Tensor image = random_image(m->image_size(), 2);
  for (auto _ : state) benchmark::DoNotOptimize(detector.score(image));
  const double g = m->grid();
  std::vector<double> lengths = {1 + g * g};
  for (int k : options.scales)
    for (size_t i = 0; i < window_patches(m->grid(), k).size(); ++i) lengths.push_back(1.0 + k * k);
  report(state, tower_flops(m->config(), lengths), precision);
}

}  // namespace

BENCHMARK_CAPTURE(BM_ImageTower, fp32, Precision::FP32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImageTower, bf16, Precision::BF16)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_WinClip, zero_shot_fp32, Precision::FP32, 0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_WinClip, one_shot_fp32, Precision::FP32, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_WinClip, zero_shot_bf16, Precision::BF16, 0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_WinClip, one_shot_bf16, Precision::BF16, 1)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
