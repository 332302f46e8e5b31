#include "compute/layer_norm.hpp"

#include <cmath>

#include "compute/bf16.hpp"
#include "compute/simd.hpp"

namespace winclip::compute {

namespace {

inline float store_scalar(float v, float*) { return v; }
inline uint16_t store_scalar(float v, uint16_t*) { return float_to_bf16(v); }

template <typename Out>
void layer_norm_rows(const float* x, int64_t rows, int64_t width, const float* gamma, const float* beta, Out* y) {
  const int64_t vw = width & ~int64_t{kLanes - 1};
#pragma omp parallel for schedule(static) if (rows > 16)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * width;
    Out* yr = y + r * width;
    // Two passes, sums in vector lanes: well inside the 1e-6 noise torch itself has.
    FloatV sv = splat(0.f);
    for (int64_t i = 0; i < vw; i += kLanes) sv += load(xr + i);
    float s = reduce_add(sv);
    for (int64_t i = vw; i < width; ++i) s += xr[i];
    const float mean = s / static_cast<float>(width);
    FloatV ssv = splat(0.f);
    for (int64_t i = 0; i < vw; i += kLanes) {
      const FloatV c = load(xr + i) - splat(mean);
      ssv += c * c;
    }
    float ss = reduce_add(ssv);
    for (int64_t i = vw; i < width; ++i) ss += (xr[i] - mean) * (xr[i] - mean);
    const float inv = 1.0f / std::sqrt(ss / static_cast<float>(width) + kLayerNormEps);
    for (int64_t i = 0; i < vw; i += kLanes)
      store_lanes(yr + i, (load(xr + i) - mean) * inv * load(gamma + i) + load(beta + i));
    for (int64_t i = vw; i < width; ++i) yr[i] = store_scalar((xr[i] - mean) * inv * gamma[i] + beta[i], yr);
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
