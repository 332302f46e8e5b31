// Helpers the dataset layouts share.
#include <algorithm>

#include "eval/dataset_layouts.hpp"
#include "winclip/error.hpp"
#include "winclip/image.hpp"

namespace winclip::eval {

namespace fs = std::filesystem;

std::string parent_folder_name(const fs::path& image) {
  return fs::absolute(image).lexically_normal().parent_path().filename().string();
}

std::vector<fs::path> image_files_in(const fs::path& dir) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && has_image_extension(entry.path()) &&
        !entry.path().filename().string().starts_with('.'))
      found.push_back(entry.path());
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw Error(dir.string(), "cannot list directory: " + ec.message());
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace winclip::eval
