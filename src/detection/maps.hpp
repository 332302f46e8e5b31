#pragma once
// Anomaly-map resampling.
#include "winclip/tensor.hpp"

namespace winclip {

// Bilinear, align_corners = false, no antialiasing (torch F.interpolate(mode="bilinear")): map [h, w] →
// [out_h, out_w]. Source coordinate (dst + 0.5)·in/out − 0.5, clamped at 0; edge pixels replicate.
Tensor upsample_bilinear(const Tensor& map, int out_height, int out_width);

}  // namespace winclip
