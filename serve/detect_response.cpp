#include "serve/detect_response.hpp"

#include <bit>
#include <cstring>

#include "serve/base64.hpp"

namespace winclip::serve {

using Json = nlohmann::ordered_json;

DetectResponse::DetectResponse(const Detector& detector, const DecisionThresholds& thresholds, DetectOutputs outputs)
    : writer_({}, detector, thresholds),
      outputs_(outputs),
      json_(DetectionWriter::results_header(detector, thresholds)) {
  json_.erase("model_path");
  json_["images"] = Json::array();
}

Json map_json(const Tensor& map) {
  static_assert(std::endian::native == std::endian::little, "maps are sent as little-endian float32");
  std::string bytes(static_cast<size_t>(map.numel()) * sizeof(float), '\0');
  std::memcpy(bytes.data(), map.ptr(), bytes.size());
  return {
      {"width", map.shape.at(1)}, {"height", map.shape.at(0)}, {"dtype", "float32"}, {"data", base64_encode(bytes)}};
}

void DetectResponse::add(const std::string& name, const Image& original, const Detection& detection) {
  const Json written = writer_.image_entry(name, detection, {});
  Json entry = {{"name", name}, {"score", written["score"]}, {"anomalous", written["anomalous"]}};
  if (outputs_.map) entry["map"] = map_json(detection.map);
  if (outputs_.overlay) entry["overlay_png"] = base64_encode(writer_.overlay_png(original, detection));
  if (outputs_.mask) {
    const std::string mask = writer_.mask_png(original, detection);
    entry["mask_png"] = mask.empty() ? Json() : Json(base64_encode(mask));
  }
  json_["images"].push_back(std::move(entry));
}

void DetectResponse::add_failure(const std::string& name, const std::string& error) {
  Json entry = DetectionWriter::failed_entry(name, error);
  entry.erase("path");
  Json named = {{"name", name}};
  named.update(entry);
  json_["images"].push_back(std::move(named));
}

}  // namespace winclip::serve
