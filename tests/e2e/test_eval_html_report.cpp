// OUT/report.html: self-contained, with every category's curves drawn through the points the metrics use.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"
#include "winclip/image.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

// The text of each attribute `attribute="..."` that follows `marker`, in page order. (Found by hand: std::regex
// recurses per character and overflows the stack on the long point lists and data URIs of a page.)
std::vector<std::string> attributes_after(const std::string& html, const std::string& marker,
                                          const std::string& attribute) {
  std::vector<std::string> out;
  for (auto at = html.find(marker); at != std::string::npos; at = html.find(marker, at + 1)) {
    const auto begin = html.find(attribute + "=\"", at) + attribute.size() + 2;
    out.push_back(html.substr(begin, html.find('"', begin) - begin));
  }
  return out;
}

// The (x, y) points of each <polyline data-curve="NAME" points="...">, in page order.
std::vector<std::vector<std::pair<double, double>>> curves(const std::string& html, const std::string& name) {
  std::vector<std::vector<std::pair<double, double>>> out;
  for (const std::string& text : attributes_after(html, "data-curve=\"" + name + "\"", "points")) {
    std::istringstream points(text);
    std::string point;
    out.emplace_back();
    while (points >> point) {
      const auto comma = point.find(',');
      out.back().emplace_back(std::stod(point.substr(0, comma)), std::stod(point.substr(comma + 1)));
    }
  }
  return out;
}

double trapezoid_area(const std::vector<std::pair<double, double>>& points) {
  double area = 0;
  for (size_t i = 1; i < points.size(); ++i)
    area += (points[i].first - points[i - 1].first) * (points[i].second + points[i - 1].second) / 2;
  return area;
}

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", fraction * 100);
  return text;
}

std::string decode_base64(const std::string& text) {
  const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t group = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const auto value = digits.find(c);
    if (value == std::string::npos) throw std::runtime_error("not base64");
    group = group << 6 | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) out += static_cast<char>((group >> (bits -= 8)) & 0xFF);
  }
  return out;
}

// The part of the page from <section data-category="NAME"> to its </section>.
std::string category_html(const std::string& html, const std::string& name) {
  const auto begin = html.find("<section data-category=\"" + name + "\">");
  if (begin == std::string::npos) return "";
  return html.substr(begin, html.find("</section>", begin) - begin);
}

struct Thumbnail {
  std::string name, png;
  double score = 0;
};

// The thumbnails of the gallery row data-kind="KIND" ("defective" or "good") of one category's html.
std::vector<Thumbnail> gallery(const std::string& section, const std::string& kind) {
  const auto begin = section.find("data-kind=\"" + kind + "\"");
  if (begin == std::string::npos) return {};
  const std::string row = section.substr(begin, section.find("</div>", begin) - begin);
  const std::vector<std::string> names = attributes_after(row, "<img ", "alt");
  const std::vector<std::string> sources = attributes_after(row, "<img ", "src");
  std::vector<Thumbnail> out;
  size_t at = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string uri = "data:image/png;base64,";
    EXPECT_EQ(sources[i].substr(0, uri.size()), uri);
    at = row.find("<br>score ", at) + 10;
    out.push_back({names[i], decode_base64(sources[i].substr(uri.size())), std::stod(row.substr(at))});
  }
  return out;
}

// One calibrated zero-shot run over two categories of 240×200 images, shared by the tests below.
class EvalHtmlReportCalibrated : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new test::TempDir, out_ = new test::TempDir, cache_ = new test::TempDir;
    const test::SyntheticSpec spec{
        .width = 240, .height = 200, .train = 6, .good = 4, .defects = {"hole", "scratch"}, .per_defect = 3};
    test::make_mvtec_category(root_->path(), "carpet", spec);
    test::make_mvtec_category(root_->path(), "grid", spec);
    // F = 0.5 needs only 5 calibration images ((1 - 0.5)^5 ≤ 0.05).
    run_ = new test::CommandResult(test::run_cli(
        {"eval", "--model", test::model_dir().string(), "--cache-dir", cache_->path().string(), "--dataset", "mvtec",
         "--root", root_->path().string(), "--calibrate", "6", "--calibrate-fpr", "0.5", "--save-maps", "--out",
         out_->path().string()}));
  }
  static void TearDownTestSuite() {
    delete run_, delete root_, delete out_, delete cache_;
    run_ = nullptr, root_ = out_ = cache_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(run_->exit_code, 0) << run_->err;
    html_ = test::read_bytes(*out_ / "report.html");
    metrics_ = nlohmann::json::parse(test::read_bytes(*out_ / "metrics.json"));
  }

  static inline test::TempDir *root_ = nullptr, *out_ = nullptr, *cache_ = nullptr;
  static inline test::CommandResult* run_ = nullptr;
  std::string html_;
  nlohmann::json metrics_;
};

}  // namespace

TEST(EvalHtmlReport, PlottedRocAreaIsTheReportedAurocForEveryCategory) {
  test::TempDir root, out, cache;
  const test::SyntheticSpec spec{.train = 3, .good = 3, .defects = {"hole", "scratch"}, .per_defect = 2};
  test::make_mvtec_category(root.path(), "bottle", spec);
  test::make_mvtec_category(root.path(), "cable", spec);
  const auto r = test::run_cli({"eval", "--model", test::model_dir().string(), "--cache-dir", cache.path().string(),
                                "--dataset", "mvtec", "--root", root.path().string(), "--out", out.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = test::read_bytes(out / "report.html");
  const auto metrics = nlohmann::json::parse(test::read_bytes(out / "metrics.json"));
  // Offline: nothing is fetched (the thumbnails are data URIs, whose base64 text is left out of the search).
  EXPECT_EQ(html.find("<script"), std::string::npos);
  std::string text = html;
  const std::string uri = "src=\"data:image/png;base64,";
  for (auto at = text.find(uri); at != std::string::npos; at = text.find(uri, at + 1))
    text.erase(at + uri.size(), text.find('"', at + uri.size()) - at - uri.size());
  EXPECT_EQ(text.find("http"), std::string::npos);
  size_t sources = 0;
  for (auto at = text.find("src="); at != std::string::npos; at = text.find("src=", at + 1), ++sources)
    EXPECT_EQ(text.compare(at, uri.size(), uri), 0) << "a source other than an embedded PNG";
  EXPECT_EQ(sources, 12u);  // 2 categories × 6 thumbnails
  EXPECT_EQ(text.find("href="), std::string::npos);
  const auto rocs = curves(html, "roc");
  ASSERT_EQ(rocs.size(), 2u);
  EXPECT_EQ(curves(html, "pr").size(), 2u);
  size_t i = 0;
  for (const auto& [name, category] : metrics["categories"].items()) {
    EXPECT_NE(html.find("<h2>" + name + "</h2>"), std::string::npos) << name;
    EXPECT_NEAR(trapezoid_area(rocs[i++]), category["image_auroc"].get<double>(), 1e-7) << name;
    // Without a calibrated threshold the gallery shows the 3 lowest-scored of the 4 defective images, lowest
    // first, and the 3 highest-scored of the 3 good ones.
    const std::string section = category_html(html, name);
    const auto defective = gallery(section, "defective"), good = gallery(section, "good");
    ASSERT_EQ(defective.size(), 3u) << name;
    ASSERT_EQ(good.size(), 3u) << name;
    EXPECT_LE(defective[0].score, defective[1].score);
    EXPECT_LE(defective[1].score, defective[2].score);
    EXPECT_GE(good[0].score, good[1].score);
    EXPECT_GE(good[1].score, good[2].score);
    EXPECT_NE(section.find("Defective images with the lowest scores"), std::string::npos);
  }
}

TEST_F(EvalHtmlReportCalibrated, PlottedProAreaOverTheLimitIsTheReportedAupro) {
  const auto pros = curves(html_, "pro");
  ASSERT_EQ(pros.size(), 2u);
  size_t i = 0;
  for (const auto& [name, category] : metrics_["categories"].items()) {
    const auto& pro = pros[i++];
    ASSERT_FALSE(pro.empty()) << name;
    // Plotted over FPR / 0.3, from (0, 0) to the limit: the area is the AUPRO itself.
    EXPECT_EQ(pro.front(), std::make_pair(0.0, 0.0)) << name;
    EXPECT_NEAR(pro.back().first, 1.0, 1e-9) << name;
    EXPECT_NEAR(trapezoid_area(pro), category["pixel_aupro"].get<double>(), 1e-7) << name;
    for (const char* plot : {"roc", "pr", "pro", "histogram"})
      EXPECT_NE(category_html(html_, name).find("data-plot=\"" + std::string(plot) + "\""), std::string::npos)
          << name << " " << plot;
  }
}

TEST_F(EvalHtmlReportCalibrated, GalleryShowsTheImagesOnTheWrongSideOfTheCalibratedThresholdWorstFirst) {
  // The expected choice, from scores.csv and the calibrated threshold of metrics.json.
  std::map<std::string, std::vector<std::pair<std::string, double>>> defective, good;  // category → (name, score)
  std::istringstream csv(test::read_bytes(*out_ / "scores.csv"));
  std::string line;
  std::getline(csv, line);
  while (std::getline(csv, line)) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string field; std::getline(fields, field, ',');) f.push_back(field);
    ASSERT_EQ(f.size(), 5u) << line;
    const fs::path image(f[2]);
    (f[3] == "1" ? defective : good)[f[0]].emplace_back(
        (image.parent_path().filename() / image.filename()).string(), std::stod(f[4]));
  }
  size_t shown = 0;
  for (const auto& [name, category] : metrics_["categories"].items()) {
    const double threshold = category["per_seed"][0]["calibrated"]["threshold"];
    auto wrong_side = [&](std::vector<std::pair<std::string, double>> images, bool anomalous) {
      std::vector<std::pair<std::string, double>> out;
      std::copy_if(images.begin(), images.end(), std::back_inserter(out),
                   [&](const auto& i) { return anomalous ? i.second <= threshold : i.second > threshold; });
      std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
        return anomalous ? a.second < b.second : a.second > b.second;
      });
      if (out.size() > 3) out.resize(3);
      return out;
    };
    const std::string section = category_html(html_, name);
    ASSERT_NE(section.find("data-gallery=\"0\""), std::string::npos) << name;
    for (const auto& [kind, expected] : {std::pair{"defective", wrong_side(defective[name], true)},
                                         std::pair{"good", wrong_side(good[name], false)}}) {
      const std::vector<Thumbnail> thumbnails = gallery(section, kind);
      ASSERT_EQ(thumbnails.size(), expected.size()) << name << " " << kind;
      for (size_t k = 0; k < expected.size(); ++k) {
        EXPECT_EQ(thumbnails[k].name, expected[k].first) << name << " " << kind;
        EXPECT_EQ(thumbnails[k].score, expected[k].second) << name << " " << kind;
        // A PNG thumbnail: 240×200 scaled to 160 on the longest side.
        const std::string& png = thumbnails[k].png;
        const Image thumb = decode_image_bytes(std::span(reinterpret_cast<const uint8_t*>(png.data()), png.size()),
                                               thumbnails[k].name);
        EXPECT_EQ(thumb.width, 160);
        EXPECT_EQ(thumb.height, 133);
        ++shown;
      }
    }
  }
  EXPECT_GT(shown, 0u) << "the test data must give at least one wrong-side image";
}

TEST_F(EvalHtmlReportCalibrated, CalibratedRatesInTablesAndSummaryAreThoseOfMetricsJson) {
  const char* const rates[] = {"fpr", "tpr", "precision", "f1"};
  std::vector<std::pair<std::string, nlohmann::json>> rows;
  for (const auto& [name, category] : metrics_["categories"].items()) rows.emplace_back(name, category["calibrated"]);
  rows.emplace_back("mean", metrics_["mean"]["calibrated"]);
  // The mean row: the mean over categories.
  for (const char* rate : rates) {
    if (rows[0].second[rate].is_number() && rows[1].second[rate].is_number()) {
      EXPECT_NEAR(rows[2].second[rate].get<double>(),
                  (rows[0].second[rate].get<double>() + rows[1].second[rate].get<double>()) / 2, 1e-12);
    }
  }

  std::istringstream csv(test::read_bytes(*out_ / "table.csv"));
  std::string header;
  std::getline(csv, header);
  EXPECT_NE(header.find(",calibrated_fpr,calibrated_tpr,calibrated_precision,calibrated_f1"), std::string::npos)
      << header;
  const std::string table = test::read_bytes(*out_ / "table.md");
  EXPECT_NE(table.find("cal. FPR"), std::string::npos) << table;
  for (const auto& [name, calibrated] : rows) {
    std::string line;
    std::getline(csv, line);
    std::string expected_tail;
    for (const char* rate : rates) {
      const std::string cell = calibrated[rate].is_number() ? percent(calibrated[rate].get<double>()) : "";
      expected_tail += "," + cell;
      const auto at = html_.find("<tr data-row=\"" + name + "\">");
      ASSERT_NE(at, std::string::npos) << name;
      const std::string html_row = html_.substr(at, html_.find("</tr>", at) - at);
      const std::string html_cell = "data-field=\"calibrated." + std::string(rate) + "\">" + (cell.empty() ? "–" : cell);
      EXPECT_NE(html_row.find(html_cell + "<"), std::string::npos) << html_row;
    }
    EXPECT_EQ(line.substr(0, name.size() + 1), name + ",");
    EXPECT_EQ(line.substr(line.size() - expected_tail.size()), expected_tail) << line;
    // table.md: the row of the category ends with the four rates.
    const auto md_at = table.find("| " + name + " ");
    ASSERT_NE(md_at, std::string::npos) << table;
    std::string md_row = table.substr(md_at, table.find('\n', md_at) - md_at);
    std::vector<std::string> cells;
    std::istringstream md(md_row);
    for (std::string cell; std::getline(md, cell, '|');) {
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
    }
    ASSERT_GE(cells.size(), 4u);
    for (size_t k = 0; k < 4; ++k) {
      const auto& value = calibrated[rates[k]];
      EXPECT_EQ(cells[cells.size() - 4 + k], value.is_number() ? percent(value.get<double>()) : "–") << md_row;
    }
  }
}
