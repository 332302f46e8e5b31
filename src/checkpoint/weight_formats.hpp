#pragma once
// Internal: the file formats behind WeightFile::open. Each parser validates everything against the mapping
// and returns entries pointing into it; errors name `where` (the file) and the tensor.
#include <filesystem>
#include <map>
#include <memory>
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
SafetensorsContents parse_safetensors(const MappedFile& file, const std::string& where);

// torch.save zip archives (stored entries only, as torch writes them); a restricted pickle reader that
// never executes code.
std::vector<TensorEntry> parse_torch_zip(const MappedFile& file, const std::string& where);

}  // namespace winclip::detail
