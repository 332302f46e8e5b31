#include "compute/attention.hpp"

#include <omp.h>

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

// p[0..keys) ← exp(p - max p), returning their sum: the unnormalised softmax. p must have room for kLanes
// floats past keys (they are read, and may be overwritten).
float softmax_numerators(float* p, int64_t keys) {
  if (keys <= kLanes) {
    // One vector (windows have 5 or 10 keys): lanes past the keys are masked out, not copied around.
    IntV lane;
    for (int r = 0; r < kLanes; ++r) lane[r] = r;
    const auto valid = lane < static_cast<int32_t>(keys);
    const FloatV v = valid ? load(p) : splat(-INFINITY);
    const FloatV e = valid ? exp_lanes(v - splat(reduce_max(v))) : splat(0.f);
    store(p, e);
    return reduce_add(e);
  }
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

// Softmax of both queries' scores (scores[r][0..keys[r])), then out row r ← Σ_j p_rj·v_j for the first
// `pair` of them. keys[1] ≥ keys[0]; the first query's scores past its keys are zeroed so one loop over
// keys[1] serves both, each load of v feeding two FMA chains.
template <int kD, typename Out>
void weigh_values(float* const scores[2], const int64_t keys[2], const float* v0, int64_t stride, int pair,
                  Out* out, int64_t out_stride) {
  constexpr int kV = kD / kLanes;
  float inv[2];
  for (int r = 0; r < 2; ++r) {
    inv[r] = 1.0f / softmax_numerators(scores[r], keys[r]);
    std::fill(scores[r] + keys[r], scores[r] + keys[1], 0.f);
  }
  if constexpr (2 * kV <= 8) {
    FloatV acc[2][kV];
    for (int t = 0; t < kV; ++t) acc[0][t] = acc[1][t] = splat(0.f);
    for (int64_t j = 0; j < keys[1]; ++j) {
      const float* vj = v0 + j * stride;
      const FloatV wa = splat(scores[0][j]), wb = splat(scores[1][j]);
      for (int t = 0; t < kV; ++t) {
        const FloatV v = load(vj + kLanes * t);
        acc[0][t] += wa * v;
        acc[1][t] += wb * v;
      }
    }
    for (int r = 0; r < pair; ++r)
      for (int t = 0; t < kV; ++t) store_lanes(out + r * out_stride + kLanes * t, acc[r][t] * splat(inv[r]));
  } else {
    // Narrow vectors (AVX2: 8 per head row): two queries' accumulators would not fit the 16 registers.
    for (int r = 0; r < pair; ++r) {
      FloatV acc[kV];
      for (int t = 0; t < kV; ++t) acc[t] = splat(0.f);
      for (int64_t j = 0; j < keys[r]; ++j) {
        const FloatV w = splat(scores[r][j]);
        for (int t = 0; t < kV; ++t) acc[t] += w * load(v0 + j * stride + kLanes * t);
      }
      for (int t = 0; t < kV; ++t) store_lanes(out + r * out_stride + kLanes * t, acc[t] * splat(inv[r]));
    }
  }
}

// One head of one sequence: softmax(q·kᵀ/√d)·v for its first `queries` of `len` rows, q/k/v rows `stride`
// apart, written `out_stride` apart. kD is the head dimension when it is a compile-time multiple of two
// vectors (64 in every CLIP model), so q and the output accumulators stay in registers; kD = 0 reads the
// dimension from `d` (plain loops). `scratch`: (d + 2)·(len + kLanes) floats.
//
// Long sequences (the full image, the text) first lay kᵀ out, so scores come kLanes keys per vector with
// no horizontal sums, and take two queries at a time: each load of kᵀ or v then feeds two independent FMA
// chains (one query alone left the FMA units waiting on latency). Short ones (windows of 5 or 10 tokens)
// take one dot product per key, which costs less than the transposition, also two queries at a time.
template <int kD, typename Out>
void attend_long(const float* q0, const float* k0, const float* v0, int64_t stride, int64_t len, int64_t queries,
                 bool causal, float scale, float* scratch, Out* out, int64_t out_stride) {
  const int64_t padded = (len + kLanes - 1) & ~int64_t{kLanes - 1};
  float* const scores[2] = {scratch, scratch + padded};
  float* kt = scratch + 2 * padded;  // [kD, padded]: kᵀ, zero past len
  for (int64_t t = 0; t < kD; ++t) {
    for (int64_t j = 0; j < len; ++j) kt[t * padded + j] = k0[j * stride + t];
    for (int64_t j = len; j < padded; ++j) kt[t * padded + j] = 0.f;
  }
  for (int64_t i = 0; i < queries; i += 2) {
    const int pair = queries - i < 2 ? 1 : 2;
    int64_t keys[2];
    float q[2][kD];
    for (int r = 0; r < 2; ++r) {
      // A lone last query is paired with itself: same work, its second result unused.
      const float* qi = q0 + (i + (r < pair ? r : 0)) * stride;
      keys[r] = causal ? i + (r < pair ? r : 0) + 1 : len;
      for (int t = 0; t < kD; ++t) q[r][t] = qi[t] * scale;  // torch scales q before the product
    }
    const int64_t blocks = (keys[1] + kLanes - 1) / kLanes;  // keys[1] ≥ keys[0]
    for (int64_t b0 = 0; b0 < blocks; b0 += 4) {
      const int64_t nb = std::min<int64_t>(4, blocks - b0);
      FloatV sv[2][4] = {{splat(0.f), splat(0.f), splat(0.f), splat(0.f)},
                         {splat(0.f), splat(0.f), splat(0.f), splat(0.f)}};
      for (int t = 0; t < kD; ++t) {
        const FloatV qa = splat(q[0][t]), qb = splat(q[1][t]);
        const float* row = kt + t * padded + kLanes * b0;
        for (int64_t b = 0; b < nb; ++b) {
          const FloatV k = load(row + kLanes * b);
          sv[0][b] += qa * k;
          sv[1][b] += qb * k;
        }
      }
      for (int r = 0; r < 2; ++r)
        for (int64_t b = 0; b < nb; ++b) store(scores[r] + kLanes * (b0 + b), sv[r][b]);
    }
    weigh_values<kD>(scores, keys, v0, stride, pair, out + i * out_stride, out_stride);
  }
}

template <int kD, typename Out>
void attend_short(const float* q0, const float* k0, const float* v0, int64_t stride, int64_t len, int64_t queries,
                  bool causal, float scale, float* scratch, Out* out, int64_t out_stride) {
  constexpr int kV = kD / kLanes;
  float* const scores[2] = {scratch, scratch + len + kLanes};
  // Two queries at a time, as in attend_long: each load of k or v feeds two chains, and the two softmaxes
  // overlap (one query's scores → softmax → weighted sum is one long dependency chain).
  for (int64_t i = 0; i < queries; i += 2) {
    const int pair = queries - i < 2 ? 1 : 2;
    int64_t keys[2];
    FloatV q[2][kV];
    for (int r = 0; r < 2; ++r) {
      const int64_t row = i + (r < pair ? r : 0);
      keys[r] = causal ? row + 1 : len;
      for (int t = 0; t < kV; ++t) q[r][t] = load(q0 + row * stride + kLanes * t) * splat(scale);
    }
    // q·k_j for both queries, in lanes.
    const auto partial = [&](int64_t j, FloatV& sa, FloatV& sb) {
      const float* kj = k0 + j * stride;
      FloatV k = load(kj);
      sa = q[0][0] * k;
      sb = q[1][0] * k;
      for (int t = 1; t < kV; ++t) {
        k = load(kj + kLanes * t);
        sa += q[0][t] * k;
        sb += q[1][t] * k;
      }
    };
    int64_t key = 0;
    for (; key + 4 <= keys[1]; key += 4) {
      FloatV a[4], b[4];
      for (int u = 0; u < 4; ++u) partial(key + u, a[u], b[u]);
      reduce_add4(a[0], a[1], a[2], a[3], scores[0] + key);
      reduce_add4(b[0], b[1], b[2], b[3], scores[1] + key);
    }
    for (; key < keys[1]; ++key) {
      FloatV a, b;
      partial(key, a, b);
      scores[0][key] = reduce_add(a);
      scores[1][key] = reduce_add(b);
    }
    weigh_values<kD>(scores, keys, v0, stride, pair, out + i * out_stride, out_stride);
  }
}

template <typename Out>
void attend_any(const float* q0, const float* k0, const float* v0, int64_t stride, int64_t len, int64_t queries,
                int64_t d, bool causal, float scale, float* scratch, Out* out, int64_t out_stride) {
  float* p = scratch;
  float* acc = scratch + len + kLanes;
  for (int64_t i = 0; i < queries; ++i) {
    const float* qi = q0 + i * stride;
    const int64_t keys = causal ? i + 1 : len;
    for (int64_t t = 0; t < d; ++t) acc[t] = qi[t] * scale;
    for (int64_t j = 0; j < keys; ++j) p[j] = dot(acc, k0 + j * stride, d);
    const float inv = 1.0f / softmax_numerators(p, keys);
    std::fill(acc, acc + d, 0.f);
    for (int64_t j = 0; j < keys; ++j)
      for (int64_t t = 0; t < d; ++t) acc[t] += p[j] * v0[j * stride + t];
    for (int64_t t = 0; t < d; ++t) store_scalar(acc[t] * inv, out + i * out_stride + t);
  }
}

template <int kD, typename Out>
void attend(const float* q0, const float* k0, const float* v0, int64_t stride, int64_t len, int64_t queries,
            int64_t d, bool causal, float scale, float* scratch, Out* out, int64_t out_stride) {
  static_assert(kD == 0 || kD % (2 * kLanes) == 0);
  if constexpr (kD == 0)
    attend_any(q0, k0, v0, stride, len, queries, d, causal, scale, scratch, out, out_stride);
  else if (len >= 32)  // laying kᵀ out pays once there are several blocks of keys
    attend_long<kD>(q0, k0, v0, stride, len, queries, causal, scale, scratch, out, out_stride);
  else
    attend_short<kD>(q0, k0, v0, stride, len, queries, causal, scale, scratch, out, out_stride);
}

template <int kD, typename Out>
void attention(const float* qkv, int64_t width, int heads, const SequenceBatch& batch, Out* out) {
  const int64_t d = width / heads, stride = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const int64_t tasks = static_cast<int64_t>(batch.size()) * heads;
  const int64_t longest = batch.size() ? *std::max_element(batch.lengths.begin(), batch.lengths.end()) : 0;
  // Many sequences (windows): one thread takes all heads of a sequence, whose rows it then reads whole
  // (heads split between threads made both cores pull each other's lines: windows took 2.05 ms instead of
  // 1.6 per layer). Few sequences: heads are the tasks, so every thread has work.
  const int chunk = static_cast<int64_t>(batch.size()) >= 8 * omp_get_max_threads() ? heads : 1;
#pragma omp parallel
  {
    std::vector<float> scratch(static_cast<size_t>((d + 2) * (longest + kLanes)));
#pragma omp for schedule(dynamic, chunk)
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
