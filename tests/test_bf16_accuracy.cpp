// bf16 matrix products (AMX / AVX512-BF16) against fp32: the anomaly maps must keep their shape
// (Pearson ≥ 0.999) and image scores must barely move, on the fixture images and on synthetic defects.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"
#include "winclip/detector.hpp"
#include "winclip/metrics.hpp"

using namespace winclip;

namespace {

double pearson(const std::vector<float>& a, const std::vector<float>& b) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= static_cast<double>(a.size());
  mb /= static_cast<double>(b.size());
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

std::shared_ptr<const ClipModel> load(Precision precision) {
  ModelOptions options;
  options.precision = precision;
  return ClipModel::load(test::model_dir(), options);
}

std::vector<Image> images() {
  std::vector<Image> out;
  for (const char* name : {"test_0_good", "test_1_crack", "test_2_stain"})
    out.push_back(decode_image(test::data_path(std::string("winclip/images/") + name + ".png")));
  return out;
}

}  // namespace

void expect_close(const Detector& fp32, const Detector& bf16) {
  const auto da = fp32.score(images()), db = bf16.score(images());
  for (size_t i = 0; i < da.size(); ++i) {
    EXPECT_GE(pearson(da[i].map.data, db[i].map.data), 0.999) << "image " << i << ", " << fp32.shots() << " shots";
    EXPECT_NEAR(da[i].score, db[i].score, 2e-3) << "image " << i << ", " << fp32.shots() << " shots";
  }
}

TEST(Bf16Accuracy, MapsCorrelateWithFp32) {
  DetectorOptions options;
  options.class_name = "metal_nut";
  Detector fp32(load(Precision::FP32), options);
  Detector bf16(load(Precision::BF16), options, fp32.prototypes());
  expect_close(fp32, bf16);
  const Image ref = decode_image(test::data_path("winclip/images/ref_0_good.png"));
  fp32.add_references({ref});
  bf16.add_references({ref});
  expect_close(fp32, bf16);
}

// A synthetic set (striped textures, half with a painted 40-pixel defect): the image AUROC of bf16 stays
// within 0.2 points of fp32's. With 40 × 40 images one swapped normal/anomalous pair moves AUROC by 0.0625
// points, so the bound allows three swaps between near-tied scores and no systematic change. (The tiny
// random model separates 24-pixel defects by barely 10× the bf16 noise in zero-shot, which gives
// 0.4-point swings there — so the defects are made plainly visible, as a real model would see them.)
TEST(Bf16Accuracy, SyntheticAurocMovesLessThanTwoTenthsOfAPoint) {
  constexpr int kPerClass = 40;
  std::vector<Image> images;
  std::vector<uint8_t> labels;
  for (int i = 0; i < 2 * kPerClass; ++i) {
    Image img = test::texture(96, 96, static_cast<uint32_t>(i));
    const bool anomalous = i % 2 == 1;
    if (anomalous) img = test::with_defect(img, {8 + (i * 7) % 40, 8 + (i * 13) % 40, 40});
    images.push_back(std::move(img));
    labels.push_back(anomalous ? 1 : 0);
  }
  DetectorOptions options;
  options.class_name = "carpet";
  Detector fp32(load(Precision::FP32), options);
  Detector bf16(load(Precision::BF16), options, fp32.prototypes());
  for (int shots : {0, 1}) {
    if (shots == 1) {
      const Image ref = test::texture(96, 96, 1000);
      fp32.add_references({ref});
      bf16.add_references({ref});
    }
    const auto da = fp32.score(images), db = bf16.score(images);
    std::vector<float> sa, sb;
    for (size_t i = 0; i < da.size(); ++i) {
      sa.push_back(static_cast<float>(da[i].score));
      sb.push_back(static_cast<float>(db[i].score));
      EXPECT_GE(pearson(da[i].map.data, db[i].map.data), 0.999) << "image " << i << ", " << shots << " shots";
    }
    const auto ma = image_metrics(sa, labels), mb = image_metrics(sb, labels);
    ASSERT_TRUE(ma.auroc && mb.auroc);
    EXPECT_LT(std::abs(*ma.auroc - *mb.auroc), 0.002) << shots << " shots: fp32 " << *ma.auroc << ", bf16 " << *mb.auroc;
  }
}
