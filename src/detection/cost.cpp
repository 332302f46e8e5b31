#include "detection/cost.hpp"

#include <algorithm>
#include <chrono>
#include <dnnl.hpp>

#include "compute/aligned_vector.hpp"
#include "compute/engine.hpp"
#include "detection/windows.hpp"

namespace winclip {

int64_t window_rows(const ModelConfig& config, const std::vector<int>& scales) {
  int64_t rows = 0;
  for (int k : scales) rows += static_cast<int64_t>(window_patches(config.vision.grid(), k).size()) * (1 + k * k);
  return rows;
}

double image_flops(const ModelConfig& config, const std::vector<int>& scales) {
  const double w = config.vision.width, m = config.vision.mlp_width(), g = config.vision.grid();
  const double ps = config.vision.patch_size;
  std::vector<double> lengths = {1 + g * g};
  for (int k : scales)
    lengths.insert(lengths.end(), window_patches(config.vision.grid(), k).size(), 1.0 + k * k);
  double flops = 2.0 * g * g * 3 * ps * ps * w;
  for (double len : lengths)
    flops += config.vision.layers * (2.0 * len * (4 * w * w + 2 * w * m) + 4.0 * len * len * w) +
             2.0 * w * config.embed_dim;
  return flops;
}

double executed_image_flops(const ModelConfig& config, const std::vector<int>& scales) {
  const double w = config.vision.width, m = config.vision.mlp_width();
  double skipped = 0;
  for (int k : scales) {
    const double len = 1.0 + k * k, windows = static_cast<double>(window_patches(config.vision.grid(), k).size());
    // First block: every window row's input projection (its keys and values are the full image's).
    skipped += windows * len * 2.0 * w * 3 * w;
    // Last block, per row past the class token: the output projection and both MLP layers; attention keeps
    // one query of len.
    skipped += windows * ((len - 1) * 2.0 * (w * w + 2 * w * m) + 4.0 * (len - 1) * len * w);
  }
  return image_flops(config, scales) - skipped;
}

double onednn_matmul_rate(Precision precision, int64_t m, int64_t k, int64_t n) {
  using dnnl::memory;
  const auto type = precision == Precision::BF16 ? memory::data_type::bf16 : memory::data_type::f32;
  auto& engine = compute::cpu_engine();
  auto& stream = compute::cpu_stream();
  const memory::desc src({m, k}, type, memory::format_tag::ab), dst({m, n}, type, memory::format_tag::ab);
  const memory::desc any({k, n}, type, memory::format_tag::any);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, any, dst), engine);
  // Constant, well-scaled operands: the rate of a matmul does not depend on its values.
  const size_t elem = type == memory::data_type::bf16 ? 2 : 4;
  compute::AlignedVector<float> a(static_cast<size_t>(m * k) * elem / 4 + 1), c(static_cast<size_t>(m * n) * elem / 4 + 1);
  compute::AlignedVector<float> b(pd.weights_desc().get_size() / 4 + 1);
  std::fill(a.begin(), a.end(), 0.25f);
  std::fill(b.begin(), b.end(), 0.125f);
  memory ma(src, engine, a.data()), mb(pd.weights_desc(), engine, b.data()), mc(dst, engine, c.data());
  const dnnl::matmul matmul(pd);
  std::vector<double> seconds;
  for (int i = 0; i < 10; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    matmul.execute(stream, {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}});
    stream.wait();
    if (i > 0) seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return 2.0 * static_cast<double>(m * k * n) / seconds[seconds.size() / 2];
}

}  // namespace winclip
