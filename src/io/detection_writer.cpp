#include "winclip/detection_writer.hpp"

#include "winclip/npy.hpp"
#include "winclip/overlay.hpp"

namespace winclip {

DetectionWriter::DetectionWriter(std::filesystem::path out_dir, ResizeMode resize, std::optional<float> threshold)
    : out_dir_(std::move(out_dir)), resize_(resize), threshold_(threshold) {}

std::string DetectionWriter::unique_stem(const std::filesystem::path& image_path) {
  const std::string stem = image_path.stem().string();
  std::string candidate = stem;
  for (int n = 2; used_stems_.count(candidate); ++n) candidate = stem + "-" + std::to_string(n);
  used_stems_.insert(candidate);
  return candidate;
}

DetectionFiles DetectionWriter::write(const std::filesystem::path& image_path, const Image& original,
                                      const Detection& detection) {
  const std::string stem = unique_stem(image_path);
  DetectionFiles files;
  files.map = out_dir_ / "maps" / (stem + ".npy");
  write_npy(files.map, detection.map);
  OverlayOptions overlay;
  overlay.threshold = threshold_;
  files.overlay = out_dir_ / "overlays" / (stem + ".png");
  write_png(files.overlay, render_overlay(original, detection.map, resize_, overlay));
  if (threshold_) {
    files.mask = out_dir_ / "masks" / (stem + ".png");
    const Tensor full = map_to_original(detection.map, original.width, original.height, resize_);
    write_png_gray(files.mask, original.width, original.height, threshold_mask(full, *threshold_));
  }
  return files;
}

}  // namespace winclip
