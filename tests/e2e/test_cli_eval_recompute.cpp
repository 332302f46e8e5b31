// The held-out check of `winclip eval`, on synthetic data: every metric recomputed from the saved maps and
// scores and the dataset's own masks by an independent implementation (tests/e2e/eval_recompute.py, numpy)
// agrees with metrics.json to 1e-6.
#include <gtest/gtest.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"

using namespace winclip;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// 100×90 images: their masks are stretched to 240×240 unevenly, so the nearest-neighbour rule matters.
const test::SyntheticSpec kRecomputeSpec{
    .width = 100, .height = 90, .train = 3, .good = 3, .defects = {"hole", "scratch"}, .per_defect = 2};

// Debian's interpreter, which scripts/setup gives numpy (python3-numpy), ahead of any other on the PATH.
std::string python() { return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

json recompute(const fs::path& out) {
  const fs::path script = fs::path(WINCLIP_TEST_DATA) / ".." / "e2e" / "eval_recompute.py";
  const std::string command = python() + " '" + script.string() + "' '" + out.string() + "'";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return {};
  std::string text;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << command;
  return json::parse(text, nullptr, false);
}

// An anomalous test image replaced by a normal one (its mask stays): the rankings are no longer perfect, so
// that AP, F1-max and AUPRO have curves that tell conventions apart.
void hide_defect(const fs::path& normal, const fs::path& anomalous) {
  fs::copy_file(normal, anomalous, fs::copy_options::overwrite_existing);
}

void expect_recomputed_metrics_agree(const fs::path& out) {
  const json ours = json::parse(test::read_bytes(out / "metrics.json"));
  EXPECT_LT(ours["mean"]["image_auroc"].get<double>(), 1.0) << "the image ranking must not be perfect";
  const json theirs = recompute(out);
  ASSERT_TRUE(theirs.is_object()) << "eval_recompute.py printed no JSON";
  EXPECT_EQ(theirs["mask_mismatches"], json::array()) << "saved masks differ from the documented resize";
  ASSERT_EQ(theirs["categories"].size(), ours["categories"].size());
  for (const auto& [category, entry] : ours["categories"].items()) {
    for (const json& seed : entry["per_seed"]) {
      const json& expected = theirs["categories"][category][std::to_string(seed["seed"].get<uint64_t>())];
      for (const char* metric :
           {"image_auroc", "image_ap", "image_f1max", "pixel_auroc", "pixel_aupro", "pixel_f1max"}) {
        SCOPED_TRACE(category + " seed " + seed["seed"].dump() + " " + metric);
        ASSERT_EQ(seed[metric].is_null(), expected[metric].is_null());
        if (!expected[metric].is_null()) {
          EXPECT_NEAR(seed[metric].get<double>(), expected[metric].get<double>(), 1e-6);
        }
      }
    }
  }
}

}  // namespace

TEST(CliEvalRecompute, MvtecFewShotMetricsFollowFromTheSavedMapsAndTheMasks) {
  test::TempDir root, out, cache;
  test::make_mvtec_category(root.path(), "bottle", kRecomputeSpec);
  test::make_mvtec_category(root.path(), "carpet", kRecomputeSpec);
  for (const char* category : {"bottle", "carpet"})
    hide_defect(root / category / "train/good/000.png", root / category / "test/scratch/001.png");
  const auto r = test::run_cli({"eval", "--model", test::model_dir().string(), "--cache-dir", cache.path().string(),
                                "--dataset", "mvtec", "--root", root.path().string(), "--shots", "1", "--seeds", "0,1",
                                "--save-maps", "--out", out.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_recomputed_metrics_agree(out.path());
}

TEST(CliEvalRecompute, VisaZeroShotWithTrapezoidApFollowsFromTheSavedMapsAndTheMasks) {
  test::TempDir root, out, cache;
  test::make_visa(root.path(), {"candle", "pcb1"}, kRecomputeSpec);
  for (const char* category : {"candle", "pcb1"})
    hide_defect(root / category / "Data/Images/Normal/000.png", root / category / "Data/Images/Anomaly/001.png");
  const auto r = test::run_cli({"eval", "--model", test::model_dir().string(), "--cache-dir", cache.path().string(),
                                "--dataset", "visa", "--root", root.path().string(), "--aupr", "trapezoid",
                                "--save-maps", "--out", out.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(test::read_bytes(out / "metrics.json"))["settings"]["aupr"], "trapezoid");
  expect_recomputed_metrics_agree(out.path());
}
