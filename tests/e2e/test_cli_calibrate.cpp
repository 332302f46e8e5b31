// `winclip bank calibrate`, `bank info` and `detect` with a calibrated bank, on generated normal images.
#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

// `count` normal images: the synthetic texture with a random stripe phase and noise, and a small random shift
// of brightness, so that normals vary a little and hold no defect.
void make_normals(const fs::path& dir, int count, uint32_t seed) {
  fs::create_directories(dir);
  std::mt19937 random(seed);
  for (int i = 0; i < count; ++i) {
    Image image = test::texture(64, 64, random() % 100000);
    const int shift = static_cast<int>(random() % 11) - 5;
    for (auto& v : image.rgb) v = static_cast<uint8_t>(std::clamp(v + shift, 0, 255));
    write_png(dir / (test::numbered(i) + ".png"), image);
  }
}

}  // namespace

TEST(CliCalibrate, CalibratedBankFlagsAboutTheTargetRateOfOtherNormals) {
  test::TempDir tmp;
  make_normals(tmp / "refs", 3, 1);
  make_normals(tmp / "calibration", 40, 2);
  make_normals(tmp / "test", 40, 3);
  const std::string bank = (tmp / "n.bank").string();
  const std::string model = test::model_dir().string();
  auto r = test::run_cli({"bank", "build", "--model", model, "--class", "texture", "--out", bank, (tmp / "refs").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Too few normals for F = 0.1: refused with the minimum.
  r = test::run_cli({"bank", "calibrate", "--model", model, bank, "--target-fpr", "0.1",
                     (tmp / "calibration" / "000.png").string(), (tmp / "calibration" / "001.png").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("at least 29"), std::string::npos) << r.err;

  r = test::run_cli({"bank", "calibrate", "--model", model, bank, "--target-fpr", "0.1", "--pixel-target-fpr", "0.01",
                     (tmp / "calibration").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_cli({"bank", "info", bank});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto info = nlohmann::json::parse(r.out);
  EXPECT_EQ(info["shots"], 3);
  const auto& c = info["calibration"];
  EXPECT_EQ(c["images"], 40);
  EXPECT_EQ(c["pixels"], 40 * 240 * 240);
  EXPECT_EQ(c["target_fpr"], 0.1);
  EXPECT_EQ(c["pixel_target_fpr"], 0.01);
  EXPECT_EQ(c["image_rank"], 1);  // n = 40, F = 0.1: only the largest score keeps the bound
  const double image_threshold = c["image_threshold"];
  const double pixel_threshold = c["pixel_threshold"];

  // The calibration images themselves: k - 1 = 0 lie above the threshold.
  r = test::run_cli({"detect", "--model", model, "--bank", bank, "--out", (tmp / "cal").string(),
                     (tmp / "calibration").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int above = 0;
  // Named: a range-for over a member of a temporary would read it after its destruction.
  const auto calibration_results = test::results_json(tmp / "cal");
  for (const auto& e : calibration_results["images"]) above += e["anomalous"].get<bool>();
  EXPECT_EQ(above, 0);

  // 40 other normals. With the largest of n = 40 calibration scores as threshold, each other normal lies above
  // it with probability 1/41 whatever the score distribution (exchangeability), so about 1 of 40 is flagged,
  // under F·40 = 4 as the bound promises; more than 8 would happen with probability 0.1 %.
  r = test::run_cli({"detect", "--model", model, "--bank", bank, "--out", (tmp / "out").string(), (tmp / "test").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = test::results_json(tmp / "out");
  EXPECT_EQ(j["threshold_source"], "bank");
  EXPECT_EQ(j["threshold"], image_threshold);
  EXPECT_EQ(j["pixel_threshold"], pixel_threshold);
  ASSERT_EQ(j["images"].size(), 40u);
  int flagged = 0;
  for (const auto& e : j["images"]) flagged += e["anomalous"].get<bool>();
  EXPECT_LE(flagged, 40 * 0.1 + 4) << flagged << " of 40 normals flagged";
  EXPECT_TRUE(fs::exists(tmp / "out" / "masks" / "000.png"));  // masks from the pixel threshold

  // --threshold overrides the bank's; without a bank there is no threshold at all.
  r = test::run_cli({"detect", "--model", model, "--bank", bank, "--threshold", "0.5", "--out", (tmp / "arg").string(),
                     (tmp / "test" / "000.png").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::results_json(tmp / "arg")["threshold_source"], "argument");
  EXPECT_EQ(test::results_json(tmp / "arg")["pixel_threshold"], 0.5);
  r = test::run_cli({"detect", "--model", model, "--class", "texture", "--out", (tmp / "none").string(),
                     (tmp / "test" / "000.png").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(test::results_json(tmp / "none")["threshold_source"].is_null());
}
