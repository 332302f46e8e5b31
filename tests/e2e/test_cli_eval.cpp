// `winclip eval` end to end on synthetic MVTec, VisA and folder datasets with the tiny random model.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"
#include "winclip/npy.hpp"

using namespace winclip;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const test::SyntheticSpec kEvalSpec{.train = 3, .good = 2, .defects = {"hole", "scratch"}, .per_defect = 1};
const char* const kMetrics[] = {"image_auroc", "image_ap", "image_f1max", "pixel_auroc", "pixel_aupro", "pixel_f1max"};

std::vector<std::string> eval_args(const test::TempDir& cache, std::vector<std::string> extra) {
  std::vector<std::string> args = {"eval", "--model", test::model_dir().string(), "--cache-dir", cache.path().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

json read_json(const fs::path& path) { return json::parse(test::read_bytes(path)); }

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", fraction * 100);
  return text;
}

size_t count_lines(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST(CliEval, MvtecZeroShotWritesMetricsTablesScoresAndMaps) {
  test::TempDir root, out, cache;
  test::make_mvtec_category(root.path(), "bottle", kEvalSpec);
  const auto r = test::run_cli(eval_args(
      cache, {"--dataset", "mvtec", "--root", root.path().string(), "--save-maps", "--out", out.path().string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const json m = read_json(out / "metrics.json");
  EXPECT_EQ(m["dataset"], "mvtec");
  EXPECT_EQ(m["shots"], 0);
  EXPECT_EQ(m["seeds"], json::array({0}));
  const json& bottle = m["categories"]["bottle"];
  EXPECT_EQ(bottle["n_images"], 4);
  for (const char* name : kMetrics) {
    ASSERT_TRUE(bottle[name].is_number()) << name;
    EXPECT_GE(bottle[name].get<double>(), 0.0);
    EXPECT_LE(bottle[name].get<double>(), 1.0);
    EXPECT_FALSE(bottle.contains(std::string(name) + "_std")) << "one pass has no spread";
    EXPECT_EQ(m["mean"][name], bottle[name]) << name;
  }
  ASSERT_EQ(bottle["per_seed"].size(), 1u);
  EXPECT_EQ(bottle["per_seed"][0]["seed"], 0);

  // The printed table is the percent, one decimal, and so is table.md.
  EXPECT_NE(r.out.find("| bottle "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| mean "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" " + percent(bottle["pixel_auroc"].get<double>()) + " |"), std::string::npos) << r.out;
  EXPECT_EQ(test::read_bytes(out / "table.md"), r.out);
  const std::string csv = test::read_bytes(out / "table.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "category,n_images,image_auroc,image_ap,image_f1max,pixel_auroc,pixel_aupro,pixel_f1max");
  EXPECT_EQ(count_lines(csv), 3u);

  const std::string scores = test::read_bytes(out / "scores.csv");
  EXPECT_EQ(count_lines(scores), 5u);
  EXPECT_NE(scores.find("bottle,0," + (root / "bottle/test/hole/000.png").string() + ",1,"), std::string::npos)
      << scores;
  for (const char* key : {"good/000", "good/001", "hole/000", "scratch/000"})
    EXPECT_EQ(read_npy(out / "maps/bottle/0" / (std::string(key) + ".npy")).shape, (Shape{240, 240})) << key;
}

TEST(CliEval, VisaFewShotReportsSpreadOverSeeds) {
  test::TempDir root, out, cache;
  test::make_visa(root.path(), {"pcb1", "candle"}, {.train = 3, .good = 2, .defects = {"bad"}, .per_defect = 2});
  const auto r =
      test::run_cli(eval_args(cache, {"--dataset", "visa", "--root", root.path().string(), "--category", "pcb1",
                                      "--shots", "1", "--seeds", "0,1", "--limit", "1", "--out", out.path().string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json m = read_json(out / "metrics.json");
  EXPECT_EQ(m["shots"], 1);
  EXPECT_EQ(m["seeds"], json::array({0, 1}));
  ASSERT_EQ(m["categories"].size(), 1u);
  const json& pcb = m["categories"]["pcb1"];
  EXPECT_EQ(pcb["n_images"], 2);  // --limit 1: one Normal, one Anomaly
  ASSERT_EQ(pcb["per_seed"].size(), 2u);
  for (const char* name : kMetrics) EXPECT_TRUE(pcb.contains(std::string(name) + "_std")) << name;
  const double a = pcb["per_seed"][0]["pixel_auroc"], b = pcb["per_seed"][1]["pixel_auroc"];
  EXPECT_NEAR(pcb["pixel_auroc"].get<double>(), (a + b) / 2, 1e-12);
  EXPECT_NEAR(pcb["pixel_auroc_std"].get<double>(), std::abs(a - b) / 2, 1e-12);
  EXPECT_NE(r.out.find("±"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out / "scores.csv"));  // only with --save-maps
}

TEST(CliEval, FolderDatasetNamesItsCategoryAfterTheAbnormalParent) {
  test::TempDir root, out, cache;
  test::make_mvtec_category(root.path(), "widget", kEvalSpec);
  const fs::path dir = root / "widget";
  auto args = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"--dataset",  "folder",
                                  "--normal",   (dir / "test/good").string(),
                                  "--abnormal", (dir / "test/hole").string(),
                                  "--masks",    (dir / "ground_truth/hole").string(),
                                  "--out",      out.path().string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return eval_args(cache, a);
  };
  auto r = test::run_cli(args({}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(read_json(out / "metrics.json")["categories"].contains("test"));

  r = test::run_cli(args({"--shots", "1"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("needs --train DIR"), std::string::npos) << r.err;

  r = test::run_cli(
      args({"--shots", "1", "--train", (dir / "train/good").string(), "--seeds", "3", "--category", "widget"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json m = read_json(out / "metrics.json");
  EXPECT_EQ(m["seeds"], json::array({3}));
  EXPECT_TRUE(m["categories"]["widget"]["pixel_aupro"].is_number());
}

TEST(CliEval, BadCategoriesAndMissingMasksAreErrorsNamingThem) {
  test::TempDir root, out, cache;
  test::make_mvtec_category(root.path(), "bottle", kEvalSpec);
  test::make_mvtec_category(root.path(), "cable", kEvalSpec);
  auto r = test::run_cli(eval_args(cache, {"--dataset", "mvtec", "--root", root.path().string(), "--category", "botle",
                                           "--out", out.path().string()}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown category 'botle'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("available: bottle, cable"), std::string::npos) << r.err;

  r = test::run_cli(eval_args(cache, {"--dataset", "visa", "--out", out.path().string()}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("needs --root"), std::string::npos) << r.err;

  fs::remove(root / "cable/ground_truth/scratch/000_mask.png");
  r = test::run_cli(
      eval_args(cache, {"--dataset", "mvtec", "--root", root.path().string(), "--out", out.path().string()}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cable/ground_truth/scratch/000_mask.png"), std::string::npos) << r.err;

  r = test::run_cli(eval_args(cache, {"--dataset", "mvtec", "--root", root.path().string(), "--category", "cable",
                                      "--no-pixel-metrics", "--out", out.path().string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json cable = read_json(out / "metrics.json")["categories"]["cable"];
  EXPECT_TRUE(cable["image_auroc"].is_number());
  EXPECT_TRUE(cable["pixel_auroc"].is_null());
}

// A bad --model is refused before the dataset is looked at or anything is written; a missing root is
// named.
TEST(CliEval, BadModelOrRootFailsBeforeAnyWork) {
  test::TempDir root, out, cache;
  test::make_mvtec_category(root.path(), "bottle", kEvalSpec);
  const fs::path no_model = root / "no_such_model";
  auto r = test::run_cli({"eval", "--model", no_model.string(), "--cache-dir", cache.path().string(), "--dataset",
                          "mvtec", "--root", (root / "elsewhere").string(), "--out", out.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(no_model.string() + ": no such file or directory"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(out.path()));

  test::write_bytes(root / "broken.safetensors", "not a checkpoint");
  r = test::run_cli({"eval", "--model", (root / "broken.safetensors").string(), "--arch", "ViT-B-16-plus-240",
                     "--cache-dir", cache.path().string(), "--dataset", "mvtec", "--root", root.path().string(),
                     "--out", out.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken.safetensors"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(out.path()));

  for (const char* dataset : {"mvtec", "visa"}) {
    r = test::run_cli(
        eval_args(cache, {"--dataset", dataset, "--root", (root / "missing").string(), "--out", out.path().string()}));
    EXPECT_EQ(r.exit_code, 1) << dataset;
    EXPECT_NE(r.err.find((root / "missing").string() + ": "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("root is not a directory"), std::string::npos) << r.err;
  }
}

TEST(CliEval, CalibrateReportsTheRealisedRatesOfTheCalibratedThreshold) {
  test::TempDir root, out, cache;
  test::make_mvtec_category(root.path(), "tile",
                            {.train = 32, .good = 4, .defects = {"hole", "scratch"}, .per_defect = 2});
  auto r = test::run_cli(eval_args(cache, {"--dataset", "mvtec", "--root", root.path().string(), "--shots", "1",
                                           "--seeds", "0", "--calibrate", "40", "--out", out.path().string()}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("needs 41 normal training images, found 32"), std::string::npos) << r.err;
  r = test::run_cli(eval_args(cache, {"--dataset", "mvtec", "--root", root.path().string(), "--shots", "1", "--seeds",
                                      "0", "--calibrate", "30", "--save-maps", "--out", out.path().string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json m = read_json(out / "metrics.json");
  const json& c = m["categories"]["tile"]["per_seed"][0]["calibrated"];
  EXPECT_EQ(c["calibration_images"], 30);
  EXPECT_EQ(c["rank"], 1);
  EXPECT_EQ(c["target_fpr"], 0.1);
  // The realised rates are what the threshold does to the scores in scores.csv.
  const double threshold = c["threshold"];
  int fp = 0, tp = 0, normals = 0, anomalous = 0;
  std::istringstream csv(test::read_bytes(out / "scores.csv"));
  std::string line;
  std::getline(csv, line);
  while (std::getline(csv, line)) {
    const auto last = line.rfind(','), label_at = line.rfind(',', last - 1);
    const bool label = line.substr(label_at + 1, last - label_at - 1) == "1";
    const bool flagged = std::stod(line.substr(last + 1)) > threshold;
    (label ? anomalous : normals)++;
    if (flagged) (label ? tp : fp)++;
  }
  ASSERT_EQ(normals, 4);
  ASSERT_EQ(anomalous, 4);
  EXPECT_DOUBLE_EQ(c["fpr"].get<double>(), fp / 4.0);
  EXPECT_DOUBLE_EQ(c["tpr"].get<double>(), tp / 4.0);
  if (tp + fp) {
    EXPECT_DOUBLE_EQ(c["precision"].get<double>(), double(tp) / (tp + fp));
  }
  EXPECT_TRUE(m["categories"]["tile"]["calibrated"].contains("f1"));
}
