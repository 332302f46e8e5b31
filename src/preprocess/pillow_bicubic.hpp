#pragma once
// The arithmetic of Pillow 9.4's 8-bit resampler (libImaging/Resample.c) with the BICUBIC filter, shared by
// the fast resampler and its plain reference so both round exactly as Pillow does.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "winclip/image.hpp"

namespace winclip::pillow {

// Fixed-point fraction bits of the coefficients: 8-bit samples times coefficients, summed over a kernel
// whose |weights| add up to at most ~1.25, stay inside int32 (32 - 8 bits - 2 bits of headroom).
inline constexpr int kPrecisionBits = 32 - 8 - 2;
// Accumulators start at one half so that the final shift rounds to nearest.
inline constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);
// The kernel's support at scale 1; it widens by the downscale factor (antialiasing).
inline constexpr double kSupport = 2.0;

// Keys' cubic convolution kernel with a = -0.5.
double bicubic_kernel(double x);
// Pillow rounds each normalised weight half away from zero to 22 fractional bits.
int32_t to_fixed_point(double weight);
// (accumulator >> 22) clamped to [0, 255]: the overshoot of the negative lobes is clipped per pass.
inline uint8_t clamp_to_u8(int32_t accumulator) {
  return static_cast<uint8_t>(std::clamp(accumulator >> kPrecisionBits, 0, 255));
}

// Where output sample i of an axis resized from in_size to out_size looks in the input.
struct AxisSampling {
  double scale = 1;          // input samples per output sample
  double filter_scale = 1;   // max(scale, 1): the kernel stretches only when downscaling
  double support = kSupport; // half-width of the stretched kernel, in input samples

  AxisSampling(int in_size, int out_size);
  double center(int i) const { return (i + 0.5) * scale; }
  // Weight (before normalisation) of input sample j for an output sample centred at `center`.
  double weight(int j, double center) const;
};

// The fixed-point taps of every output sample of one axis, precomputed once per resize.
struct AxisFilter {
  int stride = 0;               // coefficients stored per output sample (the widest window)
  std::vector<int> first;       // first input sample read by each output sample
  std::vector<int> count;       // number of input samples it reads
  std::vector<int32_t> coeffs;  // [out_size × stride], fixed point; unused slots are 0

  int end(int i) const { return first[i] + count[i]; }
  const int32_t* taps(int i) const { return coeffs.data() + static_cast<size_t>(i) * stride; }
};
AxisFilter make_axis_filter(int in_size, int out_size);

// Throws Error for an empty or malformed source image or a non-positive output size.
void check_resize_arguments(const Image& src, int out_width, int out_height);

}  // namespace winclip::pillow
