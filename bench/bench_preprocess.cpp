// Image preprocessing cost per image: the Pillow-exact resampler (fast and reference) at dataset sizes,
// and normalisation to the model's input tensor.
#include <benchmark/benchmark.h>

#include <random>

#include "preprocess/resize_bicubic_reference.hpp"
#include "winclip/preprocess.hpp"

namespace {

winclip::Image noise_image(int width, int height) {
  std::mt19937 rng(42);
  winclip::Image img{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  for (uint8_t& v : img.rgb) v = static_cast<uint8_t>(rng());
  return img;
}

// MVTec AD images are 700–1024 px squares, VisA ~1500×1000; the model input is 240×240.
void BM_SquashMvtec(benchmark::State& state) {
  const winclip::Image src = noise_image(1024, 1024);
  for (auto _ : state) benchmark::DoNotOptimize(winclip::resize_for_model(src, 240, winclip::ResizeMode::Squash));
}
BENCHMARK(BM_SquashMvtec)->Unit(benchmark::kMillisecond);

void BM_ShortestVisa(benchmark::State& state) {
  const winclip::Image src = noise_image(1500, 1000);
  for (auto _ : state) benchmark::DoNotOptimize(winclip::resize_for_model(src, 240, winclip::ResizeMode::Shortest));
}
BENCHMARK(BM_ShortestVisa)->Unit(benchmark::kMillisecond);

// Fast against reference on the same small upscale + downscale, to show what the fast layout buys.
void BM_ResizeFast(benchmark::State& state) {
  const winclip::Image src = noise_image(300, 200);
  for (auto _ : state) benchmark::DoNotOptimize(winclip::resize_bicubic(src, 240, 240));
}
BENCHMARK(BM_ResizeFast)->Unit(benchmark::kMillisecond);

void BM_ResizeReference(benchmark::State& state) {
  const winclip::Image src = noise_image(300, 200);
  for (auto _ : state) benchmark::DoNotOptimize(winclip::resize_bicubic_reference(src, 240, 240));
}
BENCHMARK(BM_ResizeReference)->Unit(benchmark::kMillisecond);

void BM_Normalize240(benchmark::State& state) {
  const winclip::Image src = noise_image(240, 240);
  const winclip::PreprocessConfig cfg;
  for (auto _ : state) benchmark::DoNotOptimize(winclip::to_normalized_chw(src, cfg));
}
BENCHMARK(BM_Normalize240)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
