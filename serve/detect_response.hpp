#pragma once
// The JSON answer of POST /v1/detect, made with the library's own output code (DetectionWriter), so that its
// fields, verdicts and pictures are those of `winclip detect`'s results.json, overlays and masks.
#include <string>

#include <nlohmann/json.hpp>

#include "serve/request_parsing.hpp"
#include "winclip/detection_writer.hpp"

namespace winclip::serve {

class DetectResponse {
 public:
  DetectResponse(const Detector& detector, const DecisionThresholds& thresholds, DetectOutputs outputs);

  // {"name", "score", "anomalous", "map"?: {"width", "height", "dtype": "float32", "data": base64 of the
  // little-endian row-major map}, "overlay_png"?, "mask_png"?} (mask_png null without a threshold).
  void add(const std::string& name, const Image& original, const Detection& detection);
  // {"name", "score": null, "anomalous": null, "error"}
  void add_failure(const std::string& name, const std::string& error);

  // results.json's header without the server's own model path, then "images" in the order they were added.
  const nlohmann::ordered_json& json() const { return json_; }

 private:
  DetectionWriter writer_;  // writes nothing: only its JSON entries and PNG bytes are used
  DetectOutputs outputs_;
  nlohmann::ordered_json json_;
};

// The map's JSON: width, height, dtype, data.
nlohmann::ordered_json map_json(const Tensor& map);

}  // namespace winclip::serve
