// safetensors (header, dtypes, shapes, data offsets) through WeightFile, and every tensor it accepts widened
// to float32, as a model, a bank file or a prototype cache entry is read.
// fuzz dictionary: json.dict
#include "checkpoint/checkpoint.hpp"
#include "support/fuzz_target.hpp"

using namespace winclip;

WINCLIP_FUZZ_TARGET(safetensors) {
  constexpr std::string_view kName = "input.safetensors";
  fuzz::read_or_refuse(kName, [&] {
    const WeightFile file = WeightFile::from_bytes(std::as_bytes(bytes), std::string(kName));
    for (const TensorEntry& entry : file.entries()) {
      const auto numel = static_cast<size_t>(shape_numel(entry.shape));
      fuzz::check(entry.nbytes == numel * dtype_size(entry.dtype),
                  "tensor '" + entry.name + "': size and shape differ");
      fuzz::check(entry.nbytes <= bytes.size(), "tensor '" + entry.name + "' is larger than the file");
      fuzz::check(file.load_f32(entry.name, entry.shape).size() == numel, "load_f32 of '" + entry.name + "'");
    }
  });
}
