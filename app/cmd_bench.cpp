// `winclip bench`: seconds per image for zero-shot and one-shot detection on this machine, the FLOP rate
// reached over the whole image, the same model's standalone matmul rate for comparison, and peak memory.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "command.hpp"
#include "compute/linear.hpp"
#include "detector_args.hpp"
#include "winclip/detector.hpp"
#include "winclip/windows.hpp"

namespace winclip::app {
namespace {

struct BenchArgs {
  ModelArgs model;
  int iterations = 5;
  std::vector<int> scales = {2, 3};
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double peak_rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

template <typename F>
double median_seconds(int iterations, F&& run) {
  run();  // warm-up: primitive creation, page faults
  std::vector<double> t;
  for (int i = 0; i < iterations; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    t.push_back(seconds_since(t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Multiply-adds ×2 of one image's vision passes: every token of every sequence through every block, plus
// attention, the patch projection and the pooled projections.
double image_flops(const ModelConfig& cfg, const std::vector<int>& scales) {
  const double w = cfg.vision.width, m = cfg.vision.mlp_width(), g = cfg.vision.grid();
  std::vector<double> lengths = {1 + g * g};
  for (int k : scales)
    for (size_t i = 0; i < window_patches(cfg.vision.grid(), k).size(); ++i) lengths.push_back(1 + k * k);
  double flops = 2.0 * g * g * 3 * cfg.vision.patch_size * cfg.vision.patch_size * w;
  for (double len : lengths)
    flops += cfg.vision.layers * (2.0 * len * (4 * w * w + 2 * w * m) + 4.0 * len * len * w) + 2.0 * w * cfg.embed_dim;
  return flops;
}

// oneDNN's rate on the model's largest matmul shape at the window batch size: the ceiling to compare with.
double matmul_gflops(const ModelConfig& cfg, compute::MatmulPrecision precision, int64_t rows) {
  const int64_t k = cfg.vision.width, n = 3 * cfg.vision.width;
  std::mt19937 rng(1);
  std::normal_distribution<float> dist;
  std::vector<float> w(static_cast<size_t>(k * n)), x(static_cast<size_t>(rows * k)), y(static_cast<size_t>(rows * n));
  for (auto& v : w) v = dist(rng);
  for (auto& v : x) v = dist(rng);
  compute::Linear linear(k, n, w, compute::WeightLayout::OutIn, {}, precision);
  const double s = median_seconds(9, [&] { linear.forward(x.data(), rows, y.data()); });
  return 2.0 * rows * k * n / s / 1e9;
}

int bench(const BenchArgs& args) {
  const auto model = args.model.load();
  const ModelConfig& cfg = model->config();
  DetectorOptions options;
  options.scales = args.scales;
  options.batch_size = 1;
  // Random prototypes: the cost of scoring does not depend on them, and the text tower stays unloaded.
  Tensor prototypes({2, cfg.embed_dim});
  std::mt19937 rng(7);
  std::normal_distribution<float> dist;
  for (auto& v : prototypes.data) v = dist(rng);
  Detector detector(model, options, prototypes);
  const int s = cfg.vision.image_size;
  Tensor image({1, 3, s, s}), reference({1, 3, s, s});
  for (auto& v : image.data) v = dist(rng);
  for (auto& v : reference.data) v = dist(rng);

  const double zero_shot = median_seconds(args.iterations, [&] { detector.score(image); });
  detector.add_references(reference);
  const double one_shot = median_seconds(args.iterations, [&] { detector.score(image); });
  const double flops = image_flops(cfg, args.scales);
  int64_t window_rows = 0;
  for (int k : args.scales)
    window_rows += static_cast<int64_t>(window_patches(cfg.vision.grid(), k).size()) * (1 + k * k);
  const auto precision = model->precision() == Precision::BF16 ? compute::MatmulPrecision::BF16 : compute::MatmulPrecision::FP32;
  const double ceiling = matmul_gflops(cfg, precision, window_rows);
  const double achieved = flops / zero_shot / 1e9;

  std::printf("model            %s (%s)\n", cfg.name.c_str(), model->weights_path().c_str());
  std::printf("precision        %s\n", precision_name(model->precision()));
  std::printf("zero-shot        %.3f s/image (median of %d)\n", zero_shot, args.iterations);
  std::printf("one-shot         %.3f s/image\n", one_shot);
  std::printf("work             %.1f GFLOP/image\n", flops / 1e9);
  std::printf("achieved         %.1f GFLOP/s (zero-shot, whole image)\n", achieved);
  std::printf("matmul ceiling   %.1f GFLOP/s (oneDNN, %lld×%d×%d)\n", ceiling, static_cast<long long>(window_rows),
              cfg.vision.width, 3 * cfg.vision.width);
  std::printf("fraction         %.0f %%\n", 100.0 * achieved / ceiling);
  std::printf("peak RSS         %.0f MiB\n", peak_rss_mib());
  return 0;
}

const RegisterCommand bench_command{{
    "bench", "Measure seconds per image (zero-shot and one-shot), GFLOP/s and peak memory on this machine",
    [](CLI::App& sub) {
      auto args = std::make_shared<BenchArgs>();
      args->model.add_to(sub);
      sub.add_option("--iterations", args->iterations, "timed runs per mode (after one warm-up)")->check(CLI::Range(1, 1000));
      sub.add_option("--scales", args->scales, "window scales")->delimiter(',');
      return std::function<int()>([args] { return bench(*args); });
    }}};

}  // namespace
}  // namespace winclip::app
