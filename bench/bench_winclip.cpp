// The full-size ViT-B-16-plus-240 on a random checkpoint: image tower alone, WinCLIP zero-shot and one-shot,
// in fp32 and bf16; each reports images/s and the fraction of oneDNN's matmul rate it reaches.
// The model is made once by `winclip make-random-model` logic into $WINCLIP_BENCH_MODEL (default
// /tmp/winclip-bench-ViT-B-16-plus-240).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <random>

#include "winclip/detector.hpp"
#include "winclip/random_model.hpp"
#include "detection/cost.hpp"
#include "winclip/model_config.hpp"

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

// Whole-image rate (FLOP executed), and oneDNN's standalone rate on the window batch's largest product to
// compare with.
void report(benchmark::State& state, double flops_per_image, Precision precision) {
  static std::map<Precision, double> ceiling;
  const ModelConfig cfg = builtin_config("ViT-B-16-plus-240");
  if (!ceiling.count(precision))
    ceiling[precision] = onednn_matmul_rate(precision, window_rows(cfg, {2, 3}), cfg.vision.width, 3 * cfg.vision.width);
  state.SetItemsProcessed(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(flops_per_image * static_cast<double>(state.iterations()) / 1e9,
                                                 benchmark::Counter::kIsRate);
  state.counters["matmul_GFLOP/s"] = ceiling[precision] / 1e9;
}

void BM_ImageTower(benchmark::State& state, Precision precision) {
  const auto m = model(precision);
  const Tensor image = random_image(m->image_size(), 1);
  for (auto _ : state) benchmark::DoNotOptimize(m->encode_images(image));
  report(state, image_flops(m->config(), {}), precision);
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
  report(state, executed_image_flops(m->config(), options.scales), precision);
}

}  // namespace

BENCHMARK_CAPTURE(BM_ImageTower, fp32, Precision::FP32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImageTower, bf16, Precision::BF16)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_WinClip, zero_shot_fp32, Precision::FP32, 0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_WinClip, one_shot_fp32, Precision::FP32, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_WinClip, zero_shot_bf16, Precision::BF16, 0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_WinClip, one_shot_bf16, Precision::BF16, 1)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
