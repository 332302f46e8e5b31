#pragma once
// JSON answers. Text from requests (file names, class names) may be any bytes: invalid UTF-8 is replaced, never
// an exception.
#include <httplib.h>

#include <string>

#include <nlohmann/json.hpp>

namespace winclip::serve {

std::string json_text(const nlohmann::ordered_json& json);
void reply_json(httplib::Response& response, int status, const nlohmann::ordered_json& json);
// {"error": message}
void reply_error(httplib::Response& response, int status, const std::string& message);

}  // namespace winclip::serve
