#pragma once
// float32 ↔ bfloat16 with round-to-nearest-even, as oneDNN and PyTorch convert.
#include <cstdint>
#include <cstring>

namespace winclip::compute {

inline uint16_t float_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

inline float bf16_to_float(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

void convert_to_bf16(const float* src, uint16_t* dst, int64_t n);

}  // namespace winclip::compute
