#pragma once
// Internal: reads the settings of one open_clip config object strictly. Every key must be read, checked to
// hold its default, or explicitly ignored; finish() refuses any other key, because an unknown setting could
// change the architecture and silently give wrong numbers if skipped.
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace winclip::detail {

class StrictJsonObject {
 public:
  // `path` names the object inside the file (e.g. "vision_cfg"); `where` names the file in errors.
  StrictJsonObject(const nlohmann::json& object, std::string path, std::string where);

  // `fallback` is used when the key is absent; without one the key is required.
  int positive_int(const char* key, std::optional<int> fallback = std::nullopt);
  double positive_number(const char* key, double fallback);
  bool boolean(const char* key, bool fallback);
  std::string one_of(const char* key, std::initializer_list<const char*> allowed);  // the first is the default
  // An int, or a pair [h, w] with h == w (open_clip accepts both for sizes; non-square inputs are unsupported).
  int square_size(const char* key, std::optional<int> fallback = std::nullopt);
  const nlohmann::json* child(const char* key);  // nullptr when absent

  // The key may be absent or hold `default_value` (null meaning "absent or null"); anything else is refused
  // as an unsupported variant of the architecture.
  void require_default(const char* key, const nlohmann::json& default_value);
  void ignore(const char* key);  // a training-only setting with no effect on inference
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;

 private:
  const nlohmann::json* take(const char* key);
  int positive_int_value(const char* key, const nlohmann::json& value) const;
  int fallback_or_fail(const char* key, std::optional<int> fallback) const;

  const nlohmann::json& object_;
  std::string path_;
  std::string where_;
  std::set<std::string> read_;
};

}  // namespace winclip::detail
