#pragma once
// The evaluation datasets (docs/eval.md, Datasets) — MVTec-AD, VisA with its one-class split, and a user's
// own folders — read into one form: per category, the normal training images that few-shot references are drawn from,
// and the labelled test images with their ground-truth masks.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace winclip {

enum class DatasetKind { MVTec, VisA, Folder };
DatasetKind parse_dataset_kind(std::string_view name);  // "mvtec" | "visa" | "folder"; Error otherwise
const char* dataset_kind_name(DatasetKind kind);

// Where a dataset lives on disk.
//   mvtec:  <root>/<class>/{train/good, test/<defect>, ground_truth/<defect>/<stem>_mask.png}
//   visa:   <root>/split_csv/1cls.csv (object,split,label,image,mask; paths relative to <root>)
//   folder: `normal` and `abnormal` image folders (walked recursively), `masks` holding
//           <same sub-folder>/<stem>_mask.png or <stem>.png for each abnormal image, `train` normal images
//           for few-shot references. One category, named `folder_category` or after abnormal's parent.
struct DatasetSource {
  DatasetKind kind = DatasetKind::MVTec;
  std::filesystem::path root;
  std::filesystem::path normal, abnormal, masks, train;
  std::string folder_category;
};

struct TestImage {
  std::filesystem::path image;
  // Where the ground truth is expected. Empty for normal images (all-normal) and for abnormal ones whose
  // dataset names none; it may not exist (require_masks reports that).
  std::filesystem::path mask;
  bool anomalous = false;
  // The name of the folder holding the image: the defect type or "good" in MVTec, "Normal"/"Anomaly" in
  // VisA. Groups images for --limit and names their map files.
  std::string defect;

  // "<defect>/<stem>": names the image's map and cache files; unique within a category.
  std::string key() const;
};

struct Category {
  std::string name;
  std::vector<std::filesystem::path> train;  // normal images, sorted by path
  std::vector<TestImage> test;               // sorted by path
};

// The categories present, sorted: mvtec — folders of root holding a test/ folder; visa — the objects of
// 1cls.csv; folder — its one category. Throws Error when there are none.
std::vector<std::string> list_categories(const DatasetSource& source);

// Throws Error naming the category and the available ones when it is unknown, and naming the files when
// two test images would share a key or a category has no test image.
Category load_category(const DatasetSource& source, const std::string& name);

// Keeps the first `per_defect` test images of each defect type (order unchanged).
void limit_test_images(Category& category, int per_defect);

// Throws Error naming the image (and where its mask was looked for) when an anomalous test image has no
// ground-truth mask file: pixel metrics cannot be computed without it.
void require_masks(const Category& category);

}  // namespace winclip
