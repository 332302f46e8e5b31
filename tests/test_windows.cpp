// Windows, harmonic aggregation, class and association scores: anomalib's test vectors.
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "detection/cost.hpp"
#include "winclip/error.hpp"
#include "winclip/model_config.hpp"
#include "winclip/npy.hpp"
#include "detection/maps.hpp"
#include "detection/scoring.hpp"
#include "detection/windows.hpp"

using namespace winclip;

TEST(Windows, CountsOnTheViTGrid) {
  EXPECT_EQ(window_patches(15, 2).size(), 196u);
  EXPECT_EQ(window_patches(15, 3).size(), 169u);
  EXPECT_EQ(window_patches(15, 15).size(), 1u);
  EXPECT_THROW(window_patches(15, 16), Error);
  EXPECT_THROW(window_patches(15, 0), Error);
}

TEST(Windows, IndexSetsAreRowMajor) {
  const auto w = window_patches(3, 2);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0], (std::vector<int>{0, 1, 3, 4}));
  EXPECT_EQ(w[1], (std::vector<int>{1, 2, 4, 5}));
  EXPECT_EQ(w[2], (std::vector<int>{3, 4, 6, 7}));
  EXPECT_EQ(w[3], (std::vector<int>{4, 5, 7, 8}));
  EXPECT_EQ(window_patches(15, 3)[13], (std::vector<int>{15, 16, 17, 30, 31, 32, 45, 46, 47}));
}

TEST(Windows, EqualAnomalibMakeMasks) {
  // masks_scale{k}.npy: anomalib's [k², windows] table of patch indices.
  for (int scale : {2, 3}) {
    const Tensor masks = read_npy(test::data_path("winclip/masks_scale" + std::to_string(scale) + ".npy"));
    const auto windows = window_patches(15, scale);
    ASSERT_EQ(masks.shape, (Shape{scale * scale, static_cast<int64_t>(windows.size())}));
    for (size_t w = 0; w < windows.size(); ++w)
      for (int i = 0; i < scale * scale; ++i)
        EXPECT_EQ(windows[w][static_cast<size_t>(i)], static_cast<int>(masks.data[i * windows.size() + w]));
  }
}

TEST(HarmonicAggregation, AnomalibTestVector) {
  const auto map = harmonic_aggregation({1.0, 0.75, 0.5, 0.25}, 3, 2);
  const std::vector<double> expected = {1.0, 0.857142857, 0.75, 0.666666667, 0.48, 0.375, 0.5, 0.333333333, 0.25};
  ASSERT_EQ(map.size(), expected.size());
  for (size_t i = 0; i < map.size(); ++i) EXPECT_NEAR(map[i], expected[i], 1e-8) << i;
}

TEST(HarmonicAggregation, ZeroScoreGivesZero) {
  const auto map = harmonic_aggregation({0.0, 0.5, 0.5, 0.5}, 3, 2);
  EXPECT_EQ(map[0], 0.0);
  EXPECT_EQ(map[4], 0.0);  // the centre patch is in every window, including the zero one
  EXPECT_NEAR(map[8], 0.5, 1e-12);
  EXPECT_THROW(harmonic_aggregation({1.0}, 3, 2), Error);
}

TEST(ClassScores, AnomalibTestVectorAtTemperatureOne) {
  // cos with prototypes [[0,1,0],[1,1,0]] → softmax(cos/τ)[1] for τ = 1.
  const Tensor prototypes({2, 3}, {0, 1, 0, 1, 1, 0});
  const std::vector<float> e = {1, 0, 0, 0, 1, 0};
  const auto s = class_scores(e.data(), 2, prototypes, 1.0);
  EXPECT_NEAR(s[0], 0.6698, 1e-4);
  EXPECT_NEAR(s[1], 0.4273, 1e-4);
}

TEST(AssociationScore, AnomalibTestVector) {
  const AssociationBank bank(Tensor({2, 3}, {0, 1, 0, 1, 1, 0}));
  const std::vector<float> q = {1, 0, 0, 0, 1, 0};
  const auto s = bank.score(q.data(), 2);
  EXPECT_NEAR(s[0], 0.1464, 1e-4);
  EXPECT_NEAR(s[1], 0.0, 1e-7);
}

TEST(AssociationScore, MatchesReferenceOnRandomBanks) {
  uint32_t state = 12345;
  auto next = [&] { return static_cast<float>((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f; };
  for (int64_t rows : {1, 7, 450}) {
    for (int64_t d : {3, 64, 65}) {
      Tensor features({rows, d});
      for (auto& v : features.data) v = next();
      std::vector<float> queries(static_cast<size_t>(13 * d));
      for (auto& v : queries) v = next();
      const auto fast = AssociationBank(features).score(queries.data(), 13);
      const auto slow = association_scores_reference(queries.data(), 13, features);
      for (size_t i = 0; i < fast.size(); ++i) EXPECT_NEAR(fast[i], slow[i], 1e-6) << rows << "×" << d;
    }
  }
}

TEST(Upsample, MatchesTorchBilinearAlignCornersFalse) {
  // torch.nn.functional.interpolate(torch.tensor([[[[0,1],[2,3]]]]), size=(4,4), mode="bilinear")
  const Tensor out = upsample_bilinear(Tensor({2, 2}, {0, 1, 2, 3}), 4, 4);
  const std::vector<float> expected = {0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3};
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_FLOAT_EQ(out.data[i], expected[i]) << i;
}

TEST(Cost, ViTB16Plus240ImageWork) {
  const ModelConfig cfg = builtin_config("ViT-B-16-plus-240");
  EXPECT_EQ(window_rows(cfg, {2, 3}), 196 * 5 + 169 * 10);
  // README, Performance: about 674 GFLOP per image (one full pass plus 365 window sequences through 12 blocks).
  EXPECT_NEAR(image_flops(cfg, {2, 3}) / 1e9, 673.5, 0.1);
  EXPECT_LT(image_flops(cfg, {}), image_flops(cfg, {2}));
  // Windows skip the first block's input projection (2670 rows of 2·W·3W: 12.86 GFLOP) and, past the last
  // attention, all but their class token (2305 rows of 2·(W² + 2·W·M) and all but one query: 33.38).
  EXPECT_NEAR((image_flops(cfg, {2, 3}) - executed_image_flops(cfg, {2, 3})) / 1e9, 46.24, 0.01);
  EXPECT_EQ(executed_image_flops(cfg, {}), image_flops(cfg, {}));
}
