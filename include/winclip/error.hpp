#pragma once
// The one error type of the library: what failed and where (a file, a tensor, an image).
#include <stdexcept>
#include <string>

namespace winclip {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  // "<where>: <what>", e.g. "model.safetensors: tensor 'visual.proj': shape [64, 32], expected [64, 16]".
  Error(const std::string& where, const std::string& what) : std::runtime_error(where + ": " + what) {}
};

}  // namespace winclip
