#pragma once
// The three on-disk layouts behind load_category (datasets.hpp), and what they share.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "winclip/datasets.hpp"

namespace winclip::eval {

std::vector<std::string> mvtec_categories(const std::filesystem::path& root);
Category load_mvtec(const std::filesystem::path& root, const std::string& name);

// One row of VisA's split_csv/1cls.csv, paths relative to the root.
struct VisaSplitRow {
  std::string object, split, label, image, mask;
};
// The CSV's text (columns found by name); errors name `where` and the line.
std::vector<VisaSplitRow> parse_visa_split(std::string_view text, const std::string& where);

std::vector<std::string> visa_categories(const std::filesystem::path& root);
Category load_visa(const std::filesystem::path& root, const std::string& name);

std::string folder_category(const DatasetSource& source);
Category load_folder(const DatasetSource& source);

// The name of the folder holding the image (of its normalised absolute path, so "./a.png" has one too).
std::string parent_folder_name(const std::filesystem::path& image);

// The image files directly in `dir` (not in sub-folders), hidden ones skipped, sorted; none if `dir` does
// not exist.
std::vector<std::filesystem::path> image_files_in(const std::filesystem::path& dir);

}  // namespace winclip::eval
