#pragma once
// Ground-truth masks at the evaluation size (docs/eval.md, Datasets: Resolution): decoded, binarised (≠ 0 is
// anomalous) and resized with nearest neighbour through the same geometry as the image.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "winclip/preprocess.hpp"

namespace winclip {

struct GroundTruth {
  int file_width = 0, file_height = 0;  // of the mask file, to check it against its image
  std::vector<uint8_t> pixels;          // size×size, row-major, 1 anomalous / 0 normal
};

// Decodes the mask with OpenCV as stored (no EXIF rotation, 8 or 16 bits, any channel count); a pixel is
// anomalous when any colour channel is nonzero (VisA stores region ids, MVTec 0/255; alpha is ignored).
// Then resizes like the image: squash → size×size; shortest → resize_geometry, then the centre crop.
// Throws Error naming the file when it is missing or not an image.
GroundTruth load_ground_truth(const std::filesystem::path& path, int size, ResizeMode mode);
// The same for a mask file's bytes in memory; `name` stands for the file in errors.
GroundTruth load_ground_truth_bytes(std::span<const uint8_t> bytes, const std::string& name, int size,
                                    ResizeMode mode);

// Nearest-neighbour source index of output index `dst` when `in` samples become `out`: torch's
// interpolate(mode="nearest"), which anomalib's torchvision v2 mask resize runs —
// min(floorf(dst * (float)in / out), in - 1) in float32, with in == out copying and out == 2·in halving.
// (Exact rational floor(dst·in/out) and OpenCV's INTER_NEAREST, computed in double, agree with it except at
// a few sizes: 1000 → 240 differs from the rational rule at 14 of 240 rows.)
int nearest_source_index(int dst, int in, int out);

// Nearest-neighbour resize of a one-channel 8-bit image by nearest_source_index on both axes.
std::vector<uint8_t> resize_nearest(const std::vector<uint8_t>& src, int width, int height, int out_width,
                                    int out_height);

}  // namespace winclip
