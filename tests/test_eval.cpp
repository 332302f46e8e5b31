// run_eval on small synthetic datasets with the tiny random model: metrics come from exactly the stored
// maps and scores, few-shot means and spreads, resuming from the cache, and the checks before a run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"
#include "winclip/error.hpp"
#include "winclip/eval.hpp"
#include "winclip/metrics.hpp"
#include "winclip/npy.hpp"
#include "winclip/reference_draw.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const ClipModel> tiny_model() {
  static std::shared_ptr<const ClipModel> model = ClipModel::load(test::model_dir());
  return model;
}

const test::SyntheticSpec kSpec{.train = 3, .good = 2, .defects = {"hole", "scratch"}, .per_defect = 1};

EvalOptions options_for(const fs::path& root, const fs::path& out) {
  EvalOptions o;
  o.dataset = {.kind = DatasetKind::MVTec, .root = root};
  o.out = out;
  o.show_progress = false;
  return o;
}

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

double value(const std::optional<double>& v) {
  EXPECT_TRUE(v.has_value());
  return v.value_or(-1);
}

const CategoryResult& category_named(const EvalResult& r, const std::string& name) {
  for (const auto& c : r.categories)
    if (c.name == name) return c;
  throw std::runtime_error("no category " + name);
}

}  // namespace

TEST(Eval, ZeroShotMetricsAreThoseOfTheSavedMapsAndScores) {
  test::TempDir root, out;
  const auto painted = test::make_mvtec_category(root.path(), "bottle", kSpec);
  test::make_mvtec_category(root.path(), "zipper", kSpec);
  EvalOptions o = options_for(root.path(), out.path());
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
  }
  const ImageMetrics image = image_metrics(scores, labels);
  const PixelMetrics pixel = pixels.finish();
  const Metrics& m = bottle.summary.mean;
  EXPECT_NEAR(value(m.image_auroc), value(image.auroc), 1e-12);
  EXPECT_NEAR(value(m.image_ap), value(image.aupr), 1e-12);
  EXPECT_NEAR(value(m.image_f1max), value(image.f1_max), 1e-12);
  EXPECT_NEAR(value(m.pixel_auroc), value(pixel.auroc), 1e-12);
  EXPECT_NEAR(value(m.pixel_aupro), value(pixel.aupro), 1e-12);
  EXPECT_NEAR(value(m.pixel_f1max), value(pixel.f1_max), 1e-12);

  const double zipper_auroc = value(category_named(r, "zipper").summary.mean.image_auroc);
  EXPECT_NEAR(value(r.mean.mean.image_auroc), (value(m.image_auroc) + zipper_auroc) / 2, 1e-12);
}

TEST(Eval, FewShotReportsMeanAndPopulationSpreadOverSeeds) {
  test::TempDir root, out;
  test::make_mvtec_category(root.path(), "bottle", kSpec);
  EvalOptions o = options_for(root.path(), out.path());
  o.shots = 1;
  o.seeds = {0, 1};
  const EvalResult r = run_eval(tiny_model(), o);
  EXPECT_EQ(r.seeds, (std::vector<uint64_t>{0, 1}));
  const CategoryResult& c = r.categories.at(0);
  ASSERT_EQ(c.seeds.size(), 2u);
  ASSERT_TRUE(c.summary.std.has_value());
  const double a = value(c.seeds[0].metrics.pixel_auroc), b = value(c.seeds[1].metrics.pixel_auroc);
  EXPECT_NE(a, b);  // different references, different maps
  EXPECT_NEAR(value(c.summary.mean.pixel_auroc), (a + b) / 2, 1e-12);
  EXPECT_NEAR(value(c.summary.std->pixel_auroc), std::abs(a - b) / 2, 1e-12);
  EXPECT_NEAR(value(r.mean.std->pixel_auroc), std::abs(a - b) / 2, 1e-12);

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

TEST(Eval, ResumeReadsFinishedImagesAndRecomputesTheRestIdentically) {
  test::TempDir root, out;
  test::make_mvtec_category(root.path(), "bottle", kSpec);
  EvalOptions o = options_for(root.path(), out.path());
  o.save_maps = true;
  const EvalResult first = run_eval(tiny_model(), o);
  write_eval_report(first, out.path(), false);
  const std::string first_metrics = test::read_bytes(out / "metrics.json");

  // As if killed while the second batch was being written.
  std::vector<fs::path> scores;
  for (const auto& f : fs::recursive_directory_iterator(out / "cache"))
    if (f.path().extension() == ".score") scores.push_back(f.path());
  ASSERT_EQ(scores.size(), 4u);
  std::sort(scores.begin(), scores.end());
  fs::remove(scores[3]);  // its batch-mate is recomputed with it, as in the first run
  write_eval_report(run_eval(tiny_model(), o), out.path(), false);
  EXPECT_EQ(test::read_bytes(out / "metrics.json"), first_metrics);

  // A finished image is read back, not recomputed: a doctored cached map shows up in the saved maps.
  const fs::path cached_map = fs::path(scores[0]).replace_extension(".npy");
  write_npy(cached_map, Tensor({240, 240}));
  run_eval(tiny_model(), o);
  const fs::path saved = out / "maps/bottle/0" / cached_map.parent_path().filename() / cached_map.filename();
  EXPECT_EQ(read_npy(saved).data, std::vector<float>(240 * 240, 0.0f));
}

TEST(Eval, OtherSettingsGetTheirOwnCacheAndFreshDiscardsIt) {
  test::TempDir root, out;
  test::SyntheticSpec small = kSpec;
  small.defects = {"hole"};
  test::make_mvtec_category(root.path(), "bottle", small);
  EvalOptions o = options_for(root.path(), out.path());
  o.pixel_metrics = false;
  run_eval(tiny_model(), o);
  o.detector.templates = TemplateSet::Anomalib;
  run_eval(tiny_model(), o);
  auto runs = [&] { return std::distance(fs::directory_iterator(out / "cache"), fs::directory_iterator()); };
  EXPECT_EQ(runs(), 2);
  o.fresh = true;
  run_eval(tiny_model(), o);
  EXPECT_EQ(runs(), 1);
}

TEST(Eval, PixelMetricsNeedMasksUnlessTurnedOff) {
  test::TempDir root, out;
  test::make_mvtec_category(root.path(), "bottle", kSpec);
  fs::remove(root / "bottle/ground_truth/hole/000_mask.png");
  EvalOptions o = options_for(root.path(), out.path());
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
  test::make_mvtec_category(root.path(), "bottle", kSpec);
  write_png_gray(root / "bottle/ground_truth/scratch/000_mask.png", 32, 32, std::vector<uint8_t>(32 * 32, 255));
  try {
    run_eval(tiny_model(), options_for(root.path(), out.path()));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("000_mask.png: ground-truth mask is 32×32 but its image"), std::string::npos)
        << e.what();
  }
}

TEST(Eval, UndefinedMetricsAreEmptyAndTheMeanSkipsThemWithAWarning) {
  test::TempDir root, out;
  test::make_mvtec_category(root.path(), "bottle", kSpec);
  test::SyntheticSpec only_good = kSpec;
  only_good.defects = {};
  test::make_mvtec_category(root.path(), "cable", only_good);
  const EvalResult r = run_eval(tiny_model(), options_for(root.path(), out.path()));
  const Metrics& cable = category_named(r, "cable").summary.mean;
  EXPECT_FALSE(cable.image_auroc.has_value());
  EXPECT_FALSE(cable.pixel_aupro.has_value());
  EXPECT_NEAR(value(r.mean.mean.image_auroc), value(category_named(r, "bottle").summary.mean.image_auroc), 1e-12);
  bool mean_warning = false;
  for (const auto& w : r.warnings)
    mean_warning |= w.find("image_auroc: undefined for cable; the mean is over 1 of 2 categories") == 0;
  EXPECT_TRUE(mean_warning);

  write_eval_report(r, out.path(), false);
  const std::string table = test::read_bytes(out / "table.md");
  EXPECT_NE(table.find("| cable "), std::string::npos);
  EXPECT_NE(table.find("–"), std::string::npos);
}

TEST(Eval, ChangedTrainingImagesAreNotMixedWithCachedDraws) {
  test::TempDir root, out;
  test::SyntheticSpec small = kSpec;
  small.defects = {"hole"};
  test::make_mvtec_category(root.path(), "bottle", small);
  EvalOptions o = options_for(root.path(), out.path());
  o.shots = 1;
  o.seeds = {0};
  o.pixel_metrics = false;
  run_eval(tiny_model(), o);
  // More training images change which one seed 0 draws.
  for (int i = 3; i < 12; ++i)
    fs::copy_file(root / "bottle/train/good/000.png", root / "bottle/train/good" / (test::numbered(i) + ".png"));
  ASSERT_NE(draw_references(3, 1, 0), draw_references(12, 1, 0));
  try {
    run_eval(tiny_model(), o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--fresh"), std::string::npos) << e.what();
  }
  o.fresh = true;
  EXPECT_NO_THROW(run_eval(tiny_model(), o));
}

TEST(Eval, MetricAveragesAndSpreadsByHand) {
  std::vector<std::string> warnings;
  const std::vector<Metrics> values = {
      {.image_auroc = 0.5, .pixel_auroc = 0.9}, {.image_auroc = 1.0}, {.image_auroc = 0.75}};
  const Metrics mean = average_metrics(values, {"a", "b", "c"}, "categories", warnings);
  EXPECT_DOUBLE_EQ(value(mean.image_auroc), 0.75);
  EXPECT_DOUBLE_EQ(value(mean.pixel_auroc), 0.9);
  EXPECT_FALSE(mean.image_ap.has_value());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "pixel_auroc: undefined for b, c; the mean is over 1 of 3 categories");
  const Metrics spread = metric_spread(values);
  EXPECT_DOUBLE_EQ(value(spread.image_auroc), std::sqrt((0.0625 + 0.0625 + 0.0) / 3));  // ddof 0
  EXPECT_DOUBLE_EQ(value(spread.pixel_auroc), 0.0);
}
