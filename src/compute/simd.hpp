#pragma once
// Float vectors (GCC/Clang vector extensions) for the few kernels oneDNN does not cover: attention over
// short sequences, layer norm and softmax. Plain C++ loops would stay scalar here, because float sums may
// not be reordered without -ffast-math, which the rest of the engine must not be built with.
// FloatV is the widest the build targets: 16 lanes when compiled for AVX-512 (WINCLIP_NATIVE on such a
// CPU), else 8 (AVX2 under the x86-64-v3 baseline; SSE or NEON pairs elsewhere). Every helper is a template
// over the vector type, so tests can check both widths on any machine.
// Everything here has internal linkage (the unnamed namespace): kernels are compiled for different ISAs
// (amx_kernel.cpp for AVX-512), and the linker must never keep one unit's copy of a helper for another.
#include <cstdint>
#include <cstring>

namespace winclip::compute {
namespace {

typedef float f32x8 __attribute__((vector_size(32)));
typedef int32_t i32x8 __attribute__((vector_size(32)));
typedef float f32x16 __attribute__((vector_size(64)));
typedef int32_t i32x16 __attribute__((vector_size(64)));
typedef uint32_t u32x8 __attribute__((vector_size(32)));
typedef uint32_t u32x16 __attribute__((vector_size(64)));
typedef uint16_t u16x8 __attribute__((vector_size(16)));
typedef uint16_t u16x16 __attribute__((vector_size(32)));

#if defined(__AVX512F__)
typedef f32x16 FloatV;
typedef i32x16 IntV;
#else
typedef f32x8 FloatV;
typedef i32x8 IntV;
#endif
constexpr int kLanes = sizeof(FloatV) / sizeof(float);

template <typename F>
constexpr int lanes_of() {
  return sizeof(F) / sizeof(float);
}

// The unsigned 32- and 16-bit vectors with F's lane count.
template <typename F>
struct BitsOf;
template <>
struct BitsOf<f32x8> {
  typedef u32x8 U;
  typedef u16x8 H;
};
template <>
struct BitsOf<f32x16> {
  typedef u32x16 U;
  typedef u16x16 H;
};

template <typename F = FloatV>
inline F load(const float* p) {
  F v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// kLanes bfloat16 values widened to float (exact: a bf16 is the upper half of a float).
template <typename F = FloatV>
inline F load(const uint16_t* p) {
  typedef typename BitsOf<F>::U U;
  typedef typename BitsOf<F>::H H;
  H h;
  std::memcpy(&h, p, sizeof h);
  const U u = __builtin_convertvector(h, U) << 16;
  F v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}
template <typename F>
inline void store(float* p, F v) {
  std::memcpy(p, &v, sizeof v);
}
template <typename F = FloatV>
inline F splat(float x) {
  return F{} + x;
}
// Lanes summed pairwise (halves added until one lane is left), as a tree: the order the kernels' tests
// were written against.
inline float reduce_add(f32x8 v) {
  // In vector halves, not lane by lane: the compiler turns lane reads into a serial chain of scalar adds.
  typedef float f32x4 __attribute__((vector_size(16)));
  const f32x4 s = __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
  const f32x4 t = __builtin_shufflevector(s, s, 0, 2, 0, 2) + __builtin_shufflevector(s, s, 1, 3, 1, 3);
  return t[0] + t[1];  // ((v0 + v4) + (v1 + v5)) + ((v2 + v6) + (v3 + v7))
}
inline float reduce_add(f32x16 v) {
  const f32x8 lo = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
  const f32x8 hi = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  return reduce_add(lo + hi);
}
// The four sums of a, b, c and d's lanes at once (into out[0..4)): the shuffles are shared, so each sum costs
// about a third of a reduce_add.
inline void reduce_add4(f32x8 a, f32x8 b, f32x8 c, f32x8 d, float* out) {
  const f32x8 ab = __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11) +
                   __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15);  // a·4 | b·4
  const f32x8 cd = __builtin_shufflevector(c, d, 0, 1, 2, 3, 8, 9, 10, 11) +
                   __builtin_shufflevector(c, d, 4, 5, 6, 7, 12, 13, 14, 15);  // c·4 | d·4
  const f32x8 x = __builtin_shufflevector(ab, cd, 0, 1, 4, 5, 8, 9, 12, 13) +
                  __builtin_shufflevector(ab, cd, 2, 3, 6, 7, 10, 11, 14, 15);  // a·2 b·2 c·2 d·2
  const f32x8 y = __builtin_shufflevector(x, x, 0, 2, 4, 6, 0, 2, 4, 6) +
                  __builtin_shufflevector(x, x, 1, 3, 5, 7, 1, 3, 5, 7);
  for (int i = 0; i < 4; ++i) out[i] = y[i];
}
inline void reduce_add4(f32x16 a, f32x16 b, f32x16 c, f32x16 d, float* out) {
  const auto halves = [](f32x16 v) {
    return __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
           __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  };
  reduce_add4(halves(a), halves(b), halves(c), halves(d), out);
}

template <typename F>
inline F max(F a, F b) {
  return a > b ? a : b;
}
// Every lane = the largest of v's lanes, by halves swapped and compared (a lane-by-lane loop compiles to a
// chain of 15 dependent scalar maxima: a third of a window's softmax).
inline f32x8 max_all(f32x8 v) {
  v = max(v, __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3));
  v = max(v, __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5));
  return max(v, __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6));
}
inline f32x16 max_all(f32x16 v) {
  v = max(v, __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  v = max(v, __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11));
  v = max(v, __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
  return max(v, __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14));
}
template <typename F>
inline float reduce_max(F v) {
  return max_all(v)[0];
}

// Floats to bfloat16 with round-to-nearest-even, NaN kept quiet: float_to_bf16 (bf16.hpp), lane-wise.
template <typename F>
inline void store_bf16(uint16_t* p, F v) {
  typedef typename BitsOf<F>::U U;
  typedef typename BitsOf<F>::H H;
  U u;
  std::memcpy(&u, &v, sizeof u);
  const U rounded = u + 0x7fffu + ((u >> 16) & 1u);
  const U nan = (u & 0x7fffffffu) > 0x7f800000u ? (u | 0x00400000u) : rounded;
  const H h = __builtin_convertvector(nan >> 16, H);
  std::memcpy(p, &h, sizeof h);
}

// Results into float or bf16 storage (kernels templated on their output type).
template <typename F>
inline void store_lanes(float* p, F v) {
  store(p, v);
}
template <typename F>
inline void store_lanes(uint16_t* p, F v) {
  store_bf16(p, v);
}

// Cephes' expf in two halves, shared by exp_lanes and the AMX epilogue's own exponent scaling: the remainder
// r = x − n·ln2 (ln2 split in two for accuracy) of an integral n, and e^r for |r| ≤ ln2/2 (degree-5
// polynomial, 2 ulp).
template <typename F>
inline F exp_remainder(F x, F n) {
  return x - n * 0.693359375f + n * 2.12194440e-4f;
}
template <typename F>
inline F exp_of_remainder(F r) {
  F p = F{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  return p * r * r + r + 1.0f;
}

// e^x to within 2 ulp over the float range, lane-wise for any float vector F with int32 lanes I: x = n·ln2 + r,
// 2ⁿ built in the exponent bits. Arguments below -87.3 give ~1e-38 instead of 0, harmless in a softmax.
template <typename F, typename I>
inline F exp_lanes(F x) {
  x = x < 88.37f ? x : F{} + 88.37f;
  x = x > -87.33f ? x : F{} - 87.33f;
  // Round to nearest by the 1.5·2²³ trick: exact for |n| < 2²², and no libm call in the loop.
  const F n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const F p = exp_of_remainder(exp_remainder(x, n));
  const I bits = (__builtin_convertvector(n, I) + 127) << 23;
  F scale;
  static_assert(sizeof scale == sizeof bits);
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline f32x8 exp_lanes(f32x8 x) { return exp_lanes<f32x8, i32x8>(x); }
inline f32x16 exp_lanes(f32x16 x) { return exp_lanes<f32x16, i32x16>(x); }

}  // namespace
}  // namespace winclip::compute
