#pragma once
// How image scores are written to text (cache entries, scores.csv): nine significant digits, which is
// enough for a float32 to read back as exactly the same value.
#include <cstdio>
#include <string>

namespace winclip::eval {

inline std::string score_text(float score) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", static_cast<double>(score));
  return text;
}

}  // namespace winclip::eval
