#pragma once
// Eight-lane float vectors (GCC/Clang vector extensions: AVX2 under -march=x86-64-v3, plain SSE or NEON
// pairs elsewhere) for the few kernels oneDNN does not cover: attention over short sequences, layer norm
// and softmax. Plain C++ loops would stay scalar here, because float sums may not be reordered without
// -ffast-math, which the rest of the engine must not be built with.
#include <cstdint>
#include <cstring>

namespace winclip::compute {

typedef float f32x8 __attribute__((vector_size(32)));
typedef int32_t i32x8 __attribute__((vector_size(32)));
typedef uint32_t u32x8 __attribute__((vector_size(32)));
typedef uint16_t u16x8 __attribute__((vector_size(16)));

inline f32x8 load8(const float* p) {
  f32x8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(float* p, f32x8 v) { std::memcpy(p, &v, sizeof v); }
inline f32x8 splat8(float x) { return f32x8{x, x, x, x, x, x, x, x}; }
inline float sum8(f32x8 v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}
inline f32x8 max8(f32x8 a, f32x8 b) { return a > b ? a : b; }

// Eight floats to bfloat16 with round-to-nearest-even, NaN kept quiet: float_to_bf16 (bf16.hpp), lane-wise.
inline void store8_bf16(uint16_t* p, f32x8 v) {
  u32x8 u;
  std::memcpy(&u, &v, sizeof u);
  const u32x8 rounded = u + 0x7fffu + ((u >> 16) & 1u);
  const u32x8 nan = (u & 0x7fffffffu) > 0x7f800000u ? (u | 0x00400000u) : rounded;
  const u16x8 h = __builtin_convertvector(nan >> 16, u16x8);
  std::memcpy(p, &h, sizeof h);
}

// Eight results into float or bf16 storage (kernels templated on their output type).
inline void store_lanes(float* p, f32x8 v) { store8(p, v); }
inline void store_lanes(uint16_t* p, f32x8 v) { store8_bf16(p, v); }

// e^x to within 2 ulp over the float range, lane-wise for any float vector F with int32 lanes I (Cephes'
// expf: x = n·ln2 + r, |r| ≤ ln2/2, degree-5 polynomial, 2ⁿ built in the exponent bits). Arguments below
// -87.3 give ~1e-38 instead of 0, harmless in a softmax.
template <typename F, typename I>
inline F exp_lanes(F x) {
  x = x < 88.37f ? x : F{} + 88.37f;
  x = x > -87.33f ? x : F{} - 87.33f;
  // Round to nearest by the 1.5·2²³ trick: exact for |n| < 2²², and no libm call in the loop.
  const F n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const F r = x - n * 0.693359375f + n * 2.12194440e-4f;
  F p = F{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const I bits = (__builtin_convertvector(n, I) + 127) << 23;
  F scale;
  static_assert(sizeof scale == sizeof bits);
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline f32x8 exp8(f32x8 x) { return exp_lanes<f32x8, i32x8>(x); }

}  // namespace winclip::compute
