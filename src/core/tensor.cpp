#include "winclip/tensor.hpp"

#include <algorithm>

#include "winclip/error.hpp"

namespace winclip {

std::string shape_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

int64_t shape_numel(const Shape& shape) {
  for (int64_t d : shape)
    if (d < 0) throw Error("negative dimension in shape " + shape_string(shape));
  // An extent of 0 makes the tensor empty whatever the others are; otherwise the product must fit (found by
  // fuzz_npy: a shape read from a file overflowed it).
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t n = 1;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(n, d, &n)) throw Error("shape " + shape_string(shape) + " has too many elements");
  return n;
}

Tensor::Tensor(Shape s, std::vector<float> values) : shape(std::move(s)), data(std::move(values)) {
  if (shape_numel(shape) != static_cast<int64_t>(data.size()))
    throw Error("tensor of shape " + shape_string(shape) + " given " + std::to_string(data.size()) + " values");
}

}  // namespace winclip
