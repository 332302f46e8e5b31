#pragma once
// A dense, row-major float32 array with a shape: the currency between pipeline stages.
#include <cstdint>
#include <string>
#include <vector>

namespace winclip {

using Shape = std::vector<int64_t>;

std::string shape_string(const Shape& shape);  // "[3, 240, 240]"
int64_t shape_numel(const Shape& shape);

struct Tensor {
  Shape shape;
  std::vector<float> data;

  Tensor() = default;
  explicit Tensor(Shape s) : shape(std::move(s)), data(static_cast<size_t>(shape_numel(shape)), 0.0f) {}
  Tensor(Shape s, std::vector<float> values);  // throws Error if the sizes disagree

  int64_t numel() const { return static_cast<int64_t>(data.size()); }
  int64_t dim(size_t i) const { return shape.at(i); }
  float* ptr() { return data.data(); }
  const float* ptr() const { return data.data(); }
};

}  // namespace winclip
