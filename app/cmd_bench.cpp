// `winclip bench`: seconds per image for zero-shot and one-shot detection on this machine, the FLOP rate
// reached over the whole image, the same model's standalone matmul rate for comparison, and peak memory.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "command.hpp"
#include "detector_args.hpp"
#include "winclip/detector.hpp"
#include "detection/cost.hpp"

namespace winclip::app {
namespace {

struct BenchArgs {
  ModelArgs model;
  int iterations = 5;
  int batch_size = 1;
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

int bench(const BenchArgs& args) {
  const auto model = args.model.load();
  const ModelConfig& cfg = model->config();
  DetectorOptions options;
  options.scales = args.scales;
  options.batch_size = args.batch_size;
  // Random prototypes: the cost of scoring does not depend on them, and the text tower stays unloaded.
  Tensor prototypes({2, cfg.embed_dim});
  std::mt19937 rng(7);
  std::normal_distribution<float> dist;
  for (auto& v : prototypes.data) v = dist(rng);
  Detector detector(model, options, prototypes);
  const int s = cfg.vision.image_size;
  const int b = args.batch_size;
  Tensor images({b, 3, s, s}), reference({1, 3, s, s});
  for (auto& v : images.data) v = dist(rng);
  for (auto& v : reference.data) v = dist(rng);

  const double zero_shot = median_seconds(args.iterations, [&] { detector.score(images); }) / b;
  detector.add_references(reference);
  const double one_shot = median_seconds(args.iterations, [&] { detector.score(images); }) / b;
  const double flops = image_flops(cfg, args.scales), executed = executed_image_flops(cfg, args.scales);
  const double peak_mib = peak_rss_mib();  // before the ceiling's own buffers
  // The window batch's largest product (the attention input projection), as oneDNN runs it alone.
  const int64_t rows = window_rows(cfg, args.scales), k = cfg.vision.width, n = 3 * cfg.vision.width;
  const double ceiling = onednn_matmul_rate(model->precision(), rows, k, n) / 1e9;
  const double achieved = executed / zero_shot / 1e9;

  std::printf("model            %s (%s)\n", cfg.name.c_str(), model->weights_path().c_str());
  std::printf("precision        %s\n", precision_name(model->precision()));
  std::printf("zero-shot        %.3f s/image (median of %d, %d image%s per pass)\n", zero_shot, args.iterations, b,
              b == 1 ? "" : "s");
  std::printf("one-shot         %.3f s/image\n", one_shot);
  std::printf("work             %.1f GFLOP/image (%.1f executed: windows share the full image's first-block keys "
              "and values and stop at their class token in the last block)\n",
              flops / 1e9, executed / 1e9);
  std::printf("achieved         %.1f GFLOP/s executed (zero-shot, whole image; %.1f nominal)\n", achieved,
              flops / zero_shot / 1e9);
  std::printf("matmul ceiling   %.1f GFLOP/s (oneDNN alone, %lld×%lld×%lld, %s in and out)\n", ceiling,
              static_cast<long long>(rows), static_cast<long long>(k), static_cast<long long>(n),
              precision_name(model->precision()));
  std::printf("fraction         %.0f %%\n", 100.0 * achieved / ceiling);
  std::printf("peak RSS         %.0f MiB\n", peak_mib);
  return 0;
}

const RegisterCommand bench_command{{
    "bench", "Measure seconds per image (zero-shot and one-shot), GFLOP/s and peak memory on this machine",
    [](CLI::App& sub) {
      auto args = std::make_shared<BenchArgs>();
      args->model.add_to(sub);
      sub.add_option("--iterations", args->iterations, "timed runs per mode (after one warm-up)")->check(CLI::Range(1, 1000));
      sub.add_option("--batch-size", args->batch_size, "images per forward pass (eval and bank use 2)")
          ->check(CLI::Range(1, 64));
      one_value_per_occurrence(sub.add_option("--scales", args->scales, "window scales")->delimiter(','));
      return std::function<int()>([args] { return bench(*args); });
    }}};

}  // namespace
}  // namespace winclip::app
