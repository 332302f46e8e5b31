#pragma once
// SplitMix64 (Steele, Lea, Flood 2014; Vigna's splitmix64.c): the one portable pseudo-random source of
// the project. The random models and the few-shot reference draw both promise the same values on every
// platform, which std::mt19937 with the std distributions does not give.
#include <cstdint>

namespace winclip {

inline constexpr uint64_t kSplitMix64Gamma = 0x9E3779B97F4A7C15ull;  // the golden-ratio increment γ

// The generator's output function applied to x + γ, all arithmetic mod 2^64: a bijective mix, so it also
// serves as a counter-based generator (value i of a stream s is splitmix64(s + i·γ)).
constexpr uint64_t splitmix64(uint64_t x) {
  x += kSplitMix64Gamma;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The sequential generator: next() returns splitmix64(seed), splitmix64(seed + γ), ...
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    const uint64_t value = splitmix64(state_);
    state_ += kSplitMix64Gamma;
    return value;
  }

  // Uniform in [0, bound), bound > 0. The values under 2^64 mod bound would make the low residues more
  // likely, so they are drawn again.
  uint64_t below(uint64_t bound) {
    const uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      const uint64_t r = next();
      if (r >= threshold) return r % bound;
    }
  }

 private:
  uint64_t state_;
};

}  // namespace winclip
