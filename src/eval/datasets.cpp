// Dispatch to the layouts, and the checks every dataset gets.
#include "winclip/datasets.hpp"

#include <algorithm>
#include <map>

#include "eval/dataset_layouts.hpp"
#include "winclip/error.hpp"

namespace winclip {

namespace fs = std::filesystem;

DatasetKind parse_dataset_kind(std::string_view name) {
  if (name == "mvtec") return DatasetKind::MVTec;
  if (name == "visa") return DatasetKind::VisA;
  if (name == "folder") return DatasetKind::Folder;
  throw Error("unknown dataset '" + std::string(name) + "' (expected mvtec, visa or folder)");
}

const char* dataset_kind_name(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::MVTec: return "mvtec";
    case DatasetKind::VisA: return "visa";
    case DatasetKind::Folder: return "folder";
  }
  return "?";
}

std::string TestImage::key() const { return defect + "/" + image.stem().string(); }

std::vector<std::string> list_categories(const DatasetSource& source) {
  switch (source.kind) {
    case DatasetKind::MVTec: return eval::mvtec_categories(source.root);
    case DatasetKind::VisA: return eval::visa_categories(source.root);
    case DatasetKind::Folder: return {eval::folder_category(source)};
  }
  return {};
}

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text.append(text.empty() ? "" : ", ").append(name);
  return text;
}

Category load_layout(const DatasetSource& source, const std::string& name) {
  switch (source.kind) {
    case DatasetKind::MVTec: return eval::load_mvtec(source.root, name);
    case DatasetKind::VisA: return eval::load_visa(source.root, name);
    case DatasetKind::Folder: return eval::load_folder(source);
  }
  return {};
}

// Map and cache files are named by key, so two images with one key would overwrite each other's results.
void require_unique_keys(const Category& category) {
  std::map<std::string, fs::path> seen;
  for (const auto& t : category.test) {
    auto [it, inserted] = seen.emplace(t.key(), t.image);
    if (!inserted)
      throw Error(t.image.string(), "has the same folder name and file stem as " + it->second.string() +
                                        " (category '" + category.name + "'); rename one of them");
  }
}

}  // namespace

Category load_category(const DatasetSource& source, const std::string& name) {
  const std::vector<std::string> available = list_categories(source);
  if (std::find(available.begin(), available.end(), name) == available.end())
    throw Error("unknown category '" + name + "' in the " + dataset_kind_name(source.kind) +
                " dataset; available: " + join(available));
  Category category = load_layout(source, name);
  category.name = name;
  std::sort(category.train.begin(), category.train.end());
  std::sort(category.test.begin(), category.test.end(),
            [](const TestImage& a, const TestImage& b) { return a.image < b.image; });
  if (category.test.empty()) throw Error("category '" + name + "' has no test images");
  require_unique_keys(category);
  return category;
}

void limit_test_images(Category& category, int per_defect) {
  std::map<std::string, int> kept;
  std::erase_if(category.test, [&](const TestImage& t) { return ++kept[t.defect] > per_defect; });
}

void require_masks(const Category& category) {
  for (const auto& t : category.test) {
    if (!t.anomalous) continue;
    if (t.mask.empty())
      throw Error(t.image.string(), "anomalous test image without a ground-truth mask (category '" + category.name +
                                        "'); give the masks, or use --no-pixel-metrics");
    if (!fs::is_regular_file(t.mask))
      throw Error(t.mask.string(),
                  "ground-truth mask of " + t.image.string() + " not found; add it, or use --no-pixel-metrics");
  }
}

}  // namespace winclip
