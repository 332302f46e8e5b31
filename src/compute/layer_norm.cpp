#include "compute/layer_norm.hpp"

#include <cmath>

#include "compute/bf16.hpp"
#include "compute/simd.hpp"

namespace winclip::compute {

namespace {

inline float as_output(float v, float*) { return v; }
inline uint16_t as_output(float v, uint16_t*) { return float_to_bf16(v); }

// Σ f(x[i]) over a row: vectors `f` then scalars `g` past the last whole vector. Four accumulators: with one,
// each add waits on the last and a row of 896 took ~220 cycles per pass in latency alone.
template <typename F, typename G>
float lane_sum(const float* x, int64_t vw, int64_t width, F f, G g) {
  FloatV acc[4] = {splat(0.f), splat(0.f), splat(0.f), splat(0.f)};
  int64_t i = 0;
  for (; i + 4 * kLanes <= vw; i += 4 * kLanes)
    for (int u = 0; u < 4; ++u) acc[u] += f(load(x + i + u * kLanes));
  for (; i < vw; i += kLanes) acc[0] += f(load(x + i));
  float s = reduce_add((acc[0] + acc[1]) + (acc[2] + acc[3]));
  for (i = vw; i < width; ++i) s += g(x[i]);
  return s;
}

template <typename Out>
void layer_norm_rows(const float* x, int64_t rows, int64_t width, const float* gamma, const float* beta, Out* y) {
  const int64_t vw = width & ~int64_t{kLanes - 1};
#pragma omp parallel for schedule(static) if (rows > 16)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * width;
    Out* yr = y + r * width;
    // Two passes, sums in vector lanes: well inside the 1e-6 noise torch itself has.
    const float mean = lane_sum(xr, vw, width, [](FloatV v) { return v; }, [](float v) { return v; }) /
                       static_cast<float>(width);
    const FloatV mean_v = splat(mean);
    const float ss = lane_sum(
        xr, vw, width, [mean_v](FloatV v) { return (v - mean_v) * (v - mean_v); },
        [mean](float v) { return (v - mean) * (v - mean); });
    const float inv = 1.0f / std::sqrt(ss / static_cast<float>(width) + kLayerNormEps);
    for (int64_t i = 0; i < vw; i += kLanes)
      store_lanes(yr + i, (load(xr + i) - mean) * inv * load(gamma + i) + load(beta + i));
    for (int64_t i = vw; i < width; ++i) yr[i] = as_output((xr[i] - mean) * inv * gamma[i] + beta[i], yr);
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
