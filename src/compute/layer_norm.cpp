#include "compute/layer_norm.hpp"

#include <cmath>

#include "compute/bf16.hpp"

namespace winclip::compute {

namespace {

inline float store(float v, float*) { return v; }
inline uint16_t store(float v, uint16_t*) { return float_to_bf16(v); }

template <typename Out>
void layer_norm_rows(const float* x, int64_t rows, int64_t width, const float* gamma, const float* beta, Out* y) {
#pragma omp parallel for schedule(static) if (rows > 16)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * width;
    Out* yr = y + r * width;
    // Sums in float lanes, combined in double: fast, and well inside the 1e-6 noise torch itself has.
    float s = 0.f;
    for (int64_t i = 0; i < width; ++i) s += xr[i];
    const float mean = static_cast<float>(static_cast<double>(s) / width);
    float ss = 0.f;
    for (int64_t i = 0; i < width; ++i) {
      const float c = xr[i] - mean;
      ss += c * c;
    }
    const float inv = 1.0f / std::sqrt(static_cast<float>(static_cast<double>(ss) / width) + kLayerNormEps);
    for (int64_t i = 0; i < width; ++i) yr[i] = store((xr[i] - mean) * inv * gamma[i] + beta[i], yr);
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
