// The service's batcher (serve/batcher): images of requests for different classes and references share one
// engine pass and still get exactly their own Detector's results; a full queue refuses whole requests.
#include <gtest/gtest.h>

#include "serve/batcher.hpp"
#include "serve/metrics.hpp"
#include "test_support.hpp"
#include "winclip/detector.hpp"

using namespace winclip;
using namespace winclip::serve;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const ClipModel> tiny_model() {
  static std::shared_ptr<const ClipModel> model = ClipModel::load(test::model_dir());
  return model;
}

Image image(const std::string& name) { return decode_image(test::data_path("winclip/images/" + name + ".png")); }

DetectorOptions options(const std::string& class_name) {
  DetectorOptions o;
  o.class_name = class_name;
  return o;
}

}  // namespace

TEST(ServeBatcher, RequestsOfOtherClassesAndReferencesShareOnePass) {
  const auto zero_shot = std::make_shared<const Detector>(tiny_model(), options("metal_nut"));
  Detector with_references(tiny_model(), options("bottle"));
  with_references.add_references(std::vector<Image>{image("ref_0_good")});
  const auto few_shot = std::make_shared<const Detector>(std::move(with_references));
  const Image crack = image("test_1_crack"), stain = image("test_2_stain");

  Metrics metrics;
  // Passes of 3 images, the first waiting up to 10 s for the others: the two requests below meet in one pass.
  Batcher batcher({3, 10000ms, 8}, &metrics);
  auto a = batcher.submit(zero_shot, {zero_shot->preprocess(crack)});
  auto b = batcher.submit(few_shot, {few_shot->preprocess(stain), few_shot->preprocess(crack)});
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 2u);
  const EncodedImage ea = a[0].get(), eb0 = b[0].get(), eb1 = b[1].get();
  EXPECT_EQ(ea.pass, eb0.pass);
  EXPECT_EQ(ea.pass, eb1.pass);
  const auto expect_own = [](const Detector& detector, const EncodedImage& encoded, const Image& img) {
    const Detection shared = detector.score_encoded(*encoded.pass, encoded.index);
    const Detection alone = detector.score(img);
    EXPECT_EQ(shared.score, alone.score);
    EXPECT_EQ(shared.map.data, alone.map.data);
  };
  expect_own(*zero_shot, ea, crack);
  expect_own(*few_shot, eb0, stain);
  expect_own(*few_shot, eb1, crack);
  const std::string text = metrics.render();
  EXPECT_NE(text.find("winclip_batch_size_count 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("winclip_batch_size_bucket{le=\"2\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("winclip_batch_size_bucket{le=\"4\"} 1\n"), std::string::npos) << text;
}

TEST(ServeBatcher, AFullQueueRefusesWholeRequests) {
  const auto detector = std::make_shared<const Detector>(tiny_model(), options("metal_nut"));
  const Tensor input = detector->preprocess(image("test_0_good"));
  // Room for two waiting images; the engine waits up to 1 s for a pass of 8, so the first two stay queued.
  Batcher batcher({8, 1000ms, 2});
  auto first = batcher.submit(detector, {input, input});
  EXPECT_THROW(batcher.submit(detector, {input}), QueueFull);
  for (auto& f : first) EXPECT_EQ(f.get().pass->image_embeddings.shape.at(0), 2);
  // A request larger than the whole queue is taken when the queue is empty.
  auto large = batcher.submit(detector, {input, input, input});
  for (auto& f : large) EXPECT_NO_THROW(f.get());
  batcher.stop();
  EXPECT_THROW(batcher.submit(detector, {input}), QueueFull);
}
