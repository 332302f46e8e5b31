// run_eval on small synthetic datasets with the tiny random model: metrics come from exactly the stored
// maps and scores, few-shot means and spreads, undefined metrics, and the checks before a run (the cache:
// test_eval_cache.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/eval_runs.hpp"
#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"
#include "winclip/error.hpp"
#include "winclip/eval.hpp"
#include "winclip/metrics.hpp"
#include "winclip/npy.hpp"
#include "winclip/overlay.hpp"
#include "eval/reference_draw.hpp"

using namespace winclip;
using test::category_named;
using test::defined;
using test::tiny_model;
namespace fs = std::filesystem;

namespace {

// The ground truth at 240×240 from the painted square alone: 64 → 240 nearest is floor(x·64/240).
std::vector<uint8_t> expected_mask(const test::Defect& d) {
  std::vector<uint8_t> mask(240 * 240, 0);
  for (int y = 0; y < 240; ++y)
    for (int x = 0; x < 240; ++x) {
      const int sx = x * 64 / 240, sy = y * 64 / 240;
      mask[static_cast<size_t>(y) * 240 + x] =
          sx >= d.left && sx < d.left + d.side && sy >= d.top && sy < d.top + d.side;
    }
  return mask;
}

struct CsvScore {
  std::string image;
  int label = 0;
  float score = 0;
};

std::vector<CsvScore> read_scores(const fs::path& csv, const std::string& category, const std::string& seed) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "category,seed,image,label,score");
  std::vector<CsvScore> rows;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string cat, s, image, label, score;
    std::getline(fields, cat, ',');
    std::getline(fields, s, ',');
    std::getline(fields, image, ',');
    std::getline(fields, label, ',');
    std::getline(fields, score, ',');
    if (cat == category && s == seed) rows.push_back({image, std::stoi(label), std::strtof(score.c_str(), nullptr)});
  }
  return rows;
}

}  // namespace

TEST(Eval, ZeroShotMetricsAreThoseOfTheSavedMapsAndScores) {
  test::TempDir root, out;
  const auto painted = test::make_mvtec_category(root.path(), "bottle", test::kEvalSpec);
  test::make_mvtec_category(root.path(), "zipper", test::kEvalSpec);
  EvalOptions o = test::eval_options_for(root.path(), out.path());
  o.save_maps = true;
  const EvalResult r = run_eval(tiny_model(), o);
  write_eval_report(r, out.path(), true);

  EXPECT_EQ(r.seeds, std::vector<uint64_t>{0});
  ASSERT_EQ(r.categories.size(), 2u);
  const CategoryResult& bottle = category_named(r, "bottle");
  EXPECT_EQ(bottle.n_images, 4);
  EXPECT_FALSE(bottle.summary.std.has_value());

  // Recompute every metric from the files, with masks made from the painted squares.
  const std::vector<CsvScore> rows = read_scores(out / "scores.csv", "bottle", "0");
  ASSERT_EQ(rows.size(), 4u);
  std::vector<float> scores;
  std::vector<uint8_t> labels;
  PixelMetricsAccumulator pixels;
  for (const auto& row : rows) {
    scores.push_back(row.score);
    labels.push_back(static_cast<uint8_t>(row.label));
    const fs::path image(row.image);
    const std::string key = image.parent_path().filename().string() + "/" + image.stem().string();
    const Tensor map = read_npy(out / "maps/bottle/0" / (key + ".npy"));
    ASSERT_EQ(map.shape, (Shape{240, 240}));
    std::vector<uint8_t> mask(240 * 240, 0);
    for (const auto& [name, defect] : painted)
      if (name == key) mask = expected_mask(defect);
    EXPECT_EQ(row.label == 1, key.rfind("good/", 0) != 0) << key;
    pixels.add(map.data, mask, 240, 240);

    // The saved ground truth is the painted square at 240×240; the csv score is the float itself.
    const Image saved_mask = decode_image(out / "masks/bottle" / (key + ".png"));
    ASSERT_EQ(saved_mask.width, 240);
    for (size_t i = 0; i < mask.size(); ++i) ASSERT_EQ(saved_mask.rgb[3 * i], mask[i] * 255) << key << " pixel " << i;
    const auto same_image = [&](const ImageScore& s) { return s.image == image; };
    const auto& computed = bottle.seeds[0].scores;
    const auto it = std::find_if(computed.begin(), computed.end(), same_image);
    ASSERT_NE(it, computed.end()) << key;
    EXPECT_EQ(std::bit_cast<uint32_t>(row.score), std::bit_cast<uint32_t>(it->score)) << key;
  }
  const ImageMetrics image = image_metrics(scores, labels);
  const PixelMetrics pixel = pixels.finish();
  const Metrics& m = bottle.summary.mean;
  EXPECT_NEAR(defined(m.image_auroc), defined(image.auroc), 1e-12);
  EXPECT_NEAR(defined(m.image_ap), defined(image.aupr), 1e-12);
  EXPECT_NEAR(defined(m.image_f1max), defined(image.f1_max), 1e-12);
  EXPECT_NEAR(defined(m.pixel_auroc), defined(pixel.auroc), 1e-12);
  EXPECT_NEAR(defined(m.pixel_aupro), defined(pixel.aupro), 1e-12);
  EXPECT_NEAR(defined(m.pixel_f1max), defined(pixel.f1_max), 1e-12);

  const double zipper_auroc = defined(category_named(r, "zipper").summary.mean.image_auroc);
  EXPECT_NEAR(defined(r.mean.mean.image_auroc), (defined(m.image_auroc) + zipper_auroc) / 2, 1e-12);
}

TEST(Eval, FewShotReportsMeanAndPopulationSpreadOverSeeds) {
  test::TempDir root, out;
  test::make_mvtec_category(root.path(), "bottle", test::kEvalSpec);
  EvalOptions o = test::eval_options_for(root.path(), out.path());
  o.shots = 1;
  o.seeds = {0, 1};
  const EvalResult r = run_eval(tiny_model(), o);
  EXPECT_EQ(r.seeds, (std::vector<uint64_t>{0, 1}));
  const CategoryResult& c = r.categories.at(0);
  ASSERT_EQ(c.seeds.size(), 2u);
  ASSERT_TRUE(c.summary.std.has_value());
  const double a = defined(c.seeds[0].metrics.pixel_auroc), b = defined(c.seeds[1].metrics.pixel_auroc);
  EXPECT_NE(a, b);  // different references, different maps
  EXPECT_NEAR(defined(c.summary.mean.pixel_auroc), (a + b) / 2, 1e-12);
  EXPECT_NEAR(defined(c.summary.std->pixel_auroc), std::abs(a - b) / 2, 1e-12);
  EXPECT_NEAR(defined(r.mean.std->pixel_auroc), std::abs(a - b) / 2, 1e-12);

  // Each draw recorded the reference the documented shuffle picks from the three sorted train images.
  for (uint64_t seed : {0ull, 1ull}) {
    const size_t picked = draw_references(3, 1, seed)[0];
    bool found = false;
    for (const auto& run : fs::directory_iterator(out / "cache")) {
      const std::string refs = test::read_bytes(run.path() / "bottle" / std::to_string(seed) / "references.json");
      found = found || refs.find("train/good/00" + std::to_string(picked) + ".png") != std::string::npos;
    }
    EXPECT_TRUE(found) << "seed " << seed;
  }
}

TEST(Eval, PixelMetricsNeedMasksUnlessTurnedOff) {
  test::TempDir root, out;
  test::make_mvtec_category(root.path(), "bottle", test::kEvalSpec);
  fs::remove(root / "bottle/ground_truth/hole/000_mask.png");
  EvalOptions o = test::eval_options_for(root.path(), out.path());
  try {
    run_eval(tiny_model(), o);
    FAIL() << "a missing mask must be an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ground_truth/hole/000_mask.png"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out / "cache"));  // refused before any image was scored

  o.pixel_metrics = false;
  const EvalResult r = run_eval(tiny_model(), o);
  EXPECT_TRUE(r.mean.mean.image_auroc.has_value());
  EXPECT_FALSE(r.mean.mean.pixel_auroc.has_value());
  EXPECT_TRUE(r.warnings.empty());
}

TEST(Eval, MaskOfAnotherSizeThanItsImageIsRefused) {
  test::TempDir root, out;
  test::make_mvtec_category(root.path(), "bottle", test::kEvalSpec);
  write_png_gray(root / "bottle/ground_truth/scratch/000_mask.png", 32, 32, std::vector<uint8_t>(32 * 32, 255));
  try {
    run_eval(tiny_model(), test::eval_options_for(root.path(), out.path()));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("000_mask.png: ground-truth mask is 32×32 but its image"), std::string::npos)
        << e.what();
  }
}

TEST(Eval, UndefinedMetricsAreEmptyAndTheMeanSkipsThemWithAWarning) {
  test::TempDir root, out;
  test::make_mvtec_category(root.path(), "bottle", test::kEvalSpec);
  test::SyntheticSpec only_good = test::kEvalSpec;
  only_good.defects = {};
  test::make_mvtec_category(root.path(), "cable", only_good);
  const EvalResult r = run_eval(tiny_model(), test::eval_options_for(root.path(), out.path()));
  const Metrics& cable = category_named(r, "cable").summary.mean;
  EXPECT_FALSE(cable.image_auroc.has_value());
  EXPECT_FALSE(cable.pixel_aupro.has_value());
  EXPECT_NEAR(defined(r.mean.mean.image_auroc), defined(category_named(r, "bottle").summary.mean.image_auroc), 1e-12);
  bool mean_warning = false;
  for (const auto& w : r.warnings)
    mean_warning |= w.find("image_auroc: undefined for cable; the mean is over 1 of 2 categories") == 0;
  EXPECT_TRUE(mean_warning);

  write_eval_report(r, out.path(), false);
  const std::string table = test::read_bytes(out / "table.md");
  EXPECT_NE(table.find("| cable "), std::string::npos);
  EXPECT_NE(table.find("–"), std::string::npos);
}

// Categories the data cannot fully measure: only anomalous test images (AUROC undefined, AP and F1-max 1
// as in sklearn, since every prediction is right), and defects whose masks are empty (no anomalous pixel:
// every pixel metric undefined). Nulls and warnings, never NaN, in the result and in metrics.json.
TEST(Eval, DegenerateCategoriesGiveNullsAndWarningsNeverNan) {
  test::TempDir root, out;
  test::SyntheticSpec no_good = test::kEvalSpec;
  no_good.good = 0;
  test::make_mvtec_category(root.path(), "anomalous_only", no_good);
  test::make_mvtec_category(root.path(), "empty_masks", test::kEvalSpec);
  for (const char* mask : {"hole/000_mask.png", "scratch/000_mask.png"})
    write_png_gray(root / "empty_masks/ground_truth" / mask, 64, 64, std::vector<uint8_t>(64 * 64, 0));
  const EvalResult r = run_eval(tiny_model(), test::eval_options_for(root.path(), out.path()));

  const Metrics& only = category_named(r, "anomalous_only").summary.mean;
  EXPECT_FALSE(only.image_auroc.has_value());
  EXPECT_EQ(defined(only.image_ap), 1.0);
  EXPECT_EQ(defined(only.image_f1max), 1.0);
  EXPECT_TRUE(only.pixel_aupro.has_value());  // anomalous images have normal pixels too
  const Metrics& empty = category_named(r, "empty_masks").summary.mean;
  EXPECT_TRUE(empty.image_auroc.has_value());
  EXPECT_FALSE(empty.pixel_auroc.has_value());
  EXPECT_FALSE(empty.pixel_aupro.has_value());
  EXPECT_FALSE(empty.pixel_f1max.has_value());
  EXPECT_EQ(defined(r.mean.mean.image_auroc), defined(empty.image_auroc));
  EXPECT_EQ(defined(r.mean.mean.pixel_aupro), defined(only.pixel_aupro));

  auto warned = [&](const std::string& text) {
    return std::any_of(r.warnings.begin(), r.warnings.end(), [&](const auto& w) { return w.find(text) == 0; });
  };
  EXPECT_TRUE(warned("anomalous_only: no normal test image: image AUROC is undefined"));
  EXPECT_TRUE(warned("empty_masks: no anomalous pixel: pixel AUROC, AUPRO and pixel F1-max are undefined"));
  EXPECT_TRUE(warned("pixel_aupro: undefined for empty_masks; the mean is over 1 of 2 categories"));

  write_eval_report(r, out.path(), false);
  const std::string json = test::read_bytes(out / "metrics.json");
  EXPECT_EQ(json.find("NaN"), std::string::npos);
  EXPECT_EQ(json.find("nan"), std::string::npos);
  const auto metrics = nlohmann::json::parse(json);
  EXPECT_TRUE(metrics["categories"]["anomalous_only"]["image_auroc"].is_null());
  EXPECT_EQ(metrics["categories"]["anomalous_only"]["image_ap"], 1.0);
  EXPECT_TRUE(metrics["categories"]["empty_masks"]["pixel_aupro"].is_null());
  EXPECT_TRUE(metrics["mean"]["pixel_aupro"].is_number());
}

TEST(Eval, MetricAveragesAndSpreadsByHand) {
  std::vector<std::string> warnings;
  const std::vector<Metrics> values = {
      {.image_auroc = 0.5, .pixel_auroc = 0.9}, {.image_auroc = 1.0}, {.image_auroc = 0.75}};
  const Metrics mean = average_metrics(values, {"a", "b", "c"}, "categories", warnings);
  EXPECT_DOUBLE_EQ(defined(mean.image_auroc), 0.75);
  EXPECT_DOUBLE_EQ(defined(mean.pixel_auroc), 0.9);
  EXPECT_FALSE(mean.image_ap.has_value());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "pixel_auroc: undefined for b, c; the mean is over 1 of 3 categories");
  const Metrics spread = metric_spread(values);
  EXPECT_DOUBLE_EQ(defined(spread.image_auroc), std::sqrt((0.0625 + 0.0625 + 0.0) / 3));  // ddof 0
  EXPECT_DOUBLE_EQ(defined(spread.pixel_auroc), 0.0);
}
