#include "core/file_bytes.hpp"

#include <fstream>
#include <string>

#include "winclip/error.hpp"

namespace winclip {

std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path, const char* expected) {
  const std::string name = path.string();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw Error(name, "no such file");
  // Checked before opening: a directory opens as a stream whose end some file systems place at 2^63.
  if (std::filesystem::is_directory(status)) throw Error(name, std::string("is a directory, not ") + expected);
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(name, "cannot open file");
  const std::streamoff size = in.tellg();
  if (size < 0) throw Error(name, "cannot determine the file size");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) throw Error(name, "read error");
  return bytes;
}

}  // namespace winclip
