#include "compute/attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "compute/bf16.hpp"
#include "compute/simd.hpp"

namespace winclip::compute {

namespace {

inline void store_scalar(float v, float* out) { *out = v; }
inline void store_scalar(float v, uint16_t* out) { *out = float_to_bf16(v); }

float dot(const float* a, const float* b, int64_t d) {
  const int64_t vd = d & ~int64_t{kLanes - 1};
  FloatV s0 = splat(0.f);
  for (int64_t t = 0; t < vd; t += kLanes) s0 += load(a + t) * load(b + t);
  float s = reduce_add(s0);
  for (int64_t t = vd; t < d; ++t) s += a[t] * b[t];
  return s;
}

// p[0..keys) ← exp(p - max p), returning their sum: the unnormalised softmax.
float softmax_numerators(float* p, int64_t keys) {
  FloatV mv = splat(-INFINITY);
  int64_t j = 0;
  for (; j + kLanes <= keys; j += kLanes) mv = max(mv, load(p + j));
  float max_score = reduce_max(mv);
  for (; j < keys; ++j) max_score = std::max(max_score, p[j]);
  FloatV sum_v = splat(0.f);
  for (j = 0; j + kLanes <= keys; j += kLanes) {
    const FloatV e = exp_lanes(load(p + j) - splat(max_score));
    store(p + j, e);
    sum_v += e;
  }
  float sum = reduce_add(sum_v);
  if (j < keys) {
    float tail[kLanes];
    std::fill(tail, tail + kLanes, max_score);
    std::copy(p + j, p + keys, tail);
    const FloatV e = exp_lanes(load(tail) - splat(max_score));
    for (int r = 0; j + r < keys; ++r) sum += (p[j + r] = e[r]);
  }
  return sum;
}

// One head of one sequence: softmax(q·kᵀ/√d)·v for its first `queries` of `len` rows, q/k/v rows `stride`
// apart.
// kD is the head dimension when it is a compile-time multiple of two vectors (64 in every CLIP model), so q
// and the output accumulator stay in registers. Long sequences (the full image) first lay kᵀ out, so each
// query's scores come kLanes keys per vector with no horizontal sums; short ones (windows of 5 or 10
// tokens) take one dot product per key, which costs less than the transposition. kD = 0 reads the
// dimension from `d` (plain loops). `scratch`: (d + 1)·(len + kLanes) floats.
template <int kD, typename Out>
void attend(const float* q0, const float* k0, const float* v0, int64_t stride, int64_t len, int64_t queries,
            int64_t d, bool causal, float scale, float* scratch, Out* out, int64_t out_stride) {
  static_assert(kD == 0 || kD % (2 * kLanes) == 0);
  constexpr int kV = kD / kLanes;  // vectors per head row
  const int64_t padded = (len + kLanes - 1) & ~int64_t{kLanes - 1};
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
        // Four blocks of keys at a time: four independent FMA chains hide the FMA latency.
        const int64_t blocks = (keys + kLanes - 1) / kLanes;
        for (int64_t b0 = 0; b0 < blocks; b0 += 4) {
          const int64_t nb = std::min<int64_t>(4, blocks - b0);
          FloatV sv[4] = {splat(0.f), splat(0.f), splat(0.f), splat(0.f)};
          for (int t = 0; t < kD; ++t) {
            const FloatV qt = splat(q[t]);
            const float* row = kt + t * padded + kLanes * b0;
            for (int64_t b = 0; b < nb; ++b) sv[b] += qt * load(row + kLanes * b);
          }
          for (int64_t b = 0; b < nb; ++b) store(p + kLanes * (b0 + b), sv[b]);
        }
      } else {
        // Short sequence: one dot product per key, the keys' chains overlapping out of order.
        FloatV q[kV];
        for (int t = 0; t < kV; ++t) q[t] = load(qi + kLanes * t) * splat(scale);
        for (int64_t j = 0; j < keys; ++j) {
          const float* kj = k0 + j * stride;
          FloatV s0 = q[0] * load(kj), s1 = q[1] * load(kj + kLanes);
          for (int t = 2; t < kV; t += 2) {
            s0 += q[t] * load(kj + kLanes * t);
            s1 += q[t + 1] * load(kj + kLanes * t + kLanes);
          }
          p[j] = reduce_add(s0 + s1);
        }
      }
      const float inv = 1.0f / softmax_numerators(p, keys);
      FloatV a[kV];
      for (int t = 0; t < kV; ++t) a[t] = splat(0.f);
      for (int64_t j = 0; j < keys; ++j) {
        const float* vj = v0 + j * stride;
        const FloatV w = splat(p[j]);
        for (int t = 0; t < kV; ++t) a[t] += w * load(vj + kLanes * t);
      }
      for (int t = 0; t < kV; ++t) store_lanes(oi + kLanes * t, a[t] * splat(inv));
    } else {
      float* acc = kt;
      for (int64_t t = 0; t < d; ++t) acc[t] = qi[t] * scale;
      for (int64_t j = 0; j < keys; ++j) p[j] = dot(acc, k0 + j * stride, d);
      const float inv = 1.0f / softmax_numerators(p, keys);
      std::fill(acc, acc + d, 0.f);
      for (int64_t j = 0; j < keys; ++j)
        for (int64_t t = 0; t < d; ++t) acc[t] += p[j] * v0[j * stride + t];
      for (int64_t t = 0; t < d; ++t) store_scalar(acc[t] * inv, oi + t);
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
    std::vector<float> scratch(static_cast<size_t>((d + 1) * (longest + kLanes)));
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
