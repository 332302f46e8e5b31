// Image-level metrics (docs/eval.md, Metrics) and the sorting/sweep machinery under all metrics.
//
// Expected values are exact fractions derived by hand (ranks, pair counts) and checked with a separate
// Python script on fractions.Fraction; the first example is the one in sklearn's documentation
// (roc_auc_score 0.75, average_precision_score 0.83). The random tests compare with O(N^2) brute force
// written straight from the definitions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "eval/labelled_scores.hpp"
#include "eval/radix_sort.hpp"
#include "winclip/error.hpp"
#include "winclip/metrics.hpp"

using namespace winclip;

namespace {

constexpr double kExact = 1e-12;

ImageMetrics metrics_of(const std::vector<float>& scores, const std::vector<uint8_t>& labels,
                        AuprMethod aupr = AuprMethod::step) {
  return image_metrics(scores, labels, aupr);
}

// AUROC = P(score of a random anomalous > score of a random normal) + P(tie) / 2 (Mann-Whitney).
double brute_auroc(const std::vector<float>& scores, const std::vector<uint8_t>& labels) {
  double wins = 0;
  double pairs = 0;
  for (size_t p = 0; p < scores.size(); ++p) {
    for (size_t n = 0; n < scores.size(); ++n) {
      if (labels[p] != 1 || labels[n] != 0) continue;
      wins += scores[p] > scores[n] ? 1.0 : scores[p] == scores[n] ? 0.5 : 0.0;
      pairs += 1;
    }
  }
  return wins / pairs;
}

struct BrutePrecisionRecall {
  double average_precision = 0;
  double trapezoid = 0;
  double f1_max = 0;
};

// Recounts the predictions at every distinct threshold (predicted anomalous when score >= threshold).
BrutePrecisionRecall brute_precision_recall(const std::vector<float>& scores, const std::vector<uint8_t>& labels) {
  const double positives = static_cast<double>(std::count(labels.begin(), labels.end(), 1));
  BrutePrecisionRecall result;
  double last_recall = 0;
  double last_precision = 1;
  for (float threshold : std::set<float, std::greater<>>(scores.begin(), scores.end())) {
    double tp = 0;
    double predicted = 0;
    for (size_t i = 0; i < scores.size(); ++i) {
      if (scores[i] < threshold) continue;
      predicted += 1;
      tp += labels[i];
    }
    const double precision = tp / predicted;
    const double recall = tp / positives;
    result.average_precision += (recall - last_recall) * precision;
    result.trapezoid += (recall - last_recall) * (precision + last_precision) / 2;
    if (precision + recall > 0) result.f1_max = std::max(result.f1_max, 2 * precision * recall / (precision + recall));
    last_recall = recall;
    last_precision = precision;
  }
  return result;
}

}  // namespace

TEST(ImageMetrics, SklearnDocumentationExample) {
  const std::vector<float> scores{0.1f, 0.4f, 0.35f, 0.8f};
  const std::vector<uint8_t> labels{0, 0, 1, 1};
  const ImageMetrics m = metrics_of(scores, labels);
  EXPECT_NEAR(*m.auroc, 0.75, kExact);
  EXPECT_NEAR(*m.aupr, 5.0 / 6.0, kExact);
  EXPECT_NEAR(*m.f1_max, 0.8, kExact);  // threshold 0.35: P 2/3, R 1
  EXPECT_TRUE(m.warnings.empty());
  // PR points (R, P) after sklearn's (0, 1): (1/2, 1), (1/2, 1/2), (1, 2/3), (1, 1/2).
  EXPECT_NEAR(*metrics_of(scores, labels, AuprMethod::trapezoid).aupr, 19.0 / 24.0, kExact);
}

TEST(ImageMetrics, TiedScoresMoveAsOneStep) {
  // Two anomalous and one normal image share 0.5: counted as half a win, one ROC/PR step.
  const std::vector<float> scores{0.5f, 0.5f, 0.5f, 0.2f, 0.9f};
  const std::vector<uint8_t> labels{1, 0, 1, 0, 1};
  const ImageMetrics m = metrics_of(scores, labels);
  EXPECT_NEAR(*m.auroc, 5.0 / 6.0, kExact);
  EXPECT_NEAR(*m.aupr, 5.0 / 6.0, kExact);   // 1/3 * 1 + 2/3 * 3/4
  EXPECT_NEAR(*m.f1_max, 6.0 / 7.0, kExact);  // threshold 0.5: tp 3, fp 1
  EXPECT_NEAR(*metrics_of(scores, labels, AuprMethod::trapezoid).aupr, 11.0 / 12.0, kExact);

  const OperatingCurve curve = operating_curve(scores, labels);
  EXPECT_EQ(curve.positives, 3);
  EXPECT_EQ(curve.negatives, 2);
  ASSERT_EQ(curve.points.size(), 3u);
  EXPECT_EQ(curve.points[0].threshold, 0.9f);
  EXPECT_EQ(curve.points[1].threshold, 0.5f);
  EXPECT_EQ(curve.points[1].true_positives, 3);
  EXPECT_EQ(curve.points[1].false_positives, 1);
  EXPECT_EQ(curve.points[2].threshold, 0.2f);
  EXPECT_EQ(curve.points[2].false_positives, 2);
}

TEST(ImageMetrics, AllEqualScoresAreChance) {
  const std::vector<float> scores(5, 0.7f);
  const std::vector<uint8_t> labels{1, 1, 0, 0, 0};
  const ImageMetrics m = metrics_of(scores, labels);
  EXPECT_NEAR(*m.auroc, 0.5, kExact);
  EXPECT_NEAR(*m.aupr, 0.4, kExact);  // the prevalence
  EXPECT_NEAR(*m.f1_max, 4.0 / 7.0, kExact);
  EXPECT_NEAR(*metrics_of(scores, labels, AuprMethod::trapezoid).aupr, 0.7, kExact);  // (1 + 0.4) / 2
}

TEST(ImageMetrics, PerfectAndInvertedRankings) {
  const std::vector<uint8_t> labels{0, 0, 1, 1};
  const ImageMetrics perfect = metrics_of({0.1f, 0.2f, 0.8f, 0.9f}, labels);
  EXPECT_EQ(*perfect.auroc, 1.0);
  EXPECT_EQ(*perfect.aupr, 1.0);
  EXPECT_EQ(*perfect.f1_max, 1.0);
  const ImageMetrics inverted = metrics_of({0.9f, 0.8f, 0.2f, 0.1f}, labels);
  EXPECT_EQ(*inverted.auroc, 0.0);
  EXPECT_NEAR(*inverted.aupr, 5.0 / 12.0, kExact);  // 1/2 * 1/3 + 1/2 * 1/2
  EXPECT_NEAR(*inverted.f1_max, 2.0 / 3.0, kExact);
  EXPECT_NEAR(*metrics_of({0.9f, 0.8f, 0.2f, 0.1f}, labels, AuprMethod::trapezoid).aupr, 7.0 / 24.0, kExact);
}

TEST(ImageMetrics, NegativeScoresAndSignedZerosTie) {
  // -0 and +0 are the same score; negative scores order below them.
  const ImageMetrics m = metrics_of({-0.0f, 0.0f, -2.0f, -1.0f}, {1, 0, 0, 1});
  EXPECT_NEAR(*m.auroc, 0.625, kExact);  // pairs (-0, 0) tie, (-0, -2) win, (-1, 0) loss, (-1, -2) win
}

TEST(ImageMetrics, UndefinedWithoutBothClasses) {
  const ImageMetrics no_anomalous = metrics_of({0.1f, 0.2f}, {0, 0});
  EXPECT_FALSE(no_anomalous.auroc);
  EXPECT_FALSE(no_anomalous.aupr);
  EXPECT_FALSE(no_anomalous.f1_max);
  ASSERT_EQ(no_anomalous.warnings.size(), 1u);
  EXPECT_NE(no_anomalous.warnings[0].find("no anomalous"), std::string::npos);

  const ImageMetrics no_normal = metrics_of({0.1f, 0.2f}, {1, 1});
  EXPECT_FALSE(no_normal.auroc);
  EXPECT_EQ(*no_normal.aupr, 1.0);  // every prediction is correct, as in sklearn
  EXPECT_EQ(*no_normal.f1_max, 1.0);
  EXPECT_EQ(no_normal.warnings.size(), 1u);

  EXPECT_FALSE(metrics_of({}, {}).auroc);
}

TEST(ImageMetrics, BadInputIsAnError) {
  EXPECT_THROW(metrics_of({0.1f, 0.2f}, {0}), Error);
  EXPECT_THROW(metrics_of({0.1f, 0.2f}, {0, 2}), Error);
  EXPECT_THROW(metrics_of({0.1f, std::numeric_limits<float>::quiet_NaN()}, {0, 1}), Error);
  EXPECT_THROW(metrics_of({0.1f, std::numeric_limits<float>::infinity()}, {0, 1}), Error);
}

TEST(ImageMetrics, MatchesBruteForceOnRandomTiedInputs) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    const int n = std::uniform_int_distribution<int>(1, 40)(rng);
    // Few score levels force ties; levels straddle zero so negative keys are exercised too.
    const int levels = std::vector<int>{1, 2, 3, 5, 1000}[trial % 5];
    const double prevalence = std::uniform_real_distribution<double>(0.05, 0.95)(rng);
    std::vector<float> scores(n);
    std::vector<uint8_t> labels(n);
    for (int i = 0; i < n; ++i) {
      scores[i] = static_cast<float>(std::uniform_int_distribution<int>(0, levels - 1)(rng)) / 7.0f - 0.3f;
      labels[i] = std::bernoulli_distribution(prevalence)(rng) ? 1 : 0;
    }
    const bool has_anomalous = std::count(labels.begin(), labels.end(), 1) > 0;
    const bool has_normal = std::count(labels.begin(), labels.end(), 0) > 0;
    const ImageMetrics step = metrics_of(scores, labels);
    const ImageMetrics trapezoid = metrics_of(scores, labels, AuprMethod::trapezoid);
    ASSERT_EQ(step.auroc.has_value(), has_anomalous && has_normal) << "trial " << trial;
    ASSERT_EQ(step.aupr.has_value(), has_anomalous) << "trial " << trial;
    if (step.auroc) {
      EXPECT_NEAR(*step.auroc, brute_auroc(scores, labels), 1e-9) << "trial " << trial;
    }
    if (!has_anomalous) continue;
    const BrutePrecisionRecall brute = brute_precision_recall(scores, labels);
    EXPECT_NEAR(*step.aupr, brute.average_precision, 1e-9) << "trial " << trial;
    EXPECT_NEAR(*trapezoid.aupr, brute.trapezoid, 1e-9) << "trial " << trial;
    EXPECT_NEAR(*step.f1_max, brute.f1_max, 1e-9) << "trial " << trial;
  }
}

TEST(ScoreKeys, PreserveFloatOrderAndRoundTrip) {
  const std::vector<float> ascending{-std::numeric_limits<float>::max(), -1.5f, -1e-40f, 0.0f, 1e-40f, 0.25f,
                                     1.0f, std::numeric_limits<float>::max()};
  for (size_t i = 0; i < ascending.size(); ++i) {
    EXPECT_EQ(eval::key_score(eval::score_key(ascending[i])), ascending[i]);
    if (i > 0) {
      EXPECT_LT(eval::score_key(ascending[i - 1]), eval::score_key(ascending[i]));
    }
  }
  EXPECT_EQ(eval::score_key(-0.0f), eval::score_key(0.0f));
}

TEST(RadixSort, SortsKeysAndCarriesPayloadsStably) {
  std::mt19937 rng(3);
  std::vector<uint32_t> keys(100000);
  for (uint32_t& k : keys) k = rng();
  std::vector<uint32_t> expected = keys;
  std::sort(expected.begin(), expected.end());
  eval::radix_sort(keys);
  EXPECT_EQ(keys, expected);

  // Keys sharing their top digits (skipped passes), payload = original position to check stability.
  std::vector<uint64_t> records(50000);
  for (size_t i = 0; i < records.size(); ++i) records[i] = (uint64_t{0xBF800000u + rng() % 300} << 32) | i;
  std::vector<uint64_t> expected_records = records;
  std::stable_sort(expected_records.begin(), expected_records.end(),
                   [](uint64_t a, uint64_t b) { return (a >> 32) < (b >> 32); });
  eval::radix_sort_by_high_word(records);
  EXPECT_EQ(records, expected_records);
}
