#include "serve/request_parsing.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include "serve/http_error.hpp"

namespace winclip::serve {
namespace {

// The text fields of a request (multipart parts without a file role, then query parameters) and its files.
struct RequestFields {
  std::map<std::string, std::string_view> text;
  std::vector<Upload> images, refs;
};

HttpError bad_field(const std::string& field, const std::string& problem) {
  return HttpError(400, field + ": " + problem);
}

// A value quoted in a message: cut short, so that a megabyte of garbage does not come back in the answer.
std::string shown(std::string_view value) {
  constexpr size_t kShown = 64;
  return "'" + std::string(value.substr(0, kShown)) + (value.size() > kShown ? "...'" : "'");
}

void add_text_field(RequestFields& fields, const std::string& name, std::string_view value,
                    const std::vector<std::string_view>& allowed) {
  bool known = false;
  for (std::string_view a : allowed) known = known || a == name;
  if (!known) throw HttpError(400, "unknown field " + shown(name));
  if (!fields.text.emplace(name, value).second) throw bad_field(name, "given more than once");
}

std::string media_type(const httplib::Request& request) {
  std::string type = request.get_header_value("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

// Parts named image (with `with_images`) and ref carry files; every other part is a text field.
RequestFields multipart_fields(const httplib::Request& request, const std::vector<std::string_view>& text_fields,
                               bool with_images) {
  RequestFields fields;
  // httplib keeps the parts in a multimap by name, in upload order within one name: images keep theirs.
  for (const auto& [name, part] : request.files) {
    if ((with_images && name == "image") || name == "ref") {
      auto& uploads = name == "image" ? fields.images : fields.refs;
      const std::string file_name =
          part.filename.empty() ? name + "-" + std::to_string(uploads.size() + 1) : part.filename;
      uploads.push_back({file_name, part.content});
    } else {
      add_text_field(fields, name, part.content, text_fields);
    }
  }
  return fields;
}

void add_query_fields(RequestFields& fields, const httplib::Request& request,
                      const std::vector<std::string_view>& allowed) {
  for (const auto& [name, value] : request.params) add_text_field(fields, name, value, allowed);
}

std::optional<std::string_view> field(const RequestFields& fields, const std::string& name) {
  const auto it = fields.text.find(name);
  if (it == fields.text.end()) return std::nullopt;
  return it->second;
}

std::string class_field(const RequestFields& fields, bool required) {
  const auto value = field(fields, "class");
  if (!value || value->empty()) {
    if (required) throw bad_field("class", "required (the object class, e.g. bottle)");
    return {};
  }
  if (value->size() > kMaxClassNameBytes)
    throw bad_field("class", "longer than " + std::to_string(kMaxClassNameBytes) + " bytes");
  return std::string(*value);
}

TemplateSet templates_field(const RequestFields& fields) {
  const auto value = field(fields, "templates");
  if (!value || *value == "paper") return TemplateSet::Paper;
  if (*value == "anomalib") return TemplateSet::Anomalib;
  throw bad_field("templates", "must be paper or anomalib, not " + shown(*value));
}

bool bool_field(const RequestFields& fields, const std::string& name) {
  const auto value = field(fields, name);
  if (!value || *value == "false" || *value == "0") return false;
  if (*value == "true" || *value == "1") return true;
  throw bad_field(name, "must be true or false, not " + shown(*value));
}

std::optional<double> threshold_field(const RequestFields& fields) {
  const auto value = field(fields, "threshold");
  if (!value) return std::nullopt;
  const std::string text(*value);
  char* end = nullptr;
  const double threshold = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  if (!std::isfinite(threshold) || end != text.c_str() + text.size())
    throw bad_field("threshold", "must be a number, not " + shown(*value));
  return threshold;
}

DetectOutputs outputs_field(const RequestFields& fields) {
  const auto value = field(fields, "outputs");
  if (!value) return {};
  DetectOutputs outputs{false, false, false};
  size_t begin = 0;
  while (begin <= value->size()) {
    size_t end = value->find(',', begin);
    if (end == std::string_view::npos) end = value->size();
    std::string_view item = value->substr(begin, end - begin);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (item == "map")
      outputs.map = true;
    else if (item == "overlay")
      outputs.overlay = true;
    else if (item == "mask")
      outputs.mask = true;
    else if (!item.empty())
      throw bad_field("outputs", "unknown output " + shown(item) + " (map, overlay, mask)");
    begin = end + 1;
  }
  return outputs;
}

std::string bank_field(const RequestFields& fields, const std::string& name, bool required) {
  const auto value = field(fields, name);
  if (!value) {
    if (required) throw bad_field(name, "required (the bank's name)");
    return {};
  }
  if (!valid_bank_name(*value))
    throw bad_field(name, shown(*value) +
                              " is not a bank name: 1 to 64 letters, digits, '_', '.' or '-', "
                              "starting with a letter or digit");
  return std::string(*value);
}

}  // namespace

bool valid_bank_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

DetectRequest parse_detect_request(const httplib::Request& request) {
  static const std::vector<std::string_view> kFields = {"class",          "bank",      "templates",
                                                        "raw_class_name", "threshold", "outputs"};
  static const std::vector<std::string_view> kRawFields = {"class",     "bank",    "templates", "raw_class_name",
                                                           "threshold", "outputs", "name"};
  RequestFields fields;
  const std::string type = media_type(request);
  if (request.is_multipart_form_data()) {
    fields = multipart_fields(request, kFields, true);
    add_query_fields(fields, request, kFields);
  } else if (type == "image/png" || type == "image/jpeg") {
    add_query_fields(fields, request, kRawFields);
    const auto name = field(fields, "name");
    fields.images.push_back({name && !name->empty() ? std::string(*name) : "image", request.body});
  } else {
    throw HttpError(
        415, "Content-Type " + shown(type) + " is not accepted: send multipart/form-data, image/png or image/jpeg");
  }
  DetectRequest r;
  r.bank = bank_field(fields, "bank", false);
  r.class_name = class_field(fields, r.bank.empty());
  r.templates = templates_field(fields);
  r.raw_class_name = bool_field(fields, "raw_class_name");
  r.threshold = threshold_field(fields);
  r.outputs = outputs_field(fields);
  if (fields.images.empty()) throw bad_field("image", "required (one or more image files)");
  r.images = std::move(fields.images);
  r.refs = std::move(fields.refs);
  return r;
}

BankRequest parse_bank_request(const httplib::Request& request) {
  static const std::vector<std::string_view> kFields = {"name", "class", "templates", "raw_class_name"};
  if (!request.is_multipart_form_data())
    throw HttpError(415, "Content-Type " + shown(media_type(request)) + " is not accepted: send multipart/form-data");
  RequestFields fields = multipart_fields(request, kFields, false);
  add_query_fields(fields, request, kFields);
  BankRequest r;
  r.name = bank_field(fields, "name", true);
  r.class_name = class_field(fields, true);
  r.templates = templates_field(fields);
  r.raw_class_name = bool_field(fields, "raw_class_name");
  if (fields.refs.empty()) throw bad_field("ref", "required (one or more normal reference images)");
  r.refs = std::move(fields.refs);
  return r;
}

}  // namespace winclip::serve
