#include "checkpoint/strict_json_object.hpp"

#include <limits>

#include "winclip/error.hpp"

namespace winclip::detail {

using nlohmann::json;

StrictJsonObject::StrictJsonObject(const json& object, std::string path, std::string where)
    : object_(object), path_(std::move(path)), where_(std::move(where)) {
  if (!object_.is_object()) throw Error(where_, path_ + " must be a JSON object, got " + object_.dump());
}

void StrictJsonObject::fail(const std::string& key, const std::string& problem) const {
  throw Error(where_, path_ + "." + key + ": " + problem);
}

const json* StrictJsonObject::take(const char* key) {
  read_.insert(key);
  const auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

int StrictJsonObject::positive_int_value(const char* key, const json& value) const {
  if (!value.is_number_integer() || value.get<int64_t>() <= 0 || value.get<int64_t>() > std::numeric_limits<int>::max())
    fail(key, "must be a positive integer, got " + value.dump());
  return value.get<int>();
}

int StrictJsonObject::positive_int(const char* key, std::optional<int> fallback) {
  const json* value = take(key);
  if (!value) return fallback_or_fail(key, fallback);
  return positive_int_value(key, *value);
}

int StrictJsonObject::fallback_or_fail(const char* key, std::optional<int> fallback) const {
  if (!fallback) fail(key, "missing");
  return *fallback;
}

double StrictJsonObject::positive_number(const char* key, double fallback) {
  const json* value = take(key);
  if (!value) return fallback;
  if (!value->is_number() || !(value->get<double>() > 0)) fail(key, "must be a positive number, got " + value->dump());
  return value->get<double>();
}

bool StrictJsonObject::boolean(const char* key, bool fallback) {
  const json* value = take(key);
  if (!value) return fallback;
  if (!value->is_boolean()) fail(key, "must be true or false, got " + value->dump());
  return value->get<bool>();
}

std::string StrictJsonObject::one_of(const char* key, std::initializer_list<const char*> allowed) {
  const json* value = take(key);
  std::string choices;
  for (const char* a : allowed) choices += (choices.empty() ? "" : ", ") + std::string(a);
  if (!value) return *allowed.begin();
  if (value->is_string())
    for (const char* a : allowed)
      if (value->get<std::string>() == a) return a;
  fail(key, value->dump() + " is not supported (expected one of " + choices + ")");
}

int StrictJsonObject::square_size(const char* key, std::optional<int> fallback) {
  const json* value = take(key);
  if (!value) return fallback_or_fail(key, fallback);
  if (!value->is_array()) return positive_int_value(key, *value);
  if (value->size() != 2 || (*value)[0] != (*value)[1]) fail(key, value->dump() + ": only square sizes are supported");
  return positive_int_value(key, (*value)[0]);
}

const json* StrictJsonObject::child(const char* key) { return take(key); }

void StrictJsonObject::require_default(const char* key, const json& default_value) {
  const json* value = take(key);
  if (!value || *value == default_value) return;
  fail(key, value->dump() + " is not supported; winclip implements the standard open_clip CLIP (" +
                (default_value.is_null() ? std::string("unset") : default_value.dump()) + ")");
}

void StrictJsonObject::ignore(const char* key) { take(key); }

void StrictJsonObject::finish() const {
  for (const auto& [key, value] : object_.items())
    if (!read_.count(key)) fail(key, "unknown setting (not an open_clip v2.24 setting winclip can honour)");
}

}  // namespace winclip::detail
