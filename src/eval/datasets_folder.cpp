// A user's own data: --normal and --abnormal image folders, --masks for the abnormal images, --train
// normal images for few-shot references.
#include "eval/dataset_layouts.hpp"
#include "winclip/error.hpp"
#include "winclip/image.hpp"

namespace winclip::eval {

namespace fs = std::filesystem;

namespace {

fs::path normalised(const fs::path& dir) {
  fs::path p = fs::absolute(dir).lexically_normal();
  return p.has_filename() ? p : p.parent_path();  // "a/bad/" → "a/bad"
}

std::vector<fs::path> images_under(const fs::path& dir, const char* option) {
  if (dir.empty()) throw Error(std::string("the folder dataset needs ") + option);
  return collect_images({dir.string()});
}

// <masks>/<the image's sub-folder under abnormal>/<stem>_mask.png (MVTec's naming) or .../<stem>.png.
// When neither exists the first is returned, so the error names a concrete expected file.
fs::path find_mask(const fs::path& masks, const fs::path& abnormal, const fs::path& image) {
  const fs::path folder = masks / normalised(image).parent_path().lexically_relative(normalised(abnormal));
  const std::string stem = image.stem().string();
  const fs::path mvtec_style = (folder / (stem + "_mask.png")).lexically_normal();
  const fs::path same_stem = (folder / (stem + ".png")).lexically_normal();
  return !fs::exists(mvtec_style) && fs::exists(same_stem) ? same_stem : mvtec_style;
}

}  // namespace

std::string folder_category(const DatasetSource& source) {
  if (!source.folder_category.empty()) return source.folder_category;
  if (source.abnormal.empty()) return "custom";
  const std::string parent = normalised(source.abnormal).parent_path().filename().string();
  return parent.empty() ? "custom" : parent;
}

Category load_folder(const DatasetSource& source) {
  Category category;
  for (const auto& image : images_under(source.normal, "--normal"))
    category.test.push_back({.image = image, .anomalous = false, .defect = parent_folder_name(image)});
  for (const auto& image : images_under(source.abnormal, "--abnormal")) {
    TestImage t{.image = image, .anomalous = true, .defect = parent_folder_name(image)};
    if (!source.masks.empty()) t.mask = find_mask(source.masks, source.abnormal, image);
    category.test.push_back(std::move(t));
  }
  if (!source.train.empty()) category.train = collect_images({source.train.string()});
  return category;
}

}  // namespace winclip::eval
