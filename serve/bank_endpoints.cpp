// POST /v1/banks (build and store), GET /v1/banks (list), DELETE /v1/banks/NAME.
#include "serve/endpoints.hpp"
#include "serve/http_error.hpp"
#include "serve/json_reply.hpp"
#include "serve/reference_images.hpp"
#include "winclip/error.hpp"

namespace winclip::serve {
namespace {

nlohmann::ordered_json bank_json(const StoredBank& bank) {
  const Detector& detector = *bank.detector;
  return {{"name", bank.name},
          {"class", detector.options().class_name},
          {"shots", detector.shots()},
          {"templates", template_set_name(detector.options().templates)},
          {"calibrated", bank.calibration.has_value()}};
}

}  // namespace

void create_bank_endpoint(ServiceContext& context, const httplib::Request& http_request, httplib::Response& response) {
  const BankRequest request = parse_bank_request(http_request);
  std::shared_ptr<const Detector> zero_shot;
  try {
    zero_shot = context.detectors.get(request.class_name, request.templates, request.raw_class_name);
  } catch (const Error& e) {
    throw HttpError(400, std::string("class: ") + e.what());
  }
  Detector detector(context.model,
                    context.detectors.options_for(request.class_name, request.templates, request.raw_class_name),
                    zero_shot->prototypes());
  detector.add_references(decode_references(request.refs, context.options.max_image_pixels));
  const auto bank = context.banks.put(request.name, std::move(detector));
  nlohmann::ordered_json body = bank_json(*bank);
  reply_json(response, 201, {{"name", body["name"]}, {"class", body["class"]}, {"shots", body["shots"]}});
}

void list_banks_endpoint(ServiceContext& context, const httplib::Request&, httplib::Response& response) {
  nlohmann::ordered_json banks = nlohmann::ordered_json::array();
  for (const auto& bank : context.banks.list()) banks.push_back(bank_json(*bank));
  reply_json(response, 200, {{"banks", banks}});
}

void delete_bank_endpoint(ServiceContext& context, const httplib::Request& request, httplib::Response& response) {
  const std::string name = request.path.substr(std::string("/v1/banks/").size());
  if (!valid_bank_name(name) || !context.banks.remove(name)) throw HttpError(404, "no bank named '" + name + "'");
  response.status = 204;
}

}  // namespace winclip::serve
