#include "winclip/reference_draw.hpp"

#include <numeric>
#include <string>
#include <utility>

#include "winclip/error.hpp"

namespace winclip {

uint64_t SplitMix64::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::below(uint64_t bound) {
  // Values under 2^64 mod bound would make the low residues more likely: redraw them.
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const uint64_t r = next();
    if (r >= threshold) return r % bound;
  }
}

std::vector<size_t> draw_references(size_t count, size_t k, uint64_t seed) {
  if (k > count)
    throw Error(std::to_string(k) + " reference images requested but only " + std::to_string(count) +
                " normal training images are available");
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), size_t{0});
  SplitMix64 rng(seed);
  for (size_t i = count; i-- > 1;) std::swap(order[i], order[rng.below(i + 1)]);
  order.resize(k);
  return order;
}

}  // namespace winclip
