// OUT/report.html: self-contained, with every category's curves drawn through the points the metrics use.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

// The (x, y) points of each <polyline data-curve="NAME" points="...">, in page order.
std::vector<std::vector<std::pair<double, double>>> curves(const std::string& html, const std::string& name) {
  std::vector<std::vector<std::pair<double, double>>> out;
  const std::regex polyline("data-curve=\"" + name + "\" points=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), polyline); it != std::sregex_iterator(); ++it) {
    std::istringstream points((*it)[1].str());
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
  // Offline: nothing is fetched.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
  const auto rocs = curves(html, "roc");
  ASSERT_EQ(rocs.size(), 2u);
  EXPECT_EQ(curves(html, "pr").size(), 2u);
  size_t i = 0;
  for (const auto& [name, category] : metrics["categories"].items()) {
    EXPECT_NE(html.find("<h2>" + name + "</h2>"), std::string::npos) << name;
    EXPECT_NEAR(trapezoid_area(rocs[i++]), category["image_auroc"].get<double>(), 1e-7) << name;
  }
}
