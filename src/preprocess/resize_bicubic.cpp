// Pillow's two-pass 8-bit resize, arranged for speed: coefficients are precomputed once per axis, the
// horizontal pass runs only over the source rows the vertical pass reads, and the vertical pass
// accumulates whole rows at a time so the compiler can vectorise it. Integer sums are order-independent,
// so the result is bit-identical to resize_bicubic_reference.
#include <algorithm>

#include "preprocess/pillow_bicubic.hpp"
#include "winclip/preprocess.hpp"

namespace winclip {
namespace {

using pillow::AxisFilter;

// Source rows [row_begin, row_end) resized to filter.first.size() columns.
Image resize_rows(const Image& src, int row_begin, int row_end, const AxisFilter& filter) {
  Image out;
  out.width = static_cast<int>(filter.first.size());
  out.height = row_end - row_begin;
  out.rgb.resize(static_cast<size_t>(out.width) * out.height * 3);
  uint8_t* dst = out.rgb.data();
  for (int y = row_begin; y < row_end; ++y) {
    const uint8_t* row = src.pixel(0, y);
    for (int x = 0; x < out.width; ++x) {
      const uint8_t* in = row + static_cast<size_t>(filter.first[x]) * 3;
      const int32_t* k = filter.taps(x);
      int32_t r = pillow::kHalf, g = pillow::kHalf, b = pillow::kHalf;
      for (int t = 0; t < filter.count[x]; ++t) {
        r += in[3 * t] * k[t];
        g += in[3 * t + 1] * k[t];
        b += in[3 * t + 2] * k[t];
      }
      *dst++ = pillow::clamp_to_u8(r);
      *dst++ = pillow::clamp_to_u8(g);
      *dst++ = pillow::clamp_to_u8(b);
    }
  }
  return out;
}

// `src` row r holds source row r + src_first_row; resizes its columns to filter.first.size() rows.
Image resize_columns(const Image& src, int src_first_row, const AxisFilter& filter) {
  Image out;
  out.width = src.width;
  out.height = static_cast<int>(filter.first.size());
  const size_t row_len = static_cast<size_t>(src.width) * 3;
  out.rgb.resize(row_len * out.height);
  std::vector<int32_t> acc(row_len);
  for (int y = 0; y < out.height; ++y) {
    std::fill(acc.begin(), acc.end(), pillow::kHalf);
    const int32_t* k = filter.taps(y);
    for (int t = 0; t < filter.count[y]; ++t) {
      const uint8_t* in = src.pixel(0, filter.first[y] - src_first_row + t);
      for (size_t i = 0; i < row_len; ++i) acc[i] += in[i] * k[t];
    }
    uint8_t* dst = out.rgb.data() + row_len * y;
    for (size_t i = 0; i < row_len; ++i) dst[i] = pillow::clamp_to_u8(acc[i]);
  }
  return out;
}

}  // namespace

Image resize_bicubic(const Image& src, int out_width, int out_height) {
  pillow::check_resize_arguments(src, out_width, out_height);
  // Like Pillow, an axis whose size does not change is not filtered (the kernel would be the identity).
  const bool resize_x = out_width != src.width;
  const bool resize_y = out_height != src.height;
  if (!resize_y) return resize_x ? resize_rows(src, 0, src.height, pillow::make_axis_filter(src.width, out_width)) : src;
  const AxisFilter vertical = pillow::make_axis_filter(src.height, out_height);
  if (!resize_x) return resize_columns(src, 0, vertical);
  const int row_begin = vertical.first.front();
  const int row_end = vertical.end(out_height - 1);
  const Image rows = resize_rows(src, row_begin, row_end, pillow::make_axis_filter(src.width, out_width));
  return resize_columns(rows, row_begin, vertical);
}

}  // namespace winclip
