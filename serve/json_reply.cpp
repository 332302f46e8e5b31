#include "serve/json_reply.hpp"

namespace winclip::serve {

std::string json_text(const nlohmann::ordered_json& json) {
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void reply_json(httplib::Response& response, int status, const nlohmann::ordered_json& json) {
  response.status = status;
  response.set_content(json_text(json), "application/json");
}

void reply_error(httplib::Response& response, int status, const std::string& message) {
  reply_json(response, status, {{"error", message}});
}

}  // namespace winclip::serve
