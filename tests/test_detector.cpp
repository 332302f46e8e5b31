// WinCLIP / WinCLIP+ against anomalib's own outputs (open_clip 2.24) on the tiny random model: class
// metal_nut passed raw, anomalib's 21 templates, scales 2 and 3, τ = 0.07.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "winclip/detector.hpp"
#include "winclip/error.hpp"
#include "winclip/npy.hpp"
#include "detection/prototypes.hpp"
#include "text/tokenizer.hpp"
#include "detection/windows.hpp"

using namespace winclip;

namespace {

constexpr double kTolerance = 1e-4;  // acceptance limit on scores and maps

std::shared_ptr<const ClipModel> tiny_model() {
  static std::shared_ptr<const ClipModel> model = ClipModel::load(test::model_dir());
  return model;
}

DetectorOptions anomalib_options() {
  DetectorOptions o;
  o.class_name = "metal_nut";
  o.raw_class_name = true;
  o.templates = TemplateSet::Anomalib;
  return o;
}

Image image(const std::string& name) { return decode_image(test::data_path("winclip/images/" + name + ".png")); }

std::vector<Image> test_images() { return {image("test_0_good"), image("test_1_crack"), image("test_2_stain")}; }

Tensor slice(const Tensor& t, int64_t i) {
  const int64_t n = t.numel() / t.shape[0];
  return Tensor(Shape(t.shape.begin() + 1, t.shape.end()), std::vector<float>(t.ptr() + i * n, t.ptr() + (i + 1) * n));
}

Tensor golden(const std::string& file) { return read_npy(test::data_path("winclip/" + file)); }

// Everything anomalib reports for one run (zero-shot or k-shot) must agree.
void expect_matches_anomalib(const std::vector<Detection>& detections, const std::string& dir) {
  const Tensor scores = golden(dir + "/pred_score.npy"), maps = golden(dir + "/anomaly_map.npy"),
               patch_maps = golden(dir + "/map_15x15.npy");
  ASSERT_EQ(detections.size(), 3u);
  for (int64_t i = 0; i < 3; ++i) {
    const Detection& d = detections[static_cast<size_t>(i)];
    EXPECT_NEAR(d.score, scores.data[i], kTolerance) << dir << " image " << i;
    EXPECT_LE(test::max_abs_diff(d.patch_map, slice(patch_maps, i)), kTolerance) << dir << " image " << i;
    EXPECT_LE(test::max_abs_diff(d.map, slice(maps, i)), kTolerance) << dir << " image " << i;
  }
}

}  // namespace

TEST(Detector, PromptsAreAnomalibs) {
  std::ifstream in(test::data_path("winclip/prompts.json"));
  const auto fixture = nlohmann::json::parse(in);
  const PromptEnsemble prompts = build_prompts("metal_nut", TemplateSet::Anomalib);
  EXPECT_EQ(prompts.normal, fixture["normal"].get<std::vector<std::string>>());
  EXPECT_EQ(prompts.anomalous, fixture["anomalous"].get<std::vector<std::string>>());
}

TEST(Detector, PrototypesMatchAnomalib) {
  const Tensor prototypes = compute_prototypes(*tiny_model(), Tokenizer::default_instance(),
                                               build_prompts("metal_nut", TemplateSet::Anomalib));
  EXPECT_LE(test::max_abs_diff(prototypes, golden("text_embeddings.npy")), kTolerance);
}

TEST(Detector, ZeroShotMatchesAnomalib) {
  const Detector detector(tiny_model(), anomalib_options());
  const auto detections = detector.score(test_images());
  expect_matches_anomalib(detections, "zero_shot");
  const Tensor s2 = golden("zero_shot/scale2_map.npy"), s3 = golden("zero_shot/scale3_map.npy");
  for (int64_t i = 0; i < 3; ++i) {
    const Detection& d = detections[static_cast<size_t>(i)];
    ASSERT_EQ(d.zero_shot_scale_maps.size(), 2u);
    EXPECT_LE(test::max_abs_diff(d.zero_shot_scale_maps[0], slice(s2, i)), kTolerance);
    EXPECT_LE(test::max_abs_diff(d.zero_shot_scale_maps[1], slice(s3, i)), kTolerance);
    EXPECT_TRUE(d.few_shot_map.data.empty());
  }
}

TEST(Detector, OneShotMatchesAnomalib) {
  Detector detector(tiny_model(), anomalib_options());
  detector.add_references({image("ref_0_good")});
  EXPECT_EQ(detector.shots(), 1);
  const auto detections = detector.score(test_images());
  expect_matches_anomalib(detections, "few_shot_k1");
  const Tensor few = golden("few_shot_k1/few_shot_map_15x15.npy"), patch = golden("few_shot_k1/few_shot_patch_map.npy"),
               s2 = golden("few_shot_k1/few_shot_scale2_map.npy"), s3 = golden("few_shot_k1/few_shot_scale3_map.npy");
  for (int64_t i = 0; i < 3; ++i) {
    const Detection& d = detections[static_cast<size_t>(i)];
    EXPECT_LE(test::max_abs_diff(d.few_shot_map, slice(few, i)), kTolerance);
    EXPECT_LE(test::max_abs_diff(d.few_shot_patch_map, slice(patch, i)), kTolerance);
    EXPECT_LE(test::max_abs_diff(d.few_shot_scale_maps.at(0), slice(s2, i)), kTolerance);
    EXPECT_LE(test::max_abs_diff(d.few_shot_scale_maps.at(1), slice(s3, i)), kTolerance);
  }
  // The bank itself: anomalib's reference embeddings.
  const ReferenceBank& bank = detector.references();
  Tensor expected_patches = golden("few_shot_k1/reference_patch_embeddings.npy");
  expected_patches.shape = {225, 64};
  EXPECT_LE(test::max_abs_diff(bank.patch_features, expected_patches), kTolerance);
  Tensor expected_windows = golden("few_shot_k1/reference_window_embeddings_scale3.npy");
  expected_windows.shape = {169, 32};
  EXPECT_LE(test::max_abs_diff(bank.window_features.at(1), expected_windows), kTolerance);
}

TEST(Detector, TwoShotMatchesAnomalib) {
  Detector detector(tiny_model(), anomalib_options());
  detector.add_references({image("ref_0_good"), image("ref_1_good")});
  EXPECT_EQ(detector.shots(), 2);
  expect_matches_anomalib(detector.score(test_images()), "few_shot_k2");
}

TEST(Detector, ReferencesAddedOneAtATimeEqualABatch) {
  Detector one_by_one(tiny_model(), anomalib_options());
  one_by_one.add_references({image("ref_0_good")});
  one_by_one.add_references({image("ref_1_good")});
  expect_matches_anomalib(one_by_one.score(test_images()), "few_shot_k2");
}

TEST(Detector, WindowEmbeddingsMatchAnomalib) {
  // The token-subset path on real windows: scale-2 window embeddings of test image 1.
  Detector detector(tiny_model(), anomalib_options());
  VisionRequest request;
  request.full_image = false;
  for (const auto& w : window_patches(15, 2)) {
    std::vector<int> tokens = {0};
    for (int p : w) tokens.push_back(1 + p);
    request.token_subsets.push_back(tokens);
  }
  const VisionResult r = tiny_model()->encode_images(detector.preprocess(image("test_1_crack")), request);
  Tensor expected = slice(golden("test_embeddings/window_embeddings_scale2.npy"), 1);
  Tensor actual = slice(r.subset_embeddings, 0);
  EXPECT_LE(test::max_abs_diff(actual, expected), kTolerance);
}

TEST(Detector, RefusesBadConfigurations) {
  DetectorOptions o = anomalib_options();
  o.scales = {};
  EXPECT_THROW(Detector(tiny_model(), o, Tensor({2, 32})), Error);
  o.scales = {16};
  EXPECT_THROW(Detector(tiny_model(), o, Tensor({2, 32})), Error);
  EXPECT_THROW(Detector(tiny_model(), anomalib_options(), Tensor({2, 31})), Error);
  Detector detector(tiny_model(), anomalib_options(), Tensor({2, 32}, std::vector<float>(64, 1.0f)));
  ReferenceBank bank;
  bank.shots = 1;
  bank.scales = {2, 3};
  bank.patch_features = Tensor({225, 63});
  EXPECT_THROW(detector.set_references(bank), Error);
  bank.scales = {2};
  EXPECT_THROW(detector.set_references(bank), Error);
}

TEST(Detector, BatchEqualsOneByOne) {
  // Passes of 1, 2 and 3 images (3 = the whole batch in one pass), with references.
  for (int batch_size : {1, 2, 3}) {
    DetectorOptions options = anomalib_options();
    options.batch_size = batch_size;
    Detector detector(tiny_model(), options);
    detector.add_references(std::vector<Image>{image("ref_0_good")});
    const auto images = test_images();
    const auto batch = detector.score(images);
    ASSERT_EQ(batch.size(), images.size());
    for (size_t i = 0; i < images.size(); ++i) {
      const Detection alone = detector.score(images[i]);
      EXPECT_EQ(batch[i].score, alone.score) << "batch size " << batch_size << ", image " << i;
      EXPECT_EQ(batch[i].map.data, alone.map.data) << "batch size " << batch_size << ", image " << i;
      EXPECT_EQ(batch[i].few_shot_map.data, alone.few_shot_map.data) << "batch size " << batch_size << ", image " << i;
    }
  }
  EXPECT_TRUE(Detector(tiny_model(), anomalib_options()).score(std::vector<Image>{}).empty());
}

TEST(Detector, OnePassIsSharedByDetectorsOfOtherClassesAndReferences) {
  // A service batches the images of concurrent requests: one pass made by one Detector, each image finished by
  // its own request's Detector, which must give exactly what its score() gives.
  const Detector zero_shot(tiny_model(), anomalib_options());
  DetectorOptions other = anomalib_options();
  other.class_name = "bottle";
  other.raw_class_name = false;
  other.templates = TemplateSet::Paper;
  Detector few_shot(tiny_model(), other);
  few_shot.add_references(std::vector<Image>{image("ref_0_good"), image("ref_1_good")});
  ASSERT_TRUE(zero_shot.encodes_like(few_shot));

  const auto images = test_images();
  std::vector<float> stacked;
  for (const auto& img : images) {
    const Tensor t = few_shot.preprocess(img);
    stacked.insert(stacked.end(), t.data.begin(), t.data.end());
  }
  const int64_t size = tiny_model()->image_size();
  const VisionResult pass = few_shot.encode(Tensor({3, 3, size, size}, stacked));
  for (int64_t i = 0; i < 3; ++i) {
    for (const Detector* detector : {&zero_shot, static_cast<const Detector*>(&few_shot)}) {
      const Detection shared = detector->score_encoded(pass, i);
      const Detection alone = detector->score(images[static_cast<size_t>(i)]);
      EXPECT_EQ(shared.score, alone.score) << "image " << i << ", shots " << detector->shots();
      EXPECT_EQ(shared.map.data, alone.map.data) << "image " << i << ", shots " << detector->shots();
      EXPECT_EQ(shared.few_shot_map.data, alone.few_shot_map.data) << "image " << i;
    }
  }
  EXPECT_THROW(zero_shot.score_encoded(pass, 3), Error);
  EXPECT_THROW(zero_shot.score_encoded(pass, -1), Error);

  // Other scales: another pass, which the first one's results do not fit.
  DetectorOptions one_scale = anomalib_options();
  one_scale.scales = {2};
  const Detector two(tiny_model(), one_scale, zero_shot.prototypes());
  EXPECT_FALSE(two.encodes_like(zero_shot));
  EXPECT_THROW(two.score_encoded(pass, 0), Error);
}
