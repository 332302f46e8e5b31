#pragma once
// How image scores are written to text (cache entries, scores.csv): nine significant digits, which is
// enough for a float32 to read back as exactly the same value.
#include <cstdio>
#include <optional>
#include <string>

namespace winclip::eval {

inline std::string score_text(float score) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", static_cast<double>(score));
  return text;
}

// A metric in [0, 1] as a percentage with one decimal (tables and the HTML report); `missing` for an undefined
// metric, whose text differs by format.
inline std::string percent_text(const std::optional<double>& value, const char* missing) {
  if (!value) return missing;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", *value * 100.0);
  return text;
}

}  // namespace winclip::eval
