// Pixel-level metrics (docs/eval.md, Metrics): PixelMetricsAccumulator with AUPRO, pixel AUROC and pixel F1-max.
//
// Expected values are exact fractions derived by hand from the listed curve points and checked with a
// separate Python script on fractions.Fraction. The random tests compare with a brute force written from
// the definitions (own 8-connected flood fill, recount at every threshold, then clip the curve at the limit).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "eval/aupro.hpp"
#include "winclip/error.hpp"
#include "winclip/metrics.hpp"

using namespace winclip;

namespace {

constexpr double kExact = 1e-12;

struct AuproImage {
  int height = 0;
  int width = 0;
  std::vector<float> map;
  std::vector<uint8_t> mask;
};

// 4x5; region B = the diagonal (0,0), (1,1), (2,2) (one region only with 8-connectivity), region A = (0,4).
AuproImage two_regions_image() {
  return {4, 5,
          {0.9f, 0.8f, 0.7f, 0.7f, 0.5f,  //
           0.6f, 0.6f, 0.3f, 0.3f, 0.2f,  //
           0.1f, 0.1f, 0.3f, 0.1f, 0.05f,  //
           0.05f, 0.0f, 0.0f, 0.0f, 0.0f},
          {255, 0, 0, 0, 255,  //
           0, 255, 0, 0, 0,  //
           0, 0, 255, 0, 0,  //
           0, 0, 0, 0, 0}};
}

AuproImage normal_image() { return {2, 2, {0.65f, 0.25f, 0.15f, 0.0f}, {0, 0, 0, 0}}; }

PixelMetrics pixel_metrics(const std::vector<AuproImage>& images, PixelMetricOptions options = {}) {
  PixelMetricsAccumulator accumulator(options);
  for (const AuproImage& image : images) accumulator.add(image.map, image.mask, image.height, image.width);
  return accumulator.finish();
}

// Region id per pixel (0 = normal), numbered on from region_count, by flood fill over the 8 neighbours.
std::vector<int> flood_fill_regions(const AuproImage& image, int& region_count) {
  std::vector<int> labels(image.mask.size(), 0);
  for (int start = 0; start < image.height * image.width; ++start) {
    if (image.mask[start] == 0 || labels[start] != 0) continue;
    labels[start] = ++region_count;
    std::vector<int> stack{start};
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          const int y = p / image.width + dy;
          const int x = p % image.width + dx;
          if (y < 0 || y >= image.height || x < 0 || x >= image.width) continue;
          const int q = y * image.width + x;
          if (image.mask[q] != 0 && labels[q] == 0) {
            labels[q] = region_count;
            stack.push_back(q);
          }
        }
      }
    }
  }
  return labels;
}

double brute_aupro(const std::vector<AuproImage>& images, double fpr_limit) {
  std::vector<float> scores;
  std::vector<int> regions;  // global region id + 1, 0 = normal
  int region_count = 0;
  for (const AuproImage& image : images) {
    const std::vector<int> labels = flood_fill_regions(image, region_count);
    regions.insert(regions.end(), labels.begin(), labels.end());
    scores.insert(scores.end(), image.map.begin(), image.map.end());
  }
  std::vector<double> region_size(region_count + 1, 0.0);
  for (int r : regions) region_size[r] += 1;

  std::vector<std::pair<double, double>> curve{{0.0, 0.0}};  // (FPR, PRO)
  for (float threshold : std::set<float, std::greater<>>(scores.begin(), scores.end())) {
    std::vector<double> detected(region_count + 1, 0.0);
    for (size_t i = 0; i < scores.size(); ++i) {
      if (scores[i] >= threshold) detected[regions[i]] += 1;
    }
    double pro = 0;
    for (int r = 1; r <= region_count; ++r) pro += detected[r] / region_size[r];
    curve.emplace_back(detected[0] / region_size[0], pro / region_count);
  }
  double area = 0;
  for (size_t i = 1; i < curve.size() && curve[i - 1].first < fpr_limit; ++i) {
    auto [fpr0, pro0] = curve[i - 1];
    auto [fpr1, pro1] = curve[i];
    if (fpr1 > fpr_limit) {
      pro1 = pro0 + (pro1 - pro0) * (fpr_limit - fpr0) / (fpr1 - fpr0);
      fpr1 = fpr_limit;
    }
    area += (fpr1 - fpr0) * (pro0 + pro1) / 2;
  }
  return area / fpr_limit;
}

double curve_area(const std::vector<CurvePoint>& curve) {
  double area = 0;
  for (size_t i = 1; i < curve.size(); ++i) area += (curve[i].x - curve[i - 1].x) * (curve[i].y + curve[i - 1].y) / 2;
  return area;
}

}  // namespace

TEST(MaskRegions, DiagonalNeighboursFormOneRegion) {
  const AuproImage image = two_regions_image();
  const eval::MaskRegions regions = eval::find_regions(image.mask, image.height, image.width);
  std::vector<uint32_t> sizes = regions.sizes;
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(regions.labels[0], regions.labels[6]);   // (0,0) and (1,1)
  EXPECT_EQ(regions.labels[6], regions.labels[12]);  // (1,1) and (2,2)
  EXPECT_NE(regions.labels[0], regions.labels[4]);
  EXPECT_EQ(regions.labels[1], 0);
}

TEST(PixelMetrics, RegionsOfDifferentSizeWeighEqually) {
  // Curve (FPR, PRO): (0,0) (0,1/6) (1/16,1/6) (3/16,1/6) (1/4,1/3) (1/4,5/6) (3/8,1) ...; the last segment
  // crosses FPR 0.3 where PRO = 5/6 + 0.4 * 1/6 = 0.9. Area 3/64 + 0.05 * (5/6 + 0.9) / 2 = 433/4800.
  const PixelMetrics m = pixel_metrics({two_regions_image()});
  EXPECT_NEAR(*m.aupro, 433.0 / 1440.0, kExact);
  EXPECT_TRUE(m.warnings.empty());
  EXPECT_NEAR(*pixel_metrics({two_regions_image()}, {.fpr_limit = 1.0}).aupro, 151.0 / 192.0, kExact);
}

TEST(PixelMetrics, NormalPixelsOfAllImagesEnterTheFpr) {
  // 20 normal pixels; the crossing segment (1/4, 5/6) -> (7/20, 1) gives PRO 11/12 at 0.3.
  const PixelMetrics m = pixel_metrics({two_regions_image(), normal_image()});
  EXPECT_NEAR(*m.aupro, 43.0 / 144.0, kExact);
  EXPECT_NEAR(*m.auroc, 129.0 / 160.0, kExact);  // 129 of 4 x 20 anomalous/normal pairs, ties halved
  EXPECT_NEAR(*m.f1_max, 8.0 / 15.0, kExact);    // threshold 0.5: tp 3, fp 5 -> 6 / (3 + 5 + 4)
}

TEST(PixelMetrics, SinglePixelRegions) {
  // Three isolated anomalous pixels at 0.9, 0.5, 0.1; six normal. PRO is 1/3 up to FPR 1/3 > 0.3.
  const AuproImage image{3, 3, {0.9f, 0.8f, 0.5f, 0.6f, 0.4f, 0.3f, 0.1f, 0.2f, 0.0f},
                        {1, 0, 1, 0, 0, 0, 1, 0, 0}};
  const PixelMetrics m = pixel_metrics({image});
  EXPECT_NEAR(*m.aupro, 1.0 / 3.0, kExact);
  EXPECT_NEAR(*m.auroc, 11.0 / 18.0, kExact);
  EXPECT_NEAR(*m.f1_max, 4.0 / 7.0, kExact);
}

TEST(PixelMetrics, CurvePointExactlyAtTheLimit) {
  // Region of 2 pixels at 0.95 and 0.65, normal pixels 0.9, 0.8, 0.7 reach FPR exactly 0.3 with PRO 1/2;
  // the jump to PRO 1 at FPR 0.3 adds no area.
  const AuproImage image{1, 12, {0.95f, 0.65f, 0.9f, 0.8f, 0.7f, 0.5f, 0.4f, 0.3f, 0.2f, 0.1f, 0.05f, 0.0f},
                        {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
  EXPECT_NEAR(*pixel_metrics({image}).aupro, 0.5, kExact);
}

TEST(PixelMetrics, NoAnomalousPixelIsUndefinedNotNan) {
  const PixelMetrics m = pixel_metrics({normal_image(), normal_image()});
  EXPECT_FALSE(m.aupro);
  EXPECT_FALSE(m.auroc);
  EXPECT_FALSE(m.f1_max);
  ASSERT_EQ(m.warnings.size(), 1u);
  EXPECT_NE(m.warnings[0].find("no anomalous pixel"), std::string::npos);
  EXPECT_FALSE(PixelMetricsAccumulator().finish().aupro);
}

TEST(PixelMetrics, NoNormalPixelLeavesOnlyF1) {
  const PixelMetrics m = pixel_metrics({{1, 2, {0.3f, 0.1f}, {255, 255}}});
  EXPECT_FALSE(m.aupro);
  EXPECT_FALSE(m.auroc);
  EXPECT_EQ(*m.f1_max, 1.0);
  EXPECT_EQ(m.warnings.size(), 1u);
}

TEST(PixelMetrics, FinishCanBeRepeatedAfterMoreImages) {
  PixelMetricsAccumulator accumulator;
  const AuproImage first = two_regions_image();
  const AuproImage second = normal_image();
  accumulator.add(first.map, first.mask, first.height, first.width);
  EXPECT_NEAR(*accumulator.finish().aupro, 433.0 / 1440.0, kExact);
  accumulator.add(second.map, second.mask, second.height, second.width);
  EXPECT_EQ(accumulator.pixel_count(), 24);
  EXPECT_NEAR(*accumulator.finish().aupro, 43.0 / 144.0, kExact);
}

TEST(PixelMetrics, BadInputIsAnErrorAndChangesNothing) {
  PixelMetricsAccumulator accumulator;
  const AuproImage image = two_regions_image();
  EXPECT_THROW(accumulator.add(image.map, image.mask, 5, 5), Error);
  std::vector<uint8_t> short_mask(image.mask.begin(), image.mask.end() - 1);
  EXPECT_THROW(accumulator.add(image.map, short_mask, image.height, image.width), Error);
  std::vector<float> nan_map = image.map;
  nan_map[7] = std::numeric_limits<float>::quiet_NaN();
  try {
    accumulator.add(nan_map, image.mask, image.height, image.width, "pcb1/test/bad/004.png");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pcb1/test/bad/004.png"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("row 1, column 2"), std::string::npos);
  }
  EXPECT_EQ(accumulator.pixel_count(), 0);
  EXPECT_THROW(PixelMetricsAccumulator({.fpr_limit = 0.0}), Error);
  EXPECT_THROW(PixelMetricsAccumulator({.fpr_limit = 1.5}), Error);
}

TEST(PixelMetrics, MatchesBruteForceAndImageMetricsOnRandomMaps) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<AuproImage> images(std::uniform_int_distribution<int>(1, 3)(rng));
    const int levels = std::vector<int>{2, 4, 9, 1000}[trial % 4];
    const double anomalous_fraction = std::uniform_real_distribution<double>(0.0, 0.6)(rng);
    std::vector<float> pooled_scores;
    std::vector<uint8_t> pooled_labels;
    for (AuproImage& image : images) {
      image.height = std::uniform_int_distribution<int>(1, 7)(rng);
      image.width = std::uniform_int_distribution<int>(1, 7)(rng);
      for (int i = 0; i < image.height * image.width; ++i) {
        image.mask.push_back(std::bernoulli_distribution(anomalous_fraction)(rng) ? 255 : 0);
        image.map.push_back(static_cast<float>(std::uniform_int_distribution<int>(0, levels - 1)(rng)) / levels);
        pooled_scores.push_back(image.map.back());
        pooled_labels.push_back(image.mask.back() != 0);
      }
    }
    const double fpr_limit = trial % 3 == 0 ? 1.0 : 0.3;
    const PixelMetrics pixel = pixel_metrics(images, {.fpr_limit = fpr_limit});
    const ImageMetrics pooled = image_metrics(pooled_scores, pooled_labels);
    ASSERT_EQ(pixel.auroc.has_value(), pooled.auroc.has_value()) << "trial " << trial;
    ASSERT_EQ(pixel.aupro.has_value(), pooled.auroc.has_value()) << "trial " << trial;
    ASSERT_EQ(pixel.f1_max.has_value(), pooled.f1_max.has_value()) << "trial " << trial;
    if (pixel.f1_max) {
      EXPECT_NEAR(*pixel.f1_max, *pooled.f1_max, 1e-12) << "trial " << trial;
    }
    if (!pixel.auroc) continue;
    EXPECT_NEAR(*pixel.auroc, *pooled.auroc, 1e-12) << "trial " << trial;
    EXPECT_NEAR(*pixel.aupro, brute_aupro(images, fpr_limit), 1e-9) << "trial " << trial;
    EXPECT_NEAR(curve_area(pixel.pro_curve) / fpr_limit, *pixel.aupro, 1e-12) << "trial " << trial;
  }
}

// Maps with 100 000 distinct scores: the plotted curve keeps a small part of them, every one within a plot cell
// (1/250 of each axis) of a point of the exact curve, rising, from (0, 0) to the limit, with the AUPRO's area.
TEST(PixelMetrics, ProCurveIsThinnedForPlottingWithoutChangingItsArea) {
  std::mt19937 rng(5);
  std::vector<AuproImage> images(25);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (AuproImage& image : images) {
    image.height = image.width = 64;
    const int cx = std::uniform_int_distribution<int>(8, 56)(rng), cy = std::uniform_int_distribution<int>(8, 56)(rng);
    const int radius = std::uniform_int_distribution<int>(0, 7)(rng);  // 0: a normal image
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x) {
        const bool inside = radius > 0 && (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius;
        image.mask.push_back(inside ? 255 : 0);
        image.map.push_back(noise(rng) + (inside ? 1.5f : 0.0f));
      }
  }
  const double limit = 0.3;
  const PixelMetrics pixel = pixel_metrics(images, {.fpr_limit = limit});
  ASSERT_TRUE(pixel.aupro);
  const std::vector<CurvePoint>& curve = pixel.pro_curve;
  EXPECT_NEAR(curve_area(curve) / limit, *pixel.aupro, 1e-12);
  ASSERT_GE(curve.size(), 2u);
  EXPECT_LT(curve.size(), 3u * (250 + 250));
  EXPECT_EQ(curve.front().x, 0.0);
  EXPECT_EQ(curve.front().y, 0.0);
  EXPECT_DOUBLE_EQ(curve.back().x, limit);
  for (size_t i = 1; i < curve.size(); ++i) {
    EXPECT_GE(curve[i].x, curve[i - 1].x) << i;
    EXPECT_GE(curve[i].y, curve[i - 1].y) << i;
  }

  // The exact curve, from a sort of all pixels (distinct scores, so one point per pixel).
  int regions = 0;
  std::vector<std::pair<float, int>> pixels;  // score, region (0 normal)
  for (const AuproImage& image : images) {
    const std::vector<int> labels = flood_fill_regions(image, regions);
    for (size_t i = 0; i < labels.size(); ++i) pixels.emplace_back(image.map[i], labels[i]);
  }
  std::vector<double> size(regions + 1, 0);
  for (const auto& p : pixels) size[p.second] += 1;
  std::sort(pixels.begin(), pixels.end(), std::greater<>());
  std::vector<CurvePoint> exact{{0, 0}};
  double normal = 0, pro = 0;
  for (const auto& [score, region] : pixels) {
    if (region == 0) normal += 1;
    else pro += 1.0 / (size[region] * regions);
    exact.push_back({normal / size[0], pro});
    if (exact.back().x > limit) break;
  }
  EXPECT_GT(exact.size(), 10 * curve.size()) << "the test must thin";
  for (const CurvePoint& p : curve) {
    const bool near = std::any_of(exact.begin(), exact.end(), [&](const CurvePoint& q) {
      return std::abs(p.x - q.x) <= limit / 250 && std::abs(p.y - q.y) <= 1.0 / 250;
    });
    EXPECT_TRUE(near) << p.x << ", " << p.y;
  }
}
