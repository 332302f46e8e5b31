// Identifying a weights file without loading it: for bank files, prototype caches and evaluation caches.
#include <fstream>

#include "checkpoint/checkpoint.hpp"
#include "core/sha256.hpp"
#include "winclip/error.hpp"

namespace winclip {

namespace fs = std::filesystem;

namespace {
constexpr size_t kFingerprintSpan = 1 << 20;
}  // namespace

std::string weights_fingerprint(const fs::path& weights_file) {
  std::ifstream in(weights_file, std::ios::binary);
  if (!in) throw Error(weights_file.string(), "cannot open weights file");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(in.tellg());
  Sha256 hash;
  hash.update(std::to_string(size));
  std::string buffer;
  for (uint64_t start : {uint64_t{0}, size > kFingerprintSpan ? size - kFingerprintSpan : uint64_t{0}}) {
    buffer.resize(static_cast<size_t>(std::min<uint64_t>(kFingerprintSpan, size - start)));
    in.seekg(static_cast<std::streamoff>(start));
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash.update(buffer);
  }
  return hash.hex_digest().substr(0, 32);
}

std::string weights_file_state(const fs::path& weights_file) {
  const fs::path file = fs::canonical(weights_file);
  return std::to_string(fs::file_size(file)) + ":" +
         std::to_string(fs::last_write_time(file).time_since_epoch().count());
}

}  // namespace winclip
