// Placeholder until the PyTorch zip reader lands (issue 5); refuses clearly instead of misreading.
#include "clip/weight_formats.hpp"
#include "winclip/error.hpp"

namespace winclip::detail {

std::vector<TensorEntry> parse_torch_zip(const MappedFile&, const std::string& where) {
  throw Error(where, "PyTorch checkpoints (.bin/.pt) are not supported yet; convert to .safetensors");
}

}  // namespace winclip::detail
