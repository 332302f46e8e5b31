// What detector.hpp promises threads: concurrent score() calls on one Detector give what serial calls give.
// Also built with ThreadSanitizer as winclip_tsan_test (tests/CMakeLists.txt), which fails on any data race.
#include <gtest/gtest.h>

#include <thread>

#include "test_support.hpp"
#include "winclip/detector.hpp"

using namespace winclip;

namespace {

// One-shot, so that the concurrent calls also share the reference banks.
Detector one_shot_detector() {
  DetectorOptions options;
  options.class_name = "metal_nut";
  options.templates = TemplateSet::Anomalib;
  Detector detector(ClipModel::load(test::model_dir()), options);
  detector.add_references(std::vector<Image>{test::fixture_image("ref_0_good")});
  return detector;
}

void expect_identical(const Detection& a, const Detection& b, const std::string& what) {
  EXPECT_EQ(a.score, b.score) << what;
  EXPECT_EQ(a.zero_shot_score, b.zero_shot_score) << what;
  EXPECT_EQ(a.map.shape, b.map.shape) << what;
  EXPECT_EQ(a.map.data, b.map.data) << what;
  EXPECT_EQ(a.zero_shot_map.data, b.zero_shot_map.data) << what;
  EXPECT_EQ(a.few_shot_map.data, b.few_shot_map.data) << what;
}

}  // namespace

TEST(DetectorConcurrency, TwoThreadsScoringOneDetectorGetTheSerialResults) {
  const Detector detector = one_shot_detector();
  const std::vector<Image> images = {test::fixture_image("test_0_good"), test::fixture_image("test_1_crack"), test::fixture_image("test_2_stain")};
  std::vector<Detection> serial;
  for (const auto& img : images) serial.push_back(detector.score(img));

  // Each thread scores every image, the two in opposite orders, so that different images are in flight at
  // once as well as the same one.
  constexpr int kRounds = 2;
  std::vector<std::vector<Detection>> results(2);
  auto work = [&](int thread) {
    for (int round = 0; round < kRounds; ++round)
      for (size_t k = 0; k < images.size(); ++k) {
        const size_t i = thread == 0 ? k : images.size() - 1 - k;
        results[static_cast<size_t>(thread)].push_back(detector.score(images[i]));
      }
  };
  std::thread first(work, 0), second(work, 1);
  first.join();
  second.join();

  for (int thread = 0; thread < 2; ++thread) {
    const auto& got = results[static_cast<size_t>(thread)];
    ASSERT_EQ(got.size(), kRounds * images.size());
    for (size_t n = 0; n < got.size(); ++n) {
      const size_t k = n % images.size();
      const size_t i = thread == 0 ? k : images.size() - 1 - k;
      expect_identical(got[n], serial[i], "thread " + std::to_string(thread) + ", image " + std::to_string(i));
    }
  }
}
