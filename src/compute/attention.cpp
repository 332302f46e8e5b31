#include "compute/attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "compute/bf16.hpp"
#include "compute/simd.hpp"

namespace winclip::compute {

namespace {

inline void store(float v, float* out) { *out = v; }
inline void store(float v, uint16_t* out) { *out = float_to_bf16(v); }

float dot(const float* a, const float* b, int64_t d) {
  const int64_t vd = d & ~int64_t{7};
  f32x8 s0 = splat8(0.f);
  for (int64_t t = 0; t < vd; t += 8) s0 += load8(a + t) * load8(b + t);
  float s = sum8(s0);
  for (int64_t t = vd; t < d; ++t) s += a[t] * b[t];
  return s;
}

// p[0..keys) ← exp(p - max p), returning their sum: the unnormalised softmax.
float softmax_numerators(float* p, int64_t keys) {
  f32x8 m8 = splat8(-INFINITY);
  int64_t j = 0;
  for (; j + 8 <= keys; j += 8) m8 = max8(m8, load8(p + j));
  float max_score = -INFINITY;
  for (int r = 0; r < 8; ++r) max_score = std::max(max_score, m8[r]);
  for (; j < keys; ++j) max_score = std::max(max_score, p[j]);
  f32x8 sum8v = splat8(0.f);
  for (j = 0; j + 8 <= keys; j += 8) {
    const f32x8 e = exp8(load8(p + j) - splat8(max_score));
    store8(p + j, e);
    sum8v += e;
  }
  float sum = sum8(sum8v);
  if (j < keys) {
    float tail[8];
    std::fill(tail, tail + 8, max_score);
    std::copy(p + j, p + keys, tail);
    const f32x8 e = exp8(load8(tail) - splat8(max_score));
    for (int r = 0; j + r < keys; ++r) sum += (p[j + r] = e[r]);
  }
  return sum;
}

// One head of one sequence: softmax(q·kᵀ/√d)·v for its first `queries` of `len` rows, q/k/v rows `stride`
// apart.
// kD is the head dimension when it is a compile-time multiple of 16 (64 in every CLIP model), so q and the
// output accumulator stay in registers. Long sequences (the full image) first lay kᵀ out, so each query's
// scores come eight keys per vector with no horizontal sums; short ones (windows of 5 or 10 tokens) take
// one dot product per key, which costs less than the transposition. kD = 0 reads the dimension from `d`
// (plain loops). `scratch`: (d + 1)·(len + 8) floats.
template <int kD, typename Out>
void attend(const float* q0, const float* k0, const float* v0, int64_t stride, int64_t len, int64_t queries,
            int64_t d, bool causal, float scale, float* scratch, Out* out, int64_t out_stride) {
  static_assert(kD == 0 || kD % 16 == 0);
  const int64_t padded = (len + 7) & ~int64_t{7};
  float* p = scratch;
  float* kt = scratch + padded;  // [d, padded]: kᵀ, zero past len
  // Laying kᵀ out pays once the sequence is long enough for several blocks of keys.
  const bool transposed = kD > 0 && len >= 32;
  if (transposed) {
    for (int64_t t = 0; t < kD; ++t) {
      for (int64_t j = 0; j < len; ++j) kt[t * padded + j] = k0[j * stride + t];
      for (int64_t j = len; j < padded; ++j) kt[t * padded + j] = 0.f;
    }
  }
  for (int64_t i = 0; i < queries; ++i) {
    const float* qi = q0 + i * stride;
    const int64_t keys = causal ? i + 1 : len;
    Out* oi = out + i * out_stride;
    if constexpr (kD > 0) {
      if (transposed) {
        float q[kD];
        for (int t = 0; t < kD; ++t) q[t] = qi[t] * scale;  // torch scales q before the product
        // Four blocks of eight keys at a time: four independent FMA chains hide the FMA latency.
        const int64_t blocks = (keys + 7) / 8;
        for (int64_t b0 = 0; b0 < blocks; b0 += 4) {
          const int64_t nb = std::min<int64_t>(4, blocks - b0);
          f32x8 s[4] = {splat8(0.f), splat8(0.f), splat8(0.f), splat8(0.f)};
          for (int t = 0; t < kD; ++t) {
            const f32x8 qt = splat8(q[t]);
            const float* row = kt + t * padded + 8 * b0;
            for (int64_t b = 0; b < nb; ++b) s[b] += qt * load8(row + 8 * b);
          }
          for (int64_t b = 0; b < nb; ++b) store8(p + 8 * (b0 + b), s[b]);
        }
      } else {
        // Short sequence: one dot product per key, the keys' chains overlapping out of order.
        f32x8 q[kD / 8];
        for (int t = 0; t < kD / 8; ++t) q[t] = load8(qi + 8 * t) * splat8(scale);
        for (int64_t j = 0; j < keys; ++j) {
          const float* kj = k0 + j * stride;
          f32x8 s0 = q[0] * load8(kj), s1 = q[1] * load8(kj + 8);
          for (int t = 2; t < kD / 8; t += 2) {
            s0 += q[t] * load8(kj + 8 * t);
            s1 += q[t + 1] * load8(kj + 8 * t + 8);
          }
          p[j] = sum8(s0 + s1);
        }
      }
      const float inv = 1.0f / softmax_numerators(p, keys);
      f32x8 a[kD / 8];
      for (int t = 0; t < kD / 8; ++t) a[t] = splat8(0.f);
      for (int64_t j = 0; j < keys; ++j) {
        const float* vj = v0 + j * stride;
        const f32x8 w = splat8(p[j]);
        for (int t = 0; t < kD / 8; ++t) a[t] += w * load8(vj + 8 * t);
      }
      for (int t = 0; t < kD / 8; ++t) store_lanes(oi + 8 * t, a[t] * splat8(inv));
    } else {
      float* acc = kt;
      for (int64_t t = 0; t < d; ++t) acc[t] = qi[t] * scale;
      for (int64_t j = 0; j < keys; ++j) p[j] = dot(acc, k0 + j * stride, d);
      const float inv = 1.0f / softmax_numerators(p, keys);
      std::fill(acc, acc + d, 0.f);
      for (int64_t j = 0; j < keys; ++j)
        for (int64_t t = 0; t < d; ++t) acc[t] += p[j] * v0[j * stride + t];
      for (int64_t t = 0; t < d; ++t) store(acc[t] * inv, oi + t);
    }
  }
}

template <int kD, typename Out>
void attention(const float* qkv, int64_t width, int heads, const SequenceBatch& batch, Out* out) {
  const int64_t d = width / heads, stride = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const int64_t tasks = static_cast<int64_t>(batch.size()) * heads;
  const int64_t longest = batch.size() ? *std::max_element(batch.lengths.begin(), batch.lengths.end()) : 0;
#pragma omp parallel
  {
    std::vector<float> scratch(static_cast<size_t>((d + 1) * (longest + 8)));
#pragma omp for schedule(dynamic, 4)
    for (int64_t task = 0; task < tasks; ++task) {
      const size_t s = static_cast<size_t>(task / heads);
      const int64_t h = task % heads, off = batch.offsets[s];
      const float* q0 = qkv + off * stride + h * d;
      attend<kD>(q0, q0 + width, q0 + 2 * width, stride, batch.lengths[s], batch.rows_read(s), d, batch.causal,
                 scale, scratch.data(), out + off * width + h * d, width);
    }
  }
}

template <typename Out>
void dispatch(const float* qkv, int64_t width, int heads, const SequenceBatch& batch, Out* out) {
  if (width / heads == 64)
    attention<64>(qkv, width, heads, batch, out);
  else
    attention<0>(qkv, width, heads, batch, out);
}

}  // namespace

void multi_head_attention(const float* qkv, int64_t width, int heads, const SequenceBatch& batch, float* out) {
  dispatch(qkv, width, heads, batch, out);
}

void multi_head_attention(const float* qkv, int64_t width, int heads, const SequenceBatch& batch, uint16_t* out) {
  dispatch(qkv, width, heads, batch, out);
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
