#include "eval/reference_draw.hpp"

#include <numeric>
#include <string>
#include <utility>

#include "winclip/error.hpp"

namespace winclip {

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
