#include "preprocess/pillow_bicubic.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "winclip/error.hpp"

// Pillow is built for baseline x86-64, where no multiply-add is fused. Our -march=x86-64-v3 build would let
// GCC fuse e.g. `w * 2^22 + 0.5` into one FMA with a different rounding, and a coefficient one unit off
// changes output pixels, so contraction is off for the coefficient arithmetic below.
#pragma GCC optimize("fp-contract=off")

namespace winclip::pillow {

double bicubic_kernel(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

int32_t to_fixed_point(double weight) {
  constexpr double one = 1 << kPrecisionBits;
  return static_cast<int32_t>(weight < 0 ? weight * one - 0.5 : weight * one + 0.5);
}

AxisSampling::AxisSampling(int in_size, int out_size)
    : scale(static_cast<double>(in_size) / out_size),
      filter_scale(std::max(scale, 1.0)),
      support(kSupport * filter_scale) {}

double AxisSampling::weight(int j, double center) const {
  // Pillow multiplies by the reciprocal rather than dividing; the two can differ in the last bit.
  return bicubic_kernel((j - center + 0.5) * (1.0 / filter_scale));
}

AxisFilter make_axis_filter(int in_size, int out_size) {
  const AxisSampling sampling(in_size, out_size);
  AxisFilter filter;
  filter.stride = static_cast<int>(std::ceil(sampling.support)) * 2 + 1;
  filter.first.resize(out_size);
  filter.count.resize(out_size);
  filter.coeffs.assign(static_cast<size_t>(out_size) * filter.stride, 0);
  std::vector<double> weights(filter.stride);
  for (int i = 0; i < out_size; ++i) {
    const double center = sampling.center(i);
    // Truncation toward zero, then clamping, exactly as Pillow picks the window.
    const int first = std::max(static_cast<int>(center - sampling.support + 0.5), 0);
    const int end = std::min(static_cast<int>(center + sampling.support + 0.5), in_size);
    double sum = 0.0;
    for (int j = first; j < end; ++j) {
      weights[j - first] = sampling.weight(j, center);
      sum += weights[j - first];
    }
    int32_t* taps = filter.coeffs.data() + static_cast<size_t>(i) * filter.stride;
    for (int j = first; j < end; ++j)
      taps[j - first] = to_fixed_point(sum != 0.0 ? weights[j - first] / sum : weights[j - first]);
    filter.first[i] = first;
    filter.count[i] = end - first;
  }
  return filter;
}

void check_resize_arguments(const Image& src, int out_width, int out_height) {
  if (src.empty()) throw Error("resize_bicubic", "empty source image");
  if (src.rgb.size() != static_cast<size_t>(src.width) * src.height * 3)
    throw Error("resize_bicubic", "image buffer does not hold " + std::to_string(src.width) + "x" +
                                      std::to_string(src.height) + " RGB pixels");
  if (out_width <= 0 || out_height <= 0)
    throw Error("resize_bicubic",
                "output size " + std::to_string(out_width) + "x" + std::to_string(out_height) + " is not positive");
}

}  // namespace winclip::pillow
