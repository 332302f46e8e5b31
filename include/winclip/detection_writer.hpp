#pragma once
// What `winclip detect` leaves in DIR, made by one component so that every front end (the CLI, a service, the
// Python module) gives the same files and the same JSON: DIR/results.json, and for each image
// DIR/maps/<stem>.npy (the [S, S] float32 map), DIR/overlays/<stem>.png (heat map over the original image)
// and, with a (pixel) threshold, DIR/masks/<stem>.png. The JSON entries and the PNG bytes are also available without
// writing anything, for a front end that answers in memory.
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "winclip/detector.hpp"
#include "winclip/image.hpp"

namespace winclip {

// Where one image's outputs go, relative to the output directory.
struct DetectionFiles {
  std::string map, overlay, mask;  // mask empty without a threshold
};

// The decision rule: the image threshold gives the verdict, the pixel threshold the masks and contours.
struct DecisionThresholds {
  std::optional<double> image, pixel;
  std::string source;  // "argument" (--threshold: both the same), "bank" (its calibration), "" (none)

  static DecisionThresholds from_argument(std::optional<double> threshold);
  static DecisionThresholds from_bank(const BankCalibration& calibration);
};

class DetectionWriter {
 public:
  // results.json describes `detector` as it is now: add references before constructing the writer.
  DetectionWriter(std::filesystem::path out_dir, const Detector& detector, std::optional<double> threshold);
  DetectionWriter(std::filesystem::path out_dir, const Detector& detector, DecisionThresholds thresholds);

  // results.json's fields before "images": model, model_path, class, object_name, shots, templates,
  // precision, threshold (the image threshold), pixel_threshold, threshold_source ("argument", "bank" or null).
  static nlohmann::ordered_json results_header(const Detector& detector, std::optional<double> threshold);
  static nlohmann::ordered_json results_header(const Detector& detector, const DecisionThresholds& thresholds);

  // The entry of a scored image: path, score, anomalous (null without a threshold), map, overlay, mask?.
  nlohmann::ordered_json image_entry(const std::filesystem::path& image_path, const Detection& detection,
                                     const DetectionFiles& files) const;
  // The entry of an image that could not be scored: its score and verdict are null.
  static nlohmann::ordered_json failed_entry(const std::filesystem::path& image_path, const std::string& error);

  std::string overlay_png(const Image& original, const Detection& detection) const;
  std::string mask_png(const Image& original, const Detection& detection) const;  // empty without a threshold

  // Two inputs with the same file stem (from different folders) get "<stem>", then "<stem>-2", ...; each
  // call reserves the names it returns.
  DetectionFiles next_files(const std::filesystem::path& image_path);

  // Writes the image's map, overlay and mask and adds its entry to the results.
  const nlohmann::ordered_json& write(const std::filesystem::path& image_path, const Image& original,
                                      const Detection& detection);
  const nlohmann::ordered_json& add_failure(const std::filesystem::path& image_path, const std::string& error);

  // The header and the entries so far, in the order they were added.
  const nlohmann::ordered_json& results() const { return results_; }
  std::filesystem::path write_results() const;  // DIR/results.json, atomically; returns its path

 private:
  Image overlay_image(const Image& original, const Detection& detection) const;
  std::vector<uint8_t> mask_pixels(const Image& original, const Detection& detection) const;  // needs a threshold

  std::filesystem::path out_dir_;
  ResizeMode resize_;
  std::optional<double> threshold_;        // image
  std::optional<double> pixel_threshold_;  // masks and contours
  std::set<std::string> used_stems_;
  nlohmann::ordered_json results_;
};

}  // namespace winclip
