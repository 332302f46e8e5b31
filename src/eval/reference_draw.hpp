#pragma once
// The few-shot protocol's reference draw (docs/eval.md, Protocol: K normal images from train/good, five seeded draws),
// made portable: std::shuffle and the std distributions are implementation-defined, so the same seed would
// pick other images with another standard library. Here the draw is fixed by this definition alone:
//
//   state = seed;  next(): state += 0x9E3779B97F4A7C15; z = state;
//                          z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
//                          return z ^ (z >> 31)                        (SplitMix64, all arithmetic mod 2^64)
//   below(n): draw r = next() until r >= (2^64 - n) mod n, return r mod n   (no modulo bias)
//   order = [0, 1, ..., count-1]
//   for i = count-1 down to 1: swap(order[i], order[below(i + 1)])       (Fisher–Yates)
//   references = the files at order[0..k-1] of the path-sorted training list
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/splitmix64.hpp"

namespace winclip {

// Indices into a sorted list of `count` training images: the first k of its seeded shuffle. Throws Error
// when k > count.
std::vector<size_t> draw_references(size_t count, size_t k, uint64_t seed);

}  // namespace winclip
