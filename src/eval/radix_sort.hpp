#pragma once
// LSD radix sort of 32-bit keys: the pooled pixel scores of a class (~125 M on VisA) sort in linear time
// instead of the ~10 s a comparison sort takes.
#include <cstdint>
#include <vector>

namespace winclip::eval {

void radix_sort(std::vector<uint32_t>& keys);  // ascending

// Records whose key is the high 32 bits (the low 32 bits are a payload that travels with it); ascending by
// key, stable.
void radix_sort_by_high_word(std::vector<uint64_t>& records);

}  // namespace winclip::eval
