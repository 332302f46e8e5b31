// MVTec-AD (docs/eval.md, Datasets): <root>/<class>/train/good, test/<defect>, ground_truth/<defect>/<stem>_mask.png.
#include <algorithm>

#include "eval/dataset_layouts.hpp"
#include "winclip/error.hpp"

namespace winclip::eval {

namespace fs = std::filesystem;

namespace {

// Sub-folders of `dir`, hidden ones skipped, sorted by name.
std::vector<fs::path> subfolders(const fs::path& dir) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_directory() && !entry.path().filename().string().starts_with('.')) found.push_back(entry.path());
  if (ec) throw Error(dir.string(), "cannot list directory: " + ec.message());
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

// Any class folder with a test/ folder counts, not only the 15 official names: held-out or custom data in
// the MVTec layout evaluates the same way.
std::vector<std::string> mvtec_categories(const fs::path& root) {
  if (!fs::is_directory(root)) throw Error(root.string(), "MVTec-AD root is not a directory");
  std::vector<std::string> names;
  for (const auto& dir : subfolders(root))
    if (fs::is_directory(dir / "test")) names.push_back(dir.filename().string());
  if (names.empty()) throw Error(root.string(), "no MVTec-AD class folders (<class>/test/) found");
  return names;
}

Category load_mvtec(const fs::path& root, const std::string& name) {
  const fs::path dir = root / name;
  Category category;
  category.train = image_files_in(dir / "train" / "good");
  for (const auto& defect_dir : subfolders(dir / "test")) {
    const std::string defect = defect_dir.filename().string();
    for (const auto& image : image_files_in(defect_dir)) {
      TestImage t{.image = image, .anomalous = defect != "good", .defect = defect};
      if (t.anomalous) t.mask = dir / "ground_truth" / defect / (image.stem().string() + "_mask.png");
      category.test.push_back(std::move(t));
    }
  }
  return category;
}

}  // namespace winclip::eval
