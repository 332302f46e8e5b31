#include "eval/radix_sort.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <utility>

namespace winclip::eval {
namespace {

// Three passes of 11, 11 and 10 bits: 2048 counters per pass stay in L1 while the scatter streams.
constexpr int kDigitBits = 11;
constexpr int kPasses = 3;
constexpr size_t kBuckets = size_t{1} << kDigitBits;

template <class Record, class KeyOf>
void lsd_radix_sort(std::vector<Record>& records, KeyOf key_of) {
  const size_t n = records.size();
  if (n < 2) return;
  std::array<std::array<size_t, kBuckets>, kPasses> counts{};
  auto digit = [](uint32_t key, int pass) { return (key >> (pass * kDigitBits)) & (kBuckets - 1); };
  for (const Record& r : records) {
    const uint32_t key = key_of(r);
    for (int pass = 0; pass < kPasses; ++pass) ++counts[pass][digit(key, pass)];
  }

  std::unique_ptr<Record[]> buffer;
  Record* from = records.data();
  Record* to = nullptr;
  for (int pass = 0; pass < kPasses; ++pass) {
    std::array<size_t, kBuckets>& offsets = counts[pass];
    // Scores of one class share their top bits (same sign, nearby exponents): such a pass would only copy.
    if (offsets[digit(key_of(from[0]), pass)] == n) continue;
    if (!buffer) {
      buffer = std::make_unique_for_overwrite<Record[]>(n);
      to = buffer.get();
    }
    size_t start = 0;
    for (size_t& offset : offsets) start += std::exchange(offset, start);
    for (size_t i = 0; i < n; ++i) to[offsets[digit(key_of(from[i]), pass)]++] = from[i];
    std::swap(from, to);
  }
  if (from != records.data()) std::copy(from, from + n, records.data());
}

}  // namespace

void radix_sort(std::vector<uint32_t>& keys) {
  lsd_radix_sort(keys, [](uint32_t key) { return key; });
}

void radix_sort_by_high_word(std::vector<uint64_t>& records) {
  lsd_radix_sort(records, [](uint64_t record) { return static_cast<uint32_t>(record >> 32); });
}

}  // namespace winclip::eval
