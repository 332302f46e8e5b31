#pragma once
// CLIP image preprocessing, bit-exact to open_clip v2.24 (torchvision Resize/CenterCrop on a PIL image,
// Pillow 9.4's 8-bit bicubic resampler, ToTensor, Normalize).
#include <string_view>

#include "winclip/image.hpp"
#include "winclip/model_config.hpp"
#include "winclip/tensor.hpp"

namespace winclip {

// squash: resize straight to size×size (anomalib, and the recommended mode for WinCLIP).
// shortest: shorter side to size, then a centred size×size crop (open_clip's preprocess_val).
enum class ResizeMode { Squash, Shortest };

ResizeMode parse_resize_mode(std::string_view text);  // "squash" | "shortest"; Error otherwise

// Pillow's Image.resize(..., BICUBIC) on 8-bit RGB: separable, antialiased (the kernel widens by the
// downscale factor), 22-bit fixed-point coefficients, each pass rounded and clamped to uint8.
// Throws Error for an empty source or a non-positive output size.
Image resize_bicubic(const Image& src, int out_width, int out_height);

// The source region a model input is cut from: the source is resized to resized_width × resized_height,
// then the size×size window at (crop_left, crop_top) is kept. Lets callers map results back onto the image.
struct ResizeGeometry {
  int resized_width = 0, resized_height = 0;
  int crop_left = 0, crop_top = 0;
};
// shortest: the long side becomes int(size * long / short) (truncated, as torchvision), the crop offsets
// round((resized - size) / 2) with Python's half-to-even rounding (402×300 → 321×240, left 40).
ResizeGeometry resize_geometry(int width, int height, int size, ResizeMode mode);

Image crop(const Image& src, int left, int top, int width, int height);  // Error if outside the image
Image resize_for_model(const Image& src, int size, ResizeMode mode);

// float32 [3, H, W]: (u8 / 255 - mean) / std, each operation rounded to float32 exactly as torch does.
Tensor to_normalized_chw(const Image& img, const PreprocessConfig& cfg);
Tensor preprocess(const Image& img, int size, ResizeMode mode, const PreprocessConfig& cfg);

}  // namespace winclip
