#include "compute/attention.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "compute/bf16.hpp"
#include "compute/simd.hpp"

namespace winclip::compute {

namespace {

inline float to_float(float v) { return v; }
inline float to_float(uint16_t v) { return bf16_to_float(v); }
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

// p[0..keys) ← exp(p - max p), returning their sum: the unnormalised softmax. p must hold at least kLanes
// initialised floats: a short row is read as one vector, and p[keys..kLanes) is overwritten with zeros.
float softmax_numerators(float* p, int64_t keys) {
  if (keys <= kLanes) {
    // One vector (windows have 5 or 10 keys): lanes past the keys are masked out, not copied around.
    IntV lane;
    for (int r = 0; r < kLanes; ++r) lane[r] = r;
    const auto valid = lane < static_cast<int32_t>(keys);
    const FloatV v = valid ? load(p) : splat(-INFINITY);
    const FloatV e = valid ? exp_lanes(v - max_all(v)) : splat(0.f);
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

// A group of kQ queries handled together: each load of k or v then feeds kQ independent FMA chains (one
// query alone leaves the FMA units waiting on latency), and their softmaxes overlap. kQ·(vectors per head
// row) accumulators must fit the registers: 32 with AVX-512, 16 with AVX2.
constexpr int kAccumulators = kLanes == 16 ? 16 : 8;  // half the vector registers (32 or 16)

template <int kD>
constexpr int group_size(int wanted) {
  constexpr int kV = kD / kLanes;
  return wanted * kV <= kAccumulators ? wanted : (2 * kV <= kAccumulators ? 2 : 1);
}

// Softmax of each query's scores (scores[r][0..keys[r])), then out row r ← Σ_j p_rj·v_j for the first `used`
// of the group. keys[] ascend; scores past a query's own keys are zeroed so one loop over the last query's
// keys serves all.
template <int kD, int kQ, typename Out>
void weigh_values(float* const scores[kQ], const int64_t keys[kQ], const float* v0, int64_t stride, int used,
                  Out* out, int64_t out_stride) {
  constexpr int kV = kD / kLanes;
  const int64_t last = keys[kQ - 1];
  float inv[kQ];
  for (int r = 0; r < kQ; ++r) {
    inv[r] = 1.0f / softmax_numerators(scores[r], keys[r]);
    std::fill(scores[r] + keys[r], scores[r] + last, 0.f);
  }
  FloatV acc[kQ][kV];
  for (int r = 0; r < kQ; ++r)
    for (int t = 0; t < kV; ++t) acc[r][t] = splat(0.f);
  for (int64_t j = 0; j < last; ++j) {
    const float* vj = v0 + j * stride;
    FloatV w[kQ];
    for (int r = 0; r < kQ; ++r) w[r] = splat(scores[r][j]);
    for (int t = 0; t < kV; ++t) {
      const FloatV v = load(vj + kLanes * t);
      for (int r = 0; r < kQ; ++r) acc[r][t] += w[r] * v;
    }
  }
  for (int r = 0; r < used; ++r)
    for (int t = 0; t < kV; ++t) store_lanes(out + r * out_stride + kLanes * t, acc[r][t] * splat(inv[r]));
}

// Rows and key counts of the group of kQ queries starting at i (of `queries`): a short last group repeats
// its last query (same work, results unused). Returns how many are real.
template <int kQ>
int group_rows(int64_t i, int64_t queries, int64_t len, bool causal, int64_t rows[kQ], int64_t keys[kQ]) {
  const int used = queries - i < kQ ? static_cast<int>(queries - i) : kQ;
  for (int r = 0; r < kQ; ++r) {
    rows[r] = i + (r < used ? r : used - 1);
    keys[r] = causal ? rows[r] + 1 : len;
  }
  return used;
}

// One head of one sequence: softmax(q·kᵀ/√d)·v for its first `queries` of `len` rows, q/k/v rows `stride`
// apart, written `out_stride` apart. kD is the head dimension when it is a compile-time multiple of two
// vectors (64 in every CLIP model), so q and the output accumulators stay in registers; kD = 0 reads the
// dimension from `d` (plain loops). `scratch`: (d + 4)·(len + kLanes) floats.
//
// Long sequences (the full image, the text) first lay kᵀ out, so scores come kLanes keys per vector with
// no horizontal sums, four queries at a time. Short ones (windows of 5 or 10 tokens) take one dot product
// per key, which costs less than the transposition, two queries at a time.
template <int kD, typename Out>
void attend_long(const float* q0, const float* k0, const float* v0, int64_t stride, int64_t len, int64_t queries,
                 bool causal, float scale, float* scratch, Out* out, int64_t out_stride) {
  constexpr int kQ = group_size<kD>(4);
  const int64_t padded = (len + kLanes - 1) & ~int64_t{kLanes - 1};
  float* scores[kQ];
  for (int r = 0; r < kQ; ++r) scores[r] = scratch + r * padded;
  float* kt = scratch + kQ * padded;  // [kD, padded]: kᵀ, zero past len
  for (int64_t t = 0; t < kD; ++t) {
    for (int64_t j = 0; j < len; ++j) kt[t * padded + j] = k0[j * stride + t];
    for (int64_t j = len; j < padded; ++j) kt[t * padded + j] = 0.f;
  }
  for (int64_t i = 0; i < queries; i += kQ) {
    int64_t rows[kQ], keys[kQ];
    const int used = group_rows<kQ>(i, queries, len, causal, rows, keys);
    float q[kQ][kD];
    for (int r = 0; r < kQ; ++r)
      for (int t = 0; t < kD; ++t) q[r][t] = q0[rows[r] * stride + t] * scale;  // torch scales q first
    const int64_t blocks = (keys[kQ - 1] + kLanes - 1) / kLanes;
    constexpr int kB = kAccumulators / kQ;  // blocks of keys at a time
    for (int64_t b0 = 0; b0 < blocks; b0 += kB) {
      const int64_t nb = std::min<int64_t>(kB, blocks - b0);
      FloatV sv[kQ][kB];
      for (int r = 0; r < kQ; ++r)
        for (int b = 0; b < kB; ++b) sv[r][b] = splat(0.f);
      for (int t = 0; t < kD; ++t) {
        FloatV qt[kQ];
        for (int r = 0; r < kQ; ++r) qt[r] = splat(q[r][t]);
        const float* row = kt + t * padded + kLanes * b0;
        for (int64_t b = 0; b < nb; ++b) {
          const FloatV k = load(row + kLanes * b);
          for (int r = 0; r < kQ; ++r) sv[r][b] += qt[r] * k;
        }
      }
      for (int r = 0; r < kQ; ++r)
        for (int64_t b = 0; b < nb; ++b) store(scores[r] + kLanes * (b0 + b), sv[r][b]);
    }
    weigh_values<kD, kQ>(scores, keys, v0, stride, used, out + i * out_stride, out_stride);
  }
}

template <int kD, typename Out>
void attend_short(const float* q0, const float* k0, const float* v0, int64_t stride, int64_t len, int64_t queries,
                  bool causal, float scale, float* scratch, Out* out, int64_t out_stride) {
  constexpr int kV = kD / kLanes, kQ = group_size<kD>(2);
  float* scores[kQ];
  for (int r = 0; r < kQ; ++r) scores[r] = scratch + r * (len + kLanes);
  for (int64_t i = 0; i < queries; i += kQ) {
    int64_t rows[kQ], keys[kQ];
    const int used = group_rows<kQ>(i, queries, len, causal, rows, keys);
    FloatV q[kQ][kV];
    for (int r = 0; r < kQ; ++r)
      for (int t = 0; t < kV; ++t) q[r][t] = load(q0 + rows[r] * stride + kLanes * t) * splat(scale);
    // q·k_j in lanes, for every query of the group.
    const auto partial = [&](int64_t j, FloatV* s) {
      const float* kj = k0 + j * stride;
      FloatV k = load(kj);
      for (int r = 0; r < kQ; ++r) s[r] = q[r][0] * k;
      for (int t = 1; t < kV; ++t) {
        k = load(kj + kLanes * t);
        for (int r = 0; r < kQ; ++r) s[r] += q[r][t] * k;
      }
    };
    int64_t key = 0;
    for (; key + 4 <= keys[kQ - 1]; key += 4) {
      FloatV s[4][kQ];
      for (int u = 0; u < 4; ++u) partial(key + u, s[u]);
      for (int r = 0; r < kQ; ++r) reduce_add4(s[0][r], s[1][r], s[2][r], s[3][r], scores[r] + key);
    }
    for (; key < keys[kQ - 1]; ++key) {
      FloatV s[kQ];
      partial(key, s);
      for (int r = 0; r < kQ; ++r) scores[r][key] = reduce_add(s[r]);
    }
    weigh_values<kD, kQ>(scores, keys, v0, stride, used, out + i * out_stride, out_stride);
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

// One head's q, k and v for rows [0, len) of a sequence into `dst` as float, q, k and v of a row side by side
// (stride 3·d). Row i is read from qkv row rows[i], or first_row + i when `rows` is null. Done when the
// kernels cannot read qkv in place: bf16 (widened once here rather than at every one of the kernels'
// repeated loads), or rows gathered from elsewhere.
template <typename In>
void gather_head(const In* qkv, const int64_t* rows, int64_t first_row, int64_t len, int64_t width, int64_t d,
                 float* dst) {
  const int64_t vd = d & ~int64_t{kLanes - 1}, stride = 3 * width;
  for (int64_t i = 0; i < len; ++i) {
    const In* src_row = qkv + (rows ? rows[i] : first_row + i) * stride;
    for (int part = 0; part < 3; ++part) {
      const In* src = src_row + part * width;
      float* row = dst + (i * 3 + part) * d;
      for (int64_t t = 0; t < vd; t += kLanes) store(row + t, load(src + t));
      for (int64_t t = vd; t < d; ++t) row[t] = to_float(src[t]);
    }
  }
}

template <int kD, typename In, typename Out>
void attention(const In* qkv, int64_t width, int heads, const SequenceBatch& batch, Out* out,
               const int64_t* qkv_rows) {
  const int64_t d = width / heads, stride = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const int64_t tasks = static_cast<int64_t>(batch.size()) * heads;
  const int64_t longest = batch.size() ? *std::max_element(batch.lengths.begin(), batch.lengths.end()) : 0;
  const bool gather = !std::is_same_v<In, float> || qkv_rows;
  // Many sequences (windows): one thread takes all heads of a sequence, whose rows it then reads whole
  // (heads split between threads made both cores pull each other's lines: windows took 2.05 ms instead of
  // 1.6 per layer). Few sequences: heads are the tasks, so every thread has work.
  const int chunk = static_cast<int64_t>(batch.size()) >= 8 * omp_get_max_threads() ? heads : 1;
#pragma omp parallel
  {
    std::vector<float> scratch(static_cast<size_t>((d + 4) * (longest + kLanes)));
    std::vector<float> gathered(gather ? static_cast<size_t>(3 * d * longest) : 0);
#pragma omp for schedule(dynamic, chunk)
    for (int64_t task = 0; task < tasks; ++task) {
      const size_t s = static_cast<size_t>(task / heads);
      const int64_t h = task % heads, off = batch.offsets[s];
      const int64_t len = batch.lengths[s], read = batch.rows_read(s);
      Out* o = out + off * width + h * d;
      if (gather) {
        gather_head(qkv + h * d, qkv_rows ? qkv_rows + off : nullptr, off, len, width, d, gathered.data());
        const float* g = gathered.data();
        attend<kD>(g, g + d, g + 2 * d, 3 * d, len, read, d, batch.causal, scale, scratch.data(), o, width);
      } else if constexpr (std::is_same_v<In, float>) {
        const float* q0 = qkv + off * stride + h * d;
        attend<kD>(q0, q0 + width, q0 + 2 * width, stride, len, read, d, batch.causal, scale, scratch.data(), o,
                   width);
      }
    }
  }
}

template <typename In, typename Out>
void dispatch(const In* qkv, int64_t width, int heads, const SequenceBatch& batch, Out* out,
              const int64_t* qkv_rows) {
  if (width / heads == 64)
    attention<64>(qkv, width, heads, batch, out, qkv_rows);
  else
    attention<0>(qkv, width, heads, batch, out, qkv_rows);
}

}  // namespace

void multi_head_attention(const float* qkv, int64_t width, int heads, const SequenceBatch& batch, float* out,
                          const int64_t* qkv_rows) {
  dispatch(qkv, width, heads, batch, out, qkv_rows);
}

void multi_head_attention(const float* qkv, int64_t width, int heads, const SequenceBatch& batch, uint16_t* out,
                          const int64_t* qkv_rows) {
  dispatch(qkv, width, heads, batch, out, qkv_rows);
}

void multi_head_attention(const uint16_t* qkv, int64_t width, int heads, const SequenceBatch& batch,
                          uint16_t* out, const int64_t* qkv_rows) {
  dispatch(qkv, width, heads, batch, out, qkv_rows);
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
