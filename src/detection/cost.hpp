#pragma once
// What one image costs, for benchmarks and progress estimates: the multiply-adds (×2) of the image tower's
// passes — the full image and every window of every scale — and the standalone matmul rate to compare with.
#include <cstdint>
#include <vector>

#include "winclip/model.hpp"

namespace winclip {

// FLOP of one image: patch projection, every token of every sequence through every block (linear layers and
// attention), and the pooled projections.
double image_flops(const ModelConfig& config, const std::vector<int>& scales);

// FLOP of one image as the engine runs it: image_flops less what windows skip. In the first block their
// keys and values are the full image's (a window's tokens are copies of its rows); in the last block only
// their class token is carried past attention (its keys and values still cover every token).
double executed_image_flops(const ModelConfig& config, const std::vector<int>& scales);

// Rows of the packed window batch (every window of every scale, class token included).
int64_t window_rows(const ModelConfig& config, const std::vector<int>& scales);

// oneDNN's own rate, in FLOP/s, on one [m, k]·[k, n] product in `precision` with operands already in the
// matmul's input type (no conversions timed): the hardware ceiling a whole-image rate is compared with.
double onednn_matmul_rate(Precision precision, int64_t m, int64_t k, int64_t n);

}  // namespace winclip
