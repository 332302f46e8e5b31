#include "winclip/random_model.hpp"

#include <cmath>
#include <span>

#include "checkpoint/checkpoint.hpp"
#include "winclip/error.hpp"
#include "core/splitmix64.hpp"

namespace winclip {
namespace {

constexpr float kLogitScale = 2.65926003693f;  // ln(1/0.07), open_clip's initial logit_scale

uint64_t fnv1a64(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ull;
  return hash;
}

struct InitScale {
  float mean = 0;
  double std = 0;
};

// open_clip's initialisation scales (v2.24 CLIP.init_parameters / VisionTransformer), applied to both towers.
InitScale init_scale(const std::string& name, const ModelConfig& cfg) {
  const bool visual = name.starts_with("visual.");
  const double width = visual ? cfg.vision.width : cfg.text.width;
  const double layers = visual ? cfg.vision.layers : cfg.text.layers;
  const double attn_std = 1 / std::sqrt(width);
  if (name == "logit_scale") return {kLogitScale, 0};
  if (name.ends_with("bias")) return {0, 0.02};
  if (name.ends_with(".weight") && name.find("ln_") != std::string::npos) return {1, 0.02};  // LayerNorm
  if (name == "token_embedding.weight") return {0, 0.02};
  if (name == "positional_embedding") return {0, 0.01};
  if (name == "visual.conv1.weight") return {0, 1 / std::sqrt(3.0 * cfg.vision.patch_size * cfg.vision.patch_size)};
  if (name.ends_with("attn.in_proj_weight")) return {0, attn_std};
  if (name.ends_with("attn.out_proj.weight") || name.ends_with("mlp.c_proj.weight"))
    return {0, attn_std / std::sqrt(2 * layers)};  // residual branches: shrink with depth
  if (name.ends_with("mlp.c_fc.weight")) return {0, 1 / std::sqrt(2 * width)};
  if (name == "visual.class_embedding" || name == "visual.positional_embedding" || name == "visual.proj" ||
      name == "text_projection")
    return {0, attn_std};
  throw Error("no initialisation rule for tensor '" + name + "'");
}

// See random_model.hpp: a counter-based stream, so each value depends only on (stream, i).
void fill_random(std::span<float> out, uint64_t stream, InitScale scale) {
  constexpr int64_t kFieldMax = 0xffff;
  // Four uniform fields on {0..65535}: the sum has mean 2·65535 and variance 4·(65536² − 1)/12.
  const double unit = 1 / std::sqrt((65536.0 * 65536.0 - 1) / 3);
  const double step = scale.std * unit;
  const auto n = static_cast<int64_t>(out.size());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t u = splitmix64(stream + static_cast<uint64_t>(i) * kSplitMix64Gamma);
    const auto sum = static_cast<int64_t>((u & 0xffff) + ((u >> 16) & 0xffff) + ((u >> 32) & 0xffff) + (u >> 48));
    // Rounding to float before adding the mean keeps the compiler from fusing a multiply-add, which would
    // change the last bit on some machines.
    out[static_cast<size_t>(i)] = static_cast<float>(static_cast<double>(sum - 2 * kFieldMax) * step) + scale.mean;
  }
}

}  // namespace

void write_random_model(const ModelConfig& cfg, uint64_t seed, const std::filesystem::path& out_dir) {
  const auto tensors = expected_clip_tensors(cfg);
  std::vector<InitScale> scales;
  for (const auto& [name, shape] : tensors) scales.push_back(init_scale(name, cfg));
  auto fill = [&](size_t i, std::span<float> out) {
    fill_random(out, splitmix64(seed ^ fnv1a64(tensors[i].first)), scales[i]);
  };
  const std::map<std::string, std::string> metadata = {
      {"format", "pt"}, {"winclip_architecture", cfg.name}, {"winclip_random_seed", std::to_string(seed)}};
  save_safetensors(out_dir / "open_clip_model.safetensors", tensors, fill, metadata);
  write_open_clip_config(out_dir / "open_clip_config.json", cfg);
}

}  // namespace winclip
