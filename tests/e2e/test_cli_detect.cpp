// `winclip detect` and `winclip bank` through the command line, in the exact forms of the contract.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "winclip/image.hpp"
#include "winclip/npy.hpp"
#include "winclip/overlay.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

std::string fixture_image(const std::string& name) { return test::data_path("winclip/images/" + name + ".png").string(); }

const std::vector<std::string> kAnomalib = {"--templates", "anomalib", "--raw-class-name"};

std::vector<std::string> args(std::initializer_list<std::vector<std::string>> parts) {
  std::vector<std::string> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

TEST(CliDetect, ZeroShotWritesResultsMapsAndOverlays) {
  test::TempDir tmp;
  const auto r = test::run_cli(args({{"detect", "--model", test::model_dir().string(), "--class", "metal_nut"}, kAnomalib,
                                     {"--out", (tmp / "out").string(), fixture_image("test_1_crack"), fixture_image("test_0_good")}}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = test::results_json(tmp / "out");
  EXPECT_EQ(j["class"], "metal_nut");
  EXPECT_EQ(j["shots"], 0);
  ASSERT_EQ(j["images"].size(), 2u);
  EXPECT_EQ(j["images"][0]["path"], fixture_image("test_1_crack"));  // argument order
  EXPECT_TRUE(j["images"][0]["anomalous"].is_null());                // no threshold
  // anomalib's zero-shot score for test_1_crack (tests/data/winclip/zero_shot/pred_score.npy)
  EXPECT_NEAR(j["images"][0]["score"].get<double>(), read_npy(test::data_path("winclip/zero_shot/pred_score.npy")).data[1], 1e-4);
  const Tensor map = read_npy(tmp / "out" / "maps" / "test_1_crack.npy");
  EXPECT_EQ(map.shape, (Shape{240, 240}));
  const Image overlay = decode_image(tmp / "out" / "overlays" / "test_0_good.png");
  EXPECT_EQ(overlay.width, 240);
  EXPECT_FALSE(fs::exists(tmp / "out" / "masks"));
}

TEST(CliDetect, ThresholdGivesVerdictsMasksAndOriginalResolution) {
  test::TempDir tmp;
  // A non-square image: overlays and masks come back at its own resolution.
  const auto r = test::run_cli({"detect", "--model", test::model_dir().string(), "--class", "bottle", "--threshold", "0.5",
                                "--out", (tmp / "out").string(), test::data_path("openclip/images/img_402x300.png").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = test::results_json(tmp / "out");
  const double score = j["images"][0]["score"];
  EXPECT_EQ(j["images"][0]["anomalous"].get<bool>(), score > 0.5);
  const Image overlay = decode_image(tmp / "out" / "overlays" / "img_402x300.png");
  EXPECT_EQ(overlay.width, 402);
  EXPECT_EQ(overlay.height, 300);
  const Image mask = decode_image(tmp / "out" / "masks" / "img_402x300.png");
  EXPECT_EQ(mask.width, 402);
  for (uint8_t v : mask.rgb) EXPECT_TRUE(v == 0 || v == 255);
}

TEST(CliDetect, ReferencesOfAnotherSizeAreResized) {
  test::TempDir tmp;
  const auto r = test::run_cli({"detect", "--model", test::model_dir().string(), "--class", "metal_nut", "--ref",
                                test::data_path("openclip/images/img_150x191.png").string(), "--out",
                                (tmp / "out").string(), fixture_image("test_0_good")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::results_json(tmp / "out")["shots"], 1);
}

TEST(CliDetect, BankBuildThenDetectEqualsReferences) {
  test::TempDir tmp;
  const std::string bank = (tmp / "metal_nut.bank").string();
  auto r = test::run_cli(args({{"bank", "build", "--model", test::model_dir().string(), "--class", "metal_nut"}, kAnomalib,
                               {"--out", bank, fixture_image("ref_0_good"), fixture_image("ref_1_good")}}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_cli({"detect", "--model", test::model_dir().string(), "--class", "metal_nut", "--bank", bank, "--out",
                     (tmp / "a").string(), fixture_image("test_2_stain")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto from_bank = test::results_json(tmp / "a");
  EXPECT_EQ(from_bank["shots"], 2);
  // anomalib's 2-shot score for test_2_stain
  EXPECT_NEAR(from_bank["images"][0]["score"].get<double>(),
              read_npy(test::data_path("winclip/few_shot_k2/pred_score.npy")).data[2], 1e-4);
  r = test::run_cli(args({{"detect", "--model", test::model_dir().string(), "--class", "metal_nut"}, kAnomalib,
                          {"--ref", fixture_image("ref_0_good"), "--ref", fixture_image("ref_1_good"), "--out",
                           (tmp / "b").string(), fixture_image("test_2_stain")}}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NEAR(test::results_json(tmp / "b")["images"][0]["score"].get<double>(), from_bank["images"][0]["score"].get<double>(), 1e-6);
  r = test::run_cli({"bank", "info", bank});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(r.out)["shots"], 2);
}

TEST(CliDetect, BankOfAnotherModelOrScalesIsRefused) {
  test::TempDir tmp;
  const std::string bank = (tmp / "b.bank").string();
  ASSERT_EQ(test::run_cli({"bank", "build", "--model", test::model_dir().string(), "--class", "nut", "--out", bank,
                           fixture_image("ref_0_good")}).exit_code, 0);
  // Another model: the same architecture with other weights.
  ASSERT_EQ(test::run_cli({"make-random-model", "--arch", (test::model_dir() / "open_clip_config.json").string(), "--seed",
                           "3", "--out", (tmp / "other").string()}).exit_code, 0);
  auto r = test::run_cli({"detect", "--model", (tmp / "other").string(), "--class", "nut", "--bank", bank, "--out",
                          (tmp / "o").string(), fixture_image("test_0_good")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("another model"), std::string::npos) << r.err;
  r = test::run_cli({"detect", "--model", test::model_dir().string(), "--class", "nut", "--bank", bank, "--scales", "2",
                     "--out", (tmp / "o").string(), fixture_image("test_0_good")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("scales"), std::string::npos) << r.err;
  // A damaged bank fails its checksum.
  std::string bytes = test::read_bytes(bank);
  bytes[bytes.size() - 3] ^= 0x10;
  test::write_bytes(tmp / "damaged.bank", bytes);
  r = test::run_cli({"detect", "--model", test::model_dir().string(), "--class", "nut", "--bank",
                     (tmp / "damaged.bank").string(), "--out", (tmp / "o").string(), fixture_image("test_0_good")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("checksum"), std::string::npos) << r.err;
}

TEST(CliDetect, FoldersAreWalked) {
  test::TempDir tmp;
  const auto r = test::run_cli({"detect", "--model", test::model_dir().string(), "--class", "nut", "--out",
                                (tmp / "out").string(), test::data_path("winclip/images").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::results_json(tmp / "out")["images"].size(), 5u);
}

TEST(CliDetect, RefTakesOneValueSoTheImagesAfterItAreScored) {
  // `--ref good.png a.png b.png` once took a.png as a second reference and scored b.png alone, silently.
  test::TempDir tmp;
  const auto r = test::run_cli({"detect", "--model", test::model_dir().string(), "--class", "bottle", "--out",
                                (tmp / "out").string(), "--ref", fixture_image("ref_0_good"),
                                fixture_image("test_0_good"), fixture_image("test_1_crack")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = test::results_json(tmp / "out");
  EXPECT_EQ(j["shots"], 1);
  ASSERT_EQ(j["images"].size(), 2u);
  EXPECT_EQ(j["images"][0]["path"], fixture_image("test_0_good"));
  EXPECT_EQ(j["images"][1]["path"], fixture_image("test_1_crack"));
}

TEST(CliDetect, ScalesTakeOneValueOrACommaListPerOccurrence) {
  test::TempDir tmp;
  const std::vector<std::vector<std::string>> forms = {{"--scales", "2,3"}, {"--scales", "2", "--scales", "3"},
                                                       {"--scales=2,3"}};
  std::vector<nlohmann::json> scores;
  for (size_t i = 0; i < forms.size(); ++i) {
    const std::string out = (tmp / ("out" + std::to_string(i))).string();
    const auto r = test::run_cli(args({{"detect", "--model", test::model_dir().string(), "--class", "bottle"}, forms[i],
                                       {fixture_image("test_0_good"), "--out", out}}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = test::results_json(out);
    ASSERT_EQ(j["images"].size(), 1u) << forms[i][0];
    scores.push_back(j["images"][0]["score"]);
  }
  EXPECT_EQ(scores[1], scores[0]);
  EXPECT_EQ(scores[2], scores[0]);
  // A positional after a single scale is an image, not a scale.
  const auto r = test::run_cli({"detect", "--model", test::model_dir().string(), "--class", "bottle", "--out",
                                (tmp / "one").string(), "--scales", "2", fixture_image("test_0_good")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::results_json(tmp / "one")["images"].size(), 1u);
}

TEST(CliDetect, BankBuildScalesTakeOneValueSoTheImagesAfterThemAreReferences) {
  test::TempDir tmp;
  const std::string bank = (tmp / "b.bank").string();
  auto r = test::run_cli({"bank", "build", "--model", test::model_dir().string(), "--class", "bottle", "--out", bank,
                          "--scales", "2", fixture_image("ref_0_good"), fixture_image("ref_1_good")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_cli({"bank", "info", bank});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto info = nlohmann::json::parse(r.out);
  EXPECT_EQ(info["shots"], 2);
  EXPECT_EQ(info["scales"], nlohmann::json::array({2}));
}
