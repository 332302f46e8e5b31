#pragma once
// Exact widening of the two 16-bit float formats found in checkpoints. Every F16 and BF16 value (zeros,
// subnormals, infinities, NaN payloads) is representable in float32, so the conversion is lossless.
#include <bit>
#include <cstdint>

namespace winclip::detail {

// BF16 is the upper half of a float32.
inline float bf16_to_f32(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

// IEEE 754 binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
inline float f16_to_f32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1fu) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));  // inf, NaN
  if (exponent == 0) {
    if (mantissa == 0) return std::bit_cast<float>(sign);  // ±0
    // Subnormal: mantissa·2^-24. Shift the leading 1 up to the implicit-bit position, which makes it a
    // normal float32 with a correspondingly smaller exponent.
    exponent = 1;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    mantissa &= 0x3ffu;
  }
  const uint32_t exponent32 = exponent + (127 - 15);
  return std::bit_cast<float>(sign | (exponent32 << 23) | (mantissa << 13));
}

}  // namespace winclip::detail
