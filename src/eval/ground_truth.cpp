#include "eval/ground_truth.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>

#include "core/file_bytes.hpp"
#include "core/image_decode.hpp"
#include "winclip/error.hpp"

namespace winclip {

namespace {

// 1 where any colour channel is nonzero. A fourth channel is alpha, and a transparent-but-black pixel is
// still normal.
std::vector<uint8_t> binarise(const cv::Mat& mask) {
  const int channels = mask.channels();
  const int colour_channels = channels == 4 ? 3 : channels;
  cv::Mat as16;
  mask.convertTo(as16, CV_16U);  // 8- and 16-bit alike; values are only compared with zero
  std::vector<uint8_t> out(static_cast<size_t>(mask.rows) * mask.cols, 0);
  for (int y = 0; y < mask.rows; ++y) {
    const uint16_t* row = as16.ptr<uint16_t>(y);
    for (int x = 0; x < mask.cols; ++x)
      for (int c = 0; c < colour_channels; ++c)
        if (row[x * channels + c] != 0) out[static_cast<size_t>(y) * mask.cols + x] = 1;
  }
  return out;
}

}  // namespace

int nearest_source_index(int dst, int in, int out) {
  if (in == out) return dst;
  if (out == 2 * in) return dst >> 1;
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  return std::min(static_cast<int>(std::floor(static_cast<float>(dst) * scale)), in - 1);
}

std::vector<uint8_t> resize_nearest(const std::vector<uint8_t>& src, int width, int height, int out_width,
                                    int out_height) {
  std::vector<int> columns(static_cast<size_t>(out_width));
  for (int x = 0; x < out_width; ++x) columns[static_cast<size_t>(x)] = nearest_source_index(x, width, out_width);
  std::vector<uint8_t> out(static_cast<size_t>(out_width) * out_height);
  for (int y = 0; y < out_height; ++y) {
    const uint8_t* row = src.data() + static_cast<size_t>(nearest_source_index(y, height, out_height)) * width;
    uint8_t* dst = out.data() + static_cast<size_t>(y) * out_width;
    for (int x = 0; x < out_width; ++x) dst[x] = row[columns[static_cast<size_t>(x)]];
  }
  return out;
}

GroundTruth load_ground_truth(const std::filesystem::path& path, int size, ResizeMode mode) {
  // Checked first: a missing mask is the common mistake, and deserves its own message.
  if (!std::filesystem::is_regular_file(path)) throw Error(path.string(), "ground-truth mask not found");
  return load_ground_truth_bytes(read_file_bytes(path, "a mask image"), path.string(), size, mode);
}

GroundTruth load_ground_truth_bytes(std::span<const uint8_t> bytes, const std::string& name, int size,
                                    ResizeMode mode) {
  // The same checks as every image (pixel limit from the header first): masks come from outside too.
  const cv::Mat mask = decode_stored_samples(bytes, name, DecodeLimits{});
  if (mask.depth() != CV_8U && mask.depth() != CV_16U)
    throw Error(name, "ground-truth mask must have 8- or 16-bit integer samples");
  GroundTruth gt{.file_width = mask.cols, .file_height = mask.rows};
  const ResizeGeometry g = resize_geometry(mask.cols, mask.rows, size, mode);
  const std::vector<uint8_t> resized =
      resize_nearest(binarise(mask), mask.cols, mask.rows, g.resized_width, g.resized_height);
  gt.pixels.resize(static_cast<size_t>(size) * size);
  for (int y = 0; y < size; ++y) {
    const uint8_t* row = resized.data() + static_cast<size_t>(y + g.crop_top) * g.resized_width + g.crop_left;
    std::copy(row, row + size, gt.pixels.begin() + static_cast<std::ptrdiff_t>(y) * size);
  }
  return gt;
}

}  // namespace winclip
