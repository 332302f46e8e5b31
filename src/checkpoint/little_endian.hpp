#pragma once
// Internal: reading little-endian integers from unaligned bytes (zip records, pickle operands).
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstring>

namespace winclip::detail {

static_assert(std::endian::native == std::endian::little, "weight files are little-endian; add byte swapping");

// memcpy because file data has no alignment guarantee.
template <std::integral T>
T load_le(const std::byte* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

}  // namespace winclip::detail
