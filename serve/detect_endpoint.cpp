// POST /v1/detect: the request's Detector (cached zero-shot, a stored bank, or either plus the request's
// references), its images decoded and preprocessed here, encoded by the batcher together with other requests'
// images, and finished here with this request's Detector.
#include <optional>

#include "serve/detect_response.hpp"
#include "serve/endpoints.hpp"
#include "serve/http_error.hpp"
#include "serve/json_reply.hpp"
#include "serve/reference_images.hpp"
#include "winclip/error.hpp"

namespace winclip::serve {
namespace {

struct RequestDetector {
  std::shared_ptr<const Detector> detector;
  std::optional<BankCalibration> calibration;
};

RequestDetector request_detector(ServiceContext& context, const DetectRequest& request) {
  RequestDetector out;
  if (!request.bank.empty()) {
    std::shared_ptr<const StoredBank> bank;
    try {
      bank = context.banks.get(request.bank);
    } catch (const Error& e) {
      throw HttpError(400, std::string("bank: ") + e.what());
    }
    if (!bank) throw HttpError(400, "bank: no bank named '" + request.bank + "'");
    const std::string& bank_class = bank->detector->options().class_name;
    if (!request.class_name.empty() && request.class_name != bank_class)
      throw HttpError(400, "class: bank '" + request.bank + "' was built for class '" + bank_class + "', not '" +
                               request.class_name + "'");
    out.calibration = bank->calibration;
    if (request.refs.empty()) {
      out.detector = bank->detector;
    } else {
      if (out.calibration && !request.threshold)
        throw HttpError(400, "threshold: bank '" + request.bank +
                                 "' has thresholds calibrated for its own references: with ref, give a threshold");
      Detector detector = context.banks.load_detector(request.bank);
      detector.add_references(decode_references(request.refs, context.options.max_image_pixels));
      out.detector = std::make_shared<const Detector>(std::move(detector));
    }
    return out;
  }
  std::shared_ptr<const Detector> zero_shot;
  try {
    zero_shot = context.detectors.get(request.class_name, request.templates, request.raw_class_name);
  } catch (const Error& e) {
    throw HttpError(400, std::string("class: ") + e.what());
  }
  if (request.refs.empty()) {
    out.detector = zero_shot;
  } else {
    Detector detector(context.model,
                      context.detectors.options_for(request.class_name, request.templates, request.raw_class_name),
                      zero_shot->prototypes());
    detector.add_references(decode_references(request.refs, context.options.max_image_pixels));
    out.detector = std::make_shared<const Detector>(std::move(detector));
  }
  return out;
}

}  // namespace

void detect_endpoint(ServiceContext& context, const httplib::Request& http_request, httplib::Response& response) {
  const DetectRequest request = parse_detect_request(http_request);
  const RequestDetector made = request_detector(context, request);
  const Detector& detector = *made.detector;
  // The request's threshold overrides a calibrated bank's, as --threshold does for `winclip detect --bank`.
  const DecisionThresholds thresholds = !request.threshold && made.calibration
                                            ? DecisionThresholds::from_bank(*made.calibration)
                                            : DecisionThresholds::from_argument(request.threshold);

  const size_t count = request.images.size();
  std::vector<std::optional<Image>> originals(count);
  std::vector<std::string> errors(count);
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < count; ++i) {
    try {
      const auto& upload = request.images[i];
      Image image = decode_image_bytes({reinterpret_cast<const uint8_t*>(upload.bytes.data()), upload.bytes.size()},
                                       upload.name, context.options.max_image_pixels);
      inputs.push_back(detector.preprocess(image));
      originals[i] = std::move(image);
    } catch (const Error& e) {
      errors[i] = e.what();
    }
  }
  auto encoded = context.batcher.submit(made.detector, std::move(inputs));

  DetectResponse answer(detector, thresholds, request.outputs);
  int64_t scored = 0;
  for (size_t i = 0, next = 0; i < count; ++i) {
    if (!originals[i]) {
      answer.add_failure(request.images[i].name, errors[i]);
      continue;
    }
    EncodedImage image = encoded[next++].get();
    const Detection detection = detector.score_encoded(*image.pass, image.index);
    image.pass.reset();
    answer.add(request.images[i].name, *originals[i], detection);
    originals[i].reset();
    ++scored;
  }
  context.metrics.add_images_scored(scored);
  context.metrics.add_image_errors(static_cast<int64_t>(count) - scored);
  reply_json(response, 200, answer.json());
}

}  // namespace winclip::serve
