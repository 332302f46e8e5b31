#pragma once
// Pictures for people: the anomaly map as a heat map over the original image, and thresholded masks, both
// at the original image's resolution.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "winclip/image.hpp"
#include "winclip/preprocess.hpp"
#include "winclip/tensor.hpp"

namespace winclip {

struct OverlayOptions {
  std::optional<float> threshold;  // draw the contour of map > threshold
  // Colour range of the heat map; unset = the map's own min..max, so faint structure stays visible.
  std::optional<float> range_min, range_max;
  float alpha = 0.5f;  // weight of the heat map in the blend
};

// The [S, S] model-input map brought back onto the original image: stretched for squash, placed over the
// centre crop for shortest (the parts outside the crop get 0).
Tensor map_to_original(const Tensor& map, int width, int height, ResizeMode mode);

Image render_overlay(const Image& original, const Tensor& map, ResizeMode mode, const OverlayOptions& options);

// Draws onto `image` the outline of where `map` ([S, S] in model-input space, like an anomaly map or a ground
// truth of 0/1) exceeds `threshold`, brought onto the image as render_overlay brings its map; colour in RGB.
void draw_contour(Image& image, const Tensor& map, ResizeMode mode, float threshold, std::array<uint8_t, 3> colour);

// 255 where the map (at the original resolution) exceeds the threshold, else 0; one channel.
std::vector<uint8_t> threshold_mask(const Tensor& original_map, float threshold);

// PNG bytes, as write_png would store them; `name` is used in error messages.
std::string encode_png(const Image& image, const std::string& name);
std::string encode_png_gray(int width, int height, const std::vector<uint8_t>& pixels, const std::string& name);

void write_png(const std::filesystem::path& path, const Image& image);
void write_png_gray(const std::filesystem::path& path, int width, int height, const std::vector<uint8_t>& pixels);

}  // namespace winclip
