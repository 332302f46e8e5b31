#pragma once
// Files that appear whole or not at all: written to a temporary sibling, flushed, then renamed.
#include <filesystem>
#include <string_view>

namespace winclip {

void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

}  // namespace winclip
