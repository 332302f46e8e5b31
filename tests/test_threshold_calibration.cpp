// The order-statistic bound against hand-computed binomial sums, and the calibration in the bank file.
#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"
#include "winclip/error.hpp"
#include "winclip/reference_bank.hpp"
#include "winclip/threshold_calibration.hpp"

using namespace winclip;

TEST(ThresholdCalibration, BinomialCdfOfSmallCases) {
  EXPECT_DOUBLE_EQ(binomial_cdf(3, 0.5, 1), 0.5);  // (1 + 3) / 8
  EXPECT_NEAR(binomial_cdf(10, 0.1, 0), std::pow(0.9, 10), 1e-15);
  EXPECT_NEAR(binomial_cdf(4, 0.25, 2), (81.0 + 4 * 27 + 6 * 9) / 256, 1e-15);
  EXPECT_EQ(binomial_cdf(5, 0.3, 5), 1.0);
  EXPECT_EQ(binomial_cdf(5, 0.3, -1), 0.0);
}

TEST(ThresholdCalibration, MinimumSizeIsWhereTheLargestScoreFirstHolds) {
  // 0.9^28 = 0.0523 > 0.05 >= 0.9^29 = 0.0471
  EXPECT_EQ(min_calibration_size(0.1), 29);
  EXPECT_EQ(min_calibration_size(0.05), 59);   // 0.95^58 = 0.0510, 0.95^59 = 0.0485
  EXPECT_EQ(min_calibration_size(0.01), 299);  // 0.99^298 = 0.0500053, 0.99^299 = 0.0495
  EXPECT_EQ(order_statistic_rank(28, 0.1), 0);
  EXPECT_EQ(order_statistic_rank(29, 0.1), 1);
}

TEST(ThresholdCalibration, RankIsTheLargestKWhoseBinomialTailHolds) {
  // n = 40, F = 0.1: P(Bin <= 0) = 0.0148, P(Bin <= 1) = 0.0805, so k = 1 (the largest score).
  EXPECT_EQ(order_statistic_rank(40, 0.1), 1);
  // n = 100: P(Bin <= 4) = 0.0237, P(Bin <= 5) = 0.0576, so k = 5.
  EXPECT_EQ(order_statistic_rank(100, 0.1), 5);
  EXPECT_LE(binomial_cdf(100, 0.1, 4), 0.05);
  EXPECT_GT(binomial_cdf(100, 0.1, 5), 0.05);
  // Pixel-sized n: the sum in log space neither under- nor overflows, and k stays below n·F.
  const int64_t k = order_statistic_rank(2'304'000, 0.01);
  EXPECT_GT(k, 22'000);
  EXPECT_LT(k, 23'040);
  EXPECT_LE(binomial_cdf(2'304'000, 0.01, k - 1), 0.05);
  EXPECT_GT(binomial_cdf(2'304'000, 0.01, k), 0.05);
}

TEST(ThresholdCalibration, ThresholdIsTheKthLargestScore) {
  std::vector<double> scores;
  for (int i = 0; i < 100; ++i) scores.push_back((i * 37) % 100 / 100.0);  // 0.00 .. 0.99, shuffled
  const CalibratedThreshold t = calibrate_threshold(scores, 0.1, "scores");
  EXPECT_EQ(t.rank, 5);
  EXPECT_EQ(t.n, 100);
  EXPECT_DOUBLE_EQ(t.threshold, 0.95);  // 0.99, 0.98, 0.97, 0.96, 0.95
  int above = 0;
  for (double s : scores) above += s > t.threshold;
  EXPECT_EQ(above, 4);  // k - 1 calibration scores lie above the threshold
}

TEST(ThresholdCalibration, TooFewScoresAreRefusedWithTheMinimum) {
  const std::vector<double> scores(28, 0.5);
  try {
    calibrate_threshold(scores, 0.1, "calibration images");
    FAIL() << "28 scores were accepted for F = 0.1";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("calibration images"), std::string::npos) << message;
    EXPECT_NE(message.find("at least 29"), std::string::npos) << message;
  }
  EXPECT_THROW(calibrate_threshold(scores, 0.0, "x"), Error);
  EXPECT_THROW(calibrate_threshold(scores, 1.0, "x"), Error);
}

namespace {

BankFile small_bank() {
  BankFile file;
  file.model_fingerprint = "f";
  file.architecture = "a";
  file.class_name = file.object_name = "nut";
  file.resize_mode = "squash";
  file.prototypes = Tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  return file;
}

}  // namespace

TEST(BankCalibration, SurvivesTheFileAndItsChecksum) {
  test::TempDir tmp;
  BankFile file = small_bank();
  file.calibration = BankCalibration{0.25, 0.5, 0.1, 0.05, 40, 40 * 240 * 240, 1, 100, "40 given"};
  save_bank_file(tmp / "b.bank", file);
  const BankFile back = load_bank_file(tmp / "b.bank");
  ASSERT_TRUE(back.calibration);
  EXPECT_EQ(back.calibration->image_threshold, 0.25);
  EXPECT_EQ(back.calibration->pixel_threshold, 0.5);
  EXPECT_EQ(back.calibration->pixels, 40 * 240 * 240);
  EXPECT_EQ(back.calibration->selection, "40 given");
  // A changed threshold fails the integrity check like changed features.
  std::string bytes = test::read_bytes(tmp / "b.bank");
  const auto at = bytes.find("\\\"image_threshold\\\":0.25");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 24, "\\\"image_threshold\\\":0.95");
  test::write_bytes(tmp / "changed.bank", bytes);
  try {
    load_bank_file(tmp / "changed.bank");
    FAIL() << "a changed threshold was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
  }
}

TEST(BankCalibration, VersionOneFilesStillLoad) {
  test::TempDir tmp;
  save_bank_file(tmp / "b.bank", small_bank());
  std::string bytes = test::read_bytes(tmp / "b.bank");
  // An uncalibrated bank differs from a version 1 file only in its version number.
  const auto at = bytes.find("\"version\":\"2\"");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 11] = '1';
  test::write_bytes(tmp / "v1.bank", bytes);
  const BankFile back = load_bank_file(tmp / "v1.bank");
  EXPECT_FALSE(back.calibration);
  EXPECT_EQ(back.class_name, "nut");
  bytes[at + 11] = '3';
  test::write_bytes(tmp / "v3.bank", bytes);
  EXPECT_THROW(load_bank_file(tmp / "v3.bank"), Error);
}

// Found by fuzzing (tests/data/fuzz-regressions/bank_file): metadata the program cannot use was an Error that
// named neither the file nor the field.
TEST(BankCalibration, UnknownTemplatesOrResizeModeNameTheFile) {
  test::TempDir tmp;
  save_bank_file(tmp / "b.bank", small_bank());
  const std::string bytes = test::read_bytes(tmp / "b.bank");
  for (const auto& [field, value] : {std::pair{"\"templates\":\"paper\"", "\"templates\":\"pap^r\""},
                                     std::pair{"\"resize_mode\":\"squash\"", "\"resize_mode\":\"squish\""}}) {
    std::string changed = bytes;
    const auto at = changed.find(field);
    ASSERT_NE(at, std::string::npos) << field;
    changed.replace(at, std::string(field).size(), value);
    test::write_bytes(tmp / "bad.bank", changed);
    try {
      load_bank_file(tmp / "bad.bank");
      ADD_FAILURE() << value << " was accepted";
    } catch (const Error& e) {
      const std::string expected = (tmp / "bad.bank").string() + ": bank file has malformed metadata: ";
      EXPECT_EQ(std::string(e.what()).rfind(expected, 0), 0u) << e.what();
    }
  }
}
