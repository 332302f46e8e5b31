#pragma once
// SHA-256 (FIPS 180-4), used to check downloaded weights. Our own small implementation because none of the
// project's dependencies exposes one (libcurl's TLS backend is not a public API).
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace winclip {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // Pads, returns the digest as 64 lowercase hex digits; the object must not be updated afterwards.
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// Digest of a whole file; throws Error naming the file if it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

// True for exactly 64 hex digits (either case): the form a digest takes in headers and records.
bool is_sha256_hex(std::string_view text);

}  // namespace winclip
