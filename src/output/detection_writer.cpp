#include "winclip/detection_writer.hpp"

#include "core/atomic_file.hpp"
#include "winclip/npy.hpp"
#include "winclip/overlay.hpp"

namespace winclip {

namespace {
using Json = nlohmann::ordered_json;
}  // namespace

DecisionThresholds DecisionThresholds::from_argument(std::optional<double> threshold) {
  return {threshold, threshold, threshold ? "argument" : ""};
}

DecisionThresholds DecisionThresholds::from_bank(const BankCalibration& calibration) {
  return {calibration.image_threshold, calibration.pixel_threshold, "bank"};
}

DetectionWriter::DetectionWriter(std::filesystem::path out_dir, const Detector& detector,
                                 std::optional<double> threshold)
    : DetectionWriter(std::move(out_dir), detector, DecisionThresholds::from_argument(threshold)) {}

DetectionWriter::DetectionWriter(std::filesystem::path out_dir, const Detector& detector,
                                 DecisionThresholds thresholds)
    : out_dir_(std::move(out_dir)),
      resize_(detector.options().resize),
      threshold_(thresholds.image),
      pixel_threshold_(thresholds.pixel),
      results_(results_header(detector, thresholds)) {
  results_["images"] = Json::array();
}

Json DetectionWriter::results_header(const Detector& detector, std::optional<double> threshold) {
  return results_header(detector, DecisionThresholds::from_argument(threshold));
}

Json DetectionWriter::results_header(const Detector& detector, const DecisionThresholds& thresholds) {
  const std::optional<double>& threshold = thresholds.image;
  const ClipModel& model = detector.model();
  return {{"model", model.config().name},
          {"model_path", model.weights_path().string()},
          {"class", detector.options().class_name},
          {"object_name", detector.object_name()},
          {"shots", detector.shots()},
          {"templates", template_set_name(detector.options().templates)},
          {"precision", precision_name(model.precision())},
          {"threshold", threshold ? Json(*threshold) : Json()},
          {"pixel_threshold", thresholds.pixel ? Json(*thresholds.pixel) : Json()},
          {"threshold_source", thresholds.source.empty() ? Json() : Json(thresholds.source)}};
}

Json DetectionWriter::image_entry(const std::filesystem::path& image_path, const Detection& detection,
                                  const DetectionFiles& files) const {
  Json entry = {{"path", image_path.string()},
                {"score", detection.score},
                {"anomalous", threshold_ ? Json(detection.score > *threshold_) : Json()},
                {"map", files.map},
                {"overlay", files.overlay}};
  if (!files.mask.empty()) entry["mask"] = files.mask;
  return entry;
}

Json DetectionWriter::failed_entry(const std::filesystem::path& image_path, const std::string& error) {
  return {{"path", image_path.string()}, {"score", nullptr}, {"anomalous", nullptr}, {"error", error}};
}

Image DetectionWriter::overlay_image(const Image& original, const Detection& detection) const {
  OverlayOptions overlay;
  if (pixel_threshold_) overlay.threshold = static_cast<float>(*pixel_threshold_);
  return render_overlay(original, detection.map, resize_, overlay);
}

std::vector<uint8_t> DetectionWriter::mask_pixels(const Image& original, const Detection& detection) const {
  const Tensor full = map_to_original(detection.map, original.width, original.height, resize_);
  return threshold_mask(full, static_cast<float>(*pixel_threshold_));
}

std::string DetectionWriter::overlay_png(const Image& original, const Detection& detection) const {
  return encode_png(overlay_image(original, detection), "overlay");
}

std::string DetectionWriter::mask_png(const Image& original, const Detection& detection) const {
  if (!pixel_threshold_) return {};
  return encode_png_gray(original.width, original.height, mask_pixels(original, detection), "mask");
}

DetectionFiles DetectionWriter::next_files(const std::filesystem::path& image_path) {
  const std::string stem = image_path.stem().string();
  std::string unique = stem;
  for (int n = 2; used_stems_.count(unique); ++n) unique = stem + "-" + std::to_string(n);
  used_stems_.insert(unique);
  DetectionFiles files;
  files.map = (std::filesystem::path("maps") / (unique + ".npy")).string();
  files.overlay = (std::filesystem::path("overlays") / (unique + ".png")).string();
  if (pixel_threshold_) files.mask = (std::filesystem::path("masks") / (unique + ".png")).string();
  return files;
}

const Json& DetectionWriter::write(const std::filesystem::path& image_path, const Image& original,
                                   const Detection& detection) {
  const DetectionFiles files = next_files(image_path);
  write_npy(out_dir_ / files.map, detection.map);
  write_png(out_dir_ / files.overlay, overlay_image(original, detection));
  if (!files.mask.empty())
    write_png_gray(out_dir_ / files.mask, original.width, original.height, mask_pixels(original, detection));
  results_["images"].push_back(image_entry(image_path, detection, files));
  return results_["images"].back();
}

const Json& DetectionWriter::add_failure(const std::filesystem::path& image_path, const std::string& error) {
  results_["images"].push_back(failed_entry(image_path, error));
  return results_["images"].back();
}

std::filesystem::path DetectionWriter::write_results() const {
  const std::filesystem::path path = out_dir_ / "results.json";
  write_file_atomic(path, results_.dump(1) + "\n");
  return path;
}

}  // namespace winclip
