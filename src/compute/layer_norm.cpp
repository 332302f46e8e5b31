#include "compute/layer_norm.hpp"

#include <cmath>

#include "compute/bf16.hpp"
#include "compute/simd.hpp"

namespace winclip::compute {

namespace {

inline float store(float v, float*) { return v; }
inline uint16_t store(float v, uint16_t*) { return float_to_bf16(v); }

template <typename Out>
void layer_norm_rows(const float* x, int64_t rows, int64_t width, const float* gamma, const float* beta, Out* y) {
  const int64_t vw = width & ~int64_t{7};
#pragma omp parallel for schedule(static) if (rows > 16)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * width;
    Out* yr = y + r * width;
    // Two passes, sums in eight float lanes: well inside the 1e-6 noise torch itself has.
    f32x8 s8 = splat8(0.f);
    for (int64_t i = 0; i < vw; i += 8) s8 += load8(xr + i);
    float s = sum8(s8);
    for (int64_t i = vw; i < width; ++i) s += xr[i];
    const float mean = s / static_cast<float>(width);
    f32x8 ss8 = splat8(0.f);
    for (int64_t i = 0; i < vw; i += 8) {
      const f32x8 c = load8(xr + i) - splat8(mean);
      ss8 += c * c;
    }
    float ss = sum8(ss8);
    for (int64_t i = vw; i < width; ++i) ss += (xr[i] - mean) * (xr[i] - mean);
    const float inv = 1.0f / std::sqrt(ss / static_cast<float>(width) + kLayerNormEps);
    for (int64_t i = 0; i < vw; i += 8)
      store_lanes(yr + i, (load8(xr + i) - mean) * inv * load8(gamma + i) + load8(beta + i));
    for (int64_t i = vw; i < width; ++i) yr[i] = store((xr[i] - mean) * inv * gamma[i] + beta[i], yr);
  }
}

}  // namespace

void layer_norm(const float* x, int64_t rows, int64_t width, const float* gamma, const float* beta, float* y) {
  layer_norm_rows(x, rows, width, gamma, beta, y);
}

void layer_norm(const float* x, int64_t rows, int64_t width, const float* gamma, const float* beta, uint16_t* y) {
  layer_norm_rows(x, rows, width, gamma, beta, y);
}

void layer_norm_reference(const float* x, int64_t rows, int64_t width, const float* gamma, const float* beta,
                          float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < width; ++i) mean += x[r * width + i];
    mean /= static_cast<double>(width);
    for (int64_t i = 0; i < width; ++i) var += (x[r * width + i] - mean) * (x[r * width + i] - mean);
    var /= static_cast<double>(width);
    const double inv = 1.0 / std::sqrt(var + kLayerNormEps);
    for (int64_t i = 0; i < width; ++i)
      y[r * width + i] = static_cast<float>((x[r * width + i] - mean) * inv * gamma[i] + beta[i]);
  }
}

}  // namespace winclip::compute
