#pragma once
// A CLIP with random weights, for tests and benchmarks without pretrained checkpoints.
//
// Weights are scaled like open_clip's initialisation so activations stay in a realistic range: LayerNorm
// weights 1 + 0.02·z, biases 0.02·z, token embedding 0.02·z, text positional embedding 0.01·z, class and
// visual positional embeddings and both projections width^-0.5·z, conv1 (3·patch²)^-0.5·z, attention
// in_proj width^-0.5·z, out_proj and mlp.c_proj width^-0.5·(2·layers)^-0.5·z, mlp.c_fc (2·width)^-0.5·z,
// logit_scale = ln(1/0.07).
//
// z is a portable, bell-shaped unit-variance variate, so a seed gives the same bytes on every platform and
// with any number of threads: value i of tensor `name` takes u = splitmix64(splitmix64(seed ^ fnv1a64(name)) +
// i·0x9E3779B97F4A7C15) and sums u's four 16-bit fields (Irwin–Hall with n = 4, range ±2√3), then shifts
// and scales the sum to mean 0, variance 1. Integer arithmetic and one rounding to float: no libm, no
// std::normal_distribution (whose output differs between standard libraries).
#include <cstdint>
#include <filesystem>

#include "winclip/model_config.hpp"

namespace winclip {

// Writes out_dir/open_clip_config.json and out_dir/open_clip_model.safetensors (the Hugging Face open_clip
// layout), creating out_dir if needed.
void write_random_model(const ModelConfig& cfg, uint64_t seed, const std::filesystem::path& out_dir);

}  // namespace winclip
