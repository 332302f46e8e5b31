#pragma once
// Internal: the file formats behind WeightFile::open and WeightFile::from_bytes. Each parser validates
// everything against the bytes (a mapping or a buffer) and returns entries pointing into them; errors name
// `where` (the file) and the tensor.
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.hpp"

namespace winclip::detail {

// A read-only memory mapping of a whole file (empty files map to size 0, data nullptr).
class MappedFile {
 public:
  static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path);  // throws Error
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  MappedFile() = default;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

struct SafetensorsContents {
  std::vector<TensorEntry> entries;
  std::map<std::string, std::string> metadata;  // the header's "__metadata__"
};
SafetensorsContents parse_safetensors(std::span<const std::byte> bytes, const std::string& where);

// torch.save zip archives (stored entries only, as torch writes them); a restricted pickle reader that
// never executes code.
std::vector<TensorEntry> parse_torch_zip(std::span<const std::byte> bytes, const std::string& where);

}  // namespace winclip::detail
