#pragma once
// The files `winclip detect` leaves for each image: DIR/maps/<stem>.npy (the [S, S] float32 map),
// DIR/overlays/<stem>.png (heat map over the original image) and, with a threshold, DIR/masks/<stem>.png.
#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "winclip/detector.hpp"
#include "winclip/image.hpp"

namespace winclip {

struct DetectionFiles {
  std::filesystem::path map, overlay, mask;  // mask empty without a threshold
};

class DetectionWriter {
 public:
  DetectionWriter(std::filesystem::path out_dir, ResizeMode resize, std::optional<float> threshold);

  // Two inputs with the same file stem (from different folders) get "<stem>", then "<stem>-2", ...
  DetectionFiles write(const std::filesystem::path& image_path, const Image& original, const Detection& detection);

 private:
  std::string unique_stem(const std::filesystem::path& image_path);

  std::filesystem::path out_dir_;
  ResizeMode resize_;
  std::optional<float> threshold_;
  std::set<std::string> used_stems_;
};

}  // namespace winclip
