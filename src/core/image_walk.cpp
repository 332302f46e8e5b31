// Finding the images a command works on: explicit files in order, directories walked recursively.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include "winclip/error.hpp"
#include "winclip/image.hpp"

namespace winclip {
namespace {

namespace fs = std::filesystem;

// The formats this build of OpenCV imgcodecs decodes to 8- or 16-bit integer images.
constexpr std::array<std::string_view, 14> kImageExtensions = {
    "png", "jpg", "jpeg", "jpe", "bmp", "dib", "tif", "tiff", "webp", "jp2", "pbm", "pgm", "ppm", "pnm"};

std::string extension_list() {
  std::string list;
  for (std::string_view ext : kImageExtensions) list.append(list.empty() ? "" : ", ").append(ext);
  return list;
}

bool is_hidden(const fs::path& path) { return path.filename().string().starts_with('.'); }

// Image files under `dir`, sorted by path (component by component, so a folder's files stay together).
std::vector<fs::path> walk_directory(const fs::path& dir) {
  std::vector<fs::path> found;
  try {
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
      if (is_hidden(it->path())) {
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && has_image_extension(it->path())) found.push_back(it->path());
    }
  } catch (const fs::filesystem_error& e) {
    throw Error(e.path1().empty() ? dir.string() : e.path1().string(), "cannot list directory: " + e.code().message());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  if (ext.empty()) return false;
  ext.erase(0, 1);  // the dot
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(kImageExtensions.begin(), kImageExtensions.end(), ext) != kImageExtensions.end();
}

std::vector<fs::path> collect_images(const std::vector<std::string>& args) {
  std::vector<fs::path> images;
  for (const std::string& arg : args) {
    const fs::path path(arg);
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status)) throw Error(arg, "no such file or directory");
    if (!fs::is_directory(status)) {
      images.push_back(path);
      continue;
    }
    const std::vector<fs::path> found = walk_directory(path);
    if (found.empty()) throw Error(arg, "directory contains no image files (" + extension_list() + ")");
    images.insert(images.end(), found.begin(), found.end());
  }
  return images;
}

}  // namespace winclip
