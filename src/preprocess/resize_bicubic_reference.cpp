#include "preprocess/resize_bicubic_reference.hpp"

#include "preprocess/pillow_bicubic.hpp"

namespace winclip {
namespace {

// Fixed-point weight of every input sample (column) in every output sample (row). Input samples outside
// the stretched kernel get weight 0.0, which leaves Pillow's double sum unchanged, so no window
// bookkeeping is needed.
std::vector<int32_t> weight_matrix(int in_size, int out_size) {
  const pillow::AxisSampling sampling(in_size, out_size);
  std::vector<int32_t> matrix(static_cast<size_t>(out_size) * in_size);
  std::vector<double> weights(in_size);
  for (int i = 0; i < out_size; ++i) {
    const double center = sampling.center(i);
    double sum = 0.0;
    for (int j = 0; j < in_size; ++j) {
      weights[j] = sampling.weight(j, center);
      sum += weights[j];
    }
    for (int j = 0; j < in_size; ++j)
      matrix[static_cast<size_t>(i) * in_size + j] = pillow::to_fixed_point(sum != 0.0 ? weights[j] / sum : weights[j]);
  }
  return matrix;
}

uint8_t& at(Image& img, int x, int y, int c) { return img.rgb[(static_cast<size_t>(y) * img.width + x) * 3 + c]; }
uint8_t at(const Image& img, int x, int y, int c) { return img.pixel(x, y)[c]; }

Image blank(int width, int height) {
  return Image{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
}

Image resample_rows(const Image& src, int out_width) {
  const std::vector<int32_t> w = weight_matrix(src.width, out_width);
  Image out = blank(out_width, src.height);
  for (int y = 0; y < src.height; ++y)
    for (int x = 0; x < out_width; ++x)
      for (int c = 0; c < 3; ++c) {
        int32_t acc = pillow::kHalf;
        for (int j = 0; j < src.width; ++j) acc += w[static_cast<size_t>(x) * src.width + j] * at(src, j, y, c);
        at(out, x, y, c) = pillow::clamp_to_u8(acc);
      }
  return out;
}

Image transpose(const Image& src) {
  Image out = blank(src.height, src.width);
  for (int y = 0; y < src.height; ++y)
    for (int x = 0; x < src.width; ++x)
      for (int c = 0; c < 3; ++c) at(out, y, x, c) = at(src, x, y, c);
  return out;
}

}  // namespace

Image resize_bicubic_reference(const Image& src, int out_width, int out_height) {
  pillow::check_resize_arguments(src, out_width, out_height);
  // Horizontal pass first, rounded to uint8, then the vertical pass (rows of the transposed image).
  return transpose(resample_rows(transpose(resample_rows(src, out_width)), out_height));
}

}  // namespace winclip
