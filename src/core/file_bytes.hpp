#pragma once
// Internal: a whole file read into memory, for the readers that parse bytes (images, masks, .npy), so that
// each reads a file exactly as it reads bytes handed over by a caller.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace winclip {

// Error naming the file when it is missing, a directory ("is a directory, not <expected>"), or unreadable.
std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path, const char* expected);

}  // namespace winclip
