#pragma once
// Files that appear whole or not at all: written to a temporary sibling, flushed, then renamed.
#include <filesystem>
#include <string_view>

namespace winclip {

// The temporary is `<path>.tmp.<pid>.<random>`; a process killed before the rename leaves it behind.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Whether `path` is such a temporary (by its name).
bool is_atomic_temporary(const std::filesystem::path& path);

}  // namespace winclip
