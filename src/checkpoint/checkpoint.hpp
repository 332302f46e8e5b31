#pragma once
// Weight files: a read-only, memory-mapped view of named tensors (safetensors, or the zip that torch.save
// writes), plus a safetensors writer. Nothing here knows about CLIP; model.hpp checks names and shapes.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "winclip/tensor.hpp"

namespace winclip {

enum class DType { F32, F16, BF16 };
const char* dtype_name(DType dtype);  // "F32", "F16", "BF16"
size_t dtype_size(DType dtype);

// One tensor inside a mapped file. `data` points into the mapping (little-endian, C-contiguous).
struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  const std::byte* data = nullptr;
  size_t nbytes = 0;
};

class WeightFile {
 public:
  // Opens a .safetensors file or a torch.save zip (.bin/.pt), recognised by content, not by extension.
  // Throws Error naming the file (and the tensor) for anything malformed: bad header, offsets outside the
  // file, overlapping tensors, unknown dtype, size/shape mismatch, truncation. A legacy (pre-1.6, bare
  // pickle) torch.save file is refused with advice to re-save or convert it.
  static WeightFile open(const std::filesystem::path& path);
  // The same for bytes in memory (an upload, a fuzzer's input), copied into the WeightFile; `name` stands for
  // the file in errors and path().
  static WeightFile from_bytes(std::span<const std::byte> bytes, const std::string& name);

  const std::filesystem::path& path() const { return path_; }
  const std::vector<TensorEntry>& entries() const { return entries_; }
  const TensorEntry* find(std::string_view name) const;
  // The safetensors "__metadata__" strings (e.g. {"format": "pt"}); empty for torch.save files.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Converts a tensor to float32 after checking it exists and has `expected` shape; the Error names the
  // file and the tensor.
  std::vector<float> load_f32(std::string_view name, const Shape& expected) const;

  // Internal: used by the format parsers.
  WeightFile(std::filesystem::path path, std::shared_ptr<const void> storage, std::vector<TensorEntry> entries,
             std::map<std::string, std::string> metadata = {});

 private:
  std::filesystem::path path_;
  std::shared_ptr<const void> storage_;  // keeps the mapping (or buffer) alive while entries point into it
  std::vector<TensorEntry> entries_;
  std::unordered_map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// A tensor to be written: float32 values with a shape.
struct NamedTensor {
  std::string name;
  Shape shape;
  std::vector<float> values;
};

// Writes F32 safetensors (keys sorted, contiguous, header padded to 8 bytes), atomically.
void save_safetensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// The same writer fed by a callback, for models too large to hold twice in memory (a full-size random CLIP):
// `fill(i, out)` writes the values of tensors[i] (name, shape) into `out`, which has shape_numel(shape) floats.
using TensorFill = std::function<void(size_t index, std::span<float> out)>;
void save_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, Shape>>& tensors,
                      const TensorFill& fill, const std::map<std::string, std::string>& metadata = {});

// A short content fingerprint of a weights file (size and SHA-256 of its first and last MiB): cheap to take
// without loading the model, and different for any two checkpoints we would meet in practice.
std::string weights_fingerprint(const std::filesystem::path& weights_file);

// The file's size and modification time: what a cache on this machine adds to the fingerprint (which reads
// only the first and last MiB) to tell a model rewritten in place from the old one. Not portable, so bank
// files do not use it.
std::string weights_file_state(const std::filesystem::path& weights_file);

}  // namespace winclip
