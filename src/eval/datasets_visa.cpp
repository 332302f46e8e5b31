// VisA (docs/eval.md, Datasets) through its one-class split <root>/split_csv/1cls.csv: columns object, split
// (train|test), label (normal|anomaly), image, mask, with paths relative to <root>; train rows are normal.
#include <algorithm>
#include <array>
#include <fstream>
#include <set>
#include <sstream>

#include "eval/dataset_layouts.hpp"
#include "winclip/error.hpp"

namespace winclip::eval {

namespace fs = std::filesystem;

namespace {

// One CSV record (RFC 4180 quoting; the file has none, but spreadsheet tools add it).
std::vector<std::string> split_record(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

fs::path split_file(const fs::path& root) { return root / "split_csv" / "1cls.csv"; }

std::vector<VisaSplitRow> read_split(const fs::path& root) {
  if (!fs::is_directory(root)) throw Error(root.string(), "VisA root is not a directory");
  const fs::path path = split_file(root);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string(), "cannot open the VisA one-class split (is --root the VisA folder?)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(path.string(), "cannot read the VisA one-class split");
  return parse_visa_split(text.str(), path.string());
}

}  // namespace

std::vector<VisaSplitRow> parse_visa_split(std::string_view text, const std::string& where) {
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line)) throw Error(where, "empty file");
  // Columns are found by name, so a reordered file reads the same.
  const std::vector<std::string> header = split_record(line);
  constexpr std::array<const char*, 5> kColumns = {"object", "split", "label", "image", "mask"};
  std::array<size_t, 5> column{};
  for (size_t c = 0; c < kColumns.size(); ++c) {
    const auto it = std::find(header.begin(), header.end(), kColumns[c]);
    if (it == header.end()) throw Error(where, std::string("header has no '") + kColumns[c] + "' column");
    column[c] = static_cast<size_t>(it - header.begin());
  }
  std::vector<VisaSplitRow> rows;
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty() || line == "\r") continue;
    std::vector<std::string> f = split_record(line);
    f.resize(std::max(f.size(), header.size()));
    VisaSplitRow row{f[column[0]], f[column[1]], f[column[2]], f[column[3]], f[column[4]]};
    const std::string line_where = where + ":" + std::to_string(number);
    if (row.split != "train" && row.split != "test")
      throw Error(line_where, "split '" + row.split + "' is not train or test");
    if (row.label != "normal" && row.label != "anomaly")
      throw Error(line_where, "label '" + row.label + "' is not normal or anomaly");
    if (row.image.empty()) throw Error(line_where, "no image path");
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<std::string> visa_categories(const fs::path& root) {
  std::set<std::string> names;
  for (const auto& row : read_split(root)) names.insert(row.object);
  if (names.empty()) throw Error(split_file(root).string(), "lists no images");
  return {names.begin(), names.end()};
}

Category load_visa(const fs::path& root, const std::string& name) {
  Category category;
  for (const auto& row : read_split(root)) {
    if (row.object != name) continue;
    const bool anomalous = row.label == "anomaly";
    if (row.split == "train") {
      // References must be normal; the official split has only normal train rows anyway.
      if (!anomalous) category.train.push_back(root / row.image);
      continue;
    }
    TestImage t{.image = root / row.image, .anomalous = anomalous};
    t.defect = parent_folder_name(t.image);
    if (anomalous && !row.mask.empty()) t.mask = root / row.mask;
    category.test.push_back(std::move(t));
  }
  return category;
}

}  // namespace winclip::eval
