#include "winclip/preprocess.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "winclip/error.hpp"

namespace winclip {
namespace {

std::string size_string(int width, int height) { return std::to_string(width) + "x" + std::to_string(height); }

// Python's round(excess / 2) for excess >= 0, half to even: 81 -> 40, 65 -> 32, 79 -> 40.
int centred_offset(int excess) {
  const int half = excess / 2;
  return (excess % 2 != 0 && half % 2 != 0) ? half + 1 : half;
}

}  // namespace

ResizeMode parse_resize_mode(std::string_view text) {
  if (text == "squash") return ResizeMode::Squash;
  if (text == "shortest") return ResizeMode::Shortest;
  throw Error("resize mode '" + std::string(text) + "'", "expected \"squash\" or \"shortest\"");
}

ResizeGeometry resize_geometry(int width, int height, int size, ResizeMode mode) {
  if (width <= 0 || height <= 0 || size <= 0)
    throw Error("resize_geometry", "image " + size_string(width, height) + " to " + std::to_string(size) +
                                       ": sizes must be positive");
  if (mode == ResizeMode::Squash) return {size, size, 0, 0};
  // torchvision: new_long = int(size * long / short), a true (double) division, then truncation.
  const int shorter = std::min(width, height), longer = std::max(width, height);
  const int resized_long = static_cast<int>(static_cast<double>(size) * longer / shorter);
  ResizeGeometry g;
  g.resized_width = width <= height ? size : resized_long;
  g.resized_height = width <= height ? resized_long : size;
  g.crop_left = centred_offset(g.resized_width - size);
  g.crop_top = centred_offset(g.resized_height - size);
  return g;
}

Image crop(const Image& src, int left, int top, int width, int height) {
  if (left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > src.width || top + height > src.height)
    throw Error("crop", "window " + size_string(width, height) + " at (" + std::to_string(left) + ", " +
                            std::to_string(top) + ") is not inside the " + size_string(src.width, src.height) +
                            " image");
  Image out{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  const size_t row_len = static_cast<size_t>(width) * 3;
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = src.pixel(left, top + y);
    std::copy(row, row + row_len, out.rgb.begin() + static_cast<std::ptrdiff_t>(row_len * y));
  }
  return out;
}

Image resize_for_model(const Image& src, int size, ResizeMode mode) {
  const ResizeGeometry g = resize_geometry(src.width, src.height, size, mode);
  const Image resized = resize_bicubic(src, g.resized_width, g.resized_height);
  if (g.resized_width == size && g.resized_height == size) return resized;
  return crop(resized, g.crop_left, g.crop_top, size, size);
}

Tensor to_normalized_chw(const Image& img, const PreprocessConfig& cfg) {
  if (img.empty() || img.rgb.size() != static_cast<size_t>(img.width) * img.height * 3)
    throw Error("to_normalized_chw", "image " + size_string(img.width, img.height) + " has no valid RGB buffer");
  // One table per channel: 256 possible inputs. Each step is its own float32 operation, as in torch's
  // ToTensor (u8 -> float, / 255) and Normalize (sub_ mean, div_ std).
  std::array<std::array<float, 256>, 3> table;
  for (int c = 0; c < 3; ++c) {
    if (!(cfg.std[c] > 0.0f) || !std::isfinite(cfg.std[c]) || !std::isfinite(cfg.mean[c]))
      throw Error("preprocess config", "channel " + std::to_string(c) + " has mean " + std::to_string(cfg.mean[c]) +
                                           ", std " + std::to_string(cfg.std[c]) + "; both must be finite and std positive");
    for (int u = 0; u < 256; ++u) {
      const float scaled = static_cast<float>(u) / 255.0f;
      const float centred = scaled - cfg.mean[c];
      table[c][u] = centred / cfg.std[c];
    }
  }
  const int64_t plane = static_cast<int64_t>(img.width) * img.height;
  Tensor out({3, img.height, img.width});
  for (int c = 0; c < 3; ++c) {
    float* channel = out.ptr() + c * plane;
    for (int64_t p = 0; p < plane; ++p) channel[p] = table[c][img.rgb[p * 3 + c]];
  }
  return out;
}

Tensor preprocess(const Image& img, int size, ResizeMode mode, const PreprocessConfig& cfg) {
  return to_normalized_chw(resize_for_model(img, size, mode), cfg);
}

}  // namespace winclip
