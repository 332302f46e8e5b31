#include "compute/attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "compute/bf16.hpp"

namespace winclip::compute {

namespace {

inline float store(float v, float*) { return v; }
inline uint16_t store(float v, uint16_t*) { return float_to_bf16(v); }

template <typename Out>
void attention(const float* qkv, int64_t width, int heads, const SequenceBatch& batch, Out* out) {
  const int64_t d = width / heads;
  const int64_t stride = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const int64_t tasks = static_cast<int64_t>(batch.size()) * heads;
#pragma omp parallel
  {
    std::vector<float> q(static_cast<size_t>(d)), p, acc(static_cast<size_t>(d));
#pragma omp for schedule(dynamic, 4)
    for (int64_t task = 0; task < tasks; ++task) {
      const size_t s = static_cast<size_t>(task / heads);
      const int64_t h = task % heads;
      const int64_t off = batch.offsets[s], len = batch.lengths[s];
      p.resize(static_cast<size_t>(len));
      const float* kbase = qkv + off * stride + width + h * d;
      const float* vbase = qkv + off * stride + 2 * width + h * d;
      for (int64_t i = 0; i < len; ++i) {
        const float* qi = qkv + (off + i) * stride + h * d;
        for (int64_t t = 0; t < d; ++t) q[t] = qi[t] * scale;
        const int64_t keys = batch.causal ? i + 1 : len;
        float max_score = -INFINITY;
        for (int64_t j = 0; j < keys; ++j) {
          const float* kj = kbase + j * stride;
          float dot = 0.f;
          for (int64_t t = 0; t < d; ++t) dot += q[t] * kj[t];
          p[j] = dot;
          max_score = std::max(max_score, dot);
        }
        float sum = 0.f;
        for (int64_t j = 0; j < keys; ++j) {
          p[j] = std::exp(p[j] - max_score);
          sum += p[j];
        }
        std::fill(acc.begin(), acc.end(), 0.f);
        for (int64_t j = 0; j < keys; ++j) {
          const float* vj = vbase + j * stride;
          const float w = p[j];
          for (int64_t t = 0; t < d; ++t) acc[t] += w * vj[t];
        }
        Out* oi = out + (off + i) * width + h * d;
        const float inv = 1.0f / sum;
        for (int64_t t = 0; t < d; ++t) oi[t] = store(acc[t] * inv, oi);
      }
    }
  }
}

}  // namespace

void multi_head_attention(const float* qkv, int64_t width, int heads, const SequenceBatch& batch, float* out) {
  attention(qkv, width, heads, batch, out);
}

void multi_head_attention(const float* qkv, int64_t width, int heads, const SequenceBatch& batch, uint16_t* out) {
  attention(qkv, width, heads, batch, out);
}

void multi_head_attention_reference(const float* qkv, int64_t rows, int64_t width, int heads, bool causal,
                                    const bool* key_visible, float* out) {
  const int64_t d = width / heads;
  const int64_t stride = 3 * width;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  std::vector<double> p(static_cast<size_t>(rows));
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < rows; ++i) {
      double max_score = -INFINITY;
      for (int64_t j = 0; j < rows; ++j) {
        const bool visible = (!causal || j <= i) && (!key_visible || key_visible[j]);
        if (!visible) {
          p[j] = -INFINITY;
          continue;
        }
        double dot = 0;
        for (int64_t t = 0; t < d; ++t) dot += qkv[i * stride + h * d + t] * scale * qkv[j * stride + width + h * d + t];
        p[j] = dot;
        max_score = std::max(max_score, dot);
      }
      double sum = 0;
      for (int64_t j = 0; j < rows; ++j) sum += (p[j] = std::isinf(p[j]) ? 0.0 : std::exp(p[j] - max_score));
      for (int64_t t = 0; t < d; ++t) {
        double acc = 0;
        for (int64_t j = 0; j < rows; ++j) acc += p[j] * qkv[j * stride + 2 * width + h * d + t];
        out[i * width + h * d + t] = static_cast<float>(acc / sum);
      }
    }
  }
}

}  // namespace winclip::compute
