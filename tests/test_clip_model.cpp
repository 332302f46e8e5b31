// The CLIP towers against open_clip v2.24 (fixtures computed by the Python reference on the tiny model).
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "clip/vision_tower.hpp"
#include "test_support.hpp"
#include "checkpoint/checkpoint.hpp"
#include "winclip/error.hpp"
#include "winclip/model.hpp"
#include "winclip/npy.hpp"
#include "winclip/preprocess.hpp"

using namespace winclip;

namespace {

constexpr double kEmbeddingTolerance = 1e-4;  // acceptance limit for embeddings and tokens (fp32)

const ClipModel& tiny_clip() {
  static auto model = ClipModel::load(test::model_dir());
  return *model;
}

// The three fixture images after open_clip's resize (as uint8 HWC) → the normalised model input.
Tensor fixture_input(const std::string& uint8_npy) {
  Tensor hwc = read_npy(test::data_path(uint8_npy));
  Image img;
  img.height = static_cast<int>(hwc.shape[0]);
  img.width = static_cast<int>(hwc.shape[1]);
  for (float v : hwc.data) img.rgb.push_back(static_cast<uint8_t>(v));
  Tensor chw = to_normalized_chw(img, tiny_clip().config().preprocess);
  chw.shape.insert(chw.shape.begin(), 1);
  return chw;
}

const char* kStems[] = {"img_402x300", "img_150x191", "img_250x333"};

Tensor row(const Tensor& t, int64_t i) {
  const int64_t n = t.numel() / t.shape[0];
  Shape shape(t.shape.begin() + 1, t.shape.end());
  return Tensor(shape, std::vector<float>(t.ptr() + i * n, t.ptr() + (i + 1) * n));
}

}  // namespace

TEST(ClipModel, LoadsTinyModelConfig) {
  const auto& cfg = tiny_clip().config();
  EXPECT_EQ(cfg.embed_dim, 32);
  EXPECT_EQ(cfg.vision.width, 64);
  EXPECT_EQ(cfg.vision.heads(), 4);
  EXPECT_EQ(tiny_clip().grid(), 15);
  EXPECT_FALSE(cfg.quick_gelu);
}

TEST(ClipModel, VisionIntermediatesMatchOpenClip) {
  const auto weights = WeightFile::open(test::model_dir() / "open_clip_model.safetensors");
  clip::VisionTower tower(weights, tiny_clip().config(), compute::MatmulPrecision::FP32);
  Tensor input = read_npy(test::data_path("openclip/preprocess/img_402x300.tensor.npy"));
  input.shape.insert(input.shape.begin(), 1);
  Tensor embedded = tower.embed(input);
  Tensor expected = read_npy(test::data_path("openclip/vision_image0/embeddings.npy"));
  EXPECT_LE(test::max_abs_diff(row(embedded, 0), expected), kEmbeddingTolerance);
}

TEST(ClipModel, ImageEmbeddingsAndPatchTokensMatchOpenClip) {
  const Tensor expected = read_npy(test::data_path("openclip/encode_image.npy"));
  const Tensor expected_tokens = read_npy(test::data_path("openclip/patch_tokens.npy"));
  for (int i = 0; i < 3; ++i) {
    auto result = tiny_clip().encode_images(
        fixture_input(std::string("openclip/preprocess/") + kStems[i] + ".resized_cropped_uint8.npy"));
    EXPECT_LE(test::max_abs_diff(row(result.image_embeddings, 0), row(expected, i)), kEmbeddingTolerance) << kStems[i];
    EXPECT_LE(test::max_abs_diff(row(result.patch_tokens, 0), row(expected_tokens, i)), kEmbeddingTolerance) << kStems[i];
  }
}

TEST(ClipModel, SquashInputsMatchOpenClip) {
  const Tensor expected = read_npy(test::data_path("openclip/encode_image_squash.npy"));
  for (int i = 0; i < 3; ++i) {
    auto result = tiny_clip().encode_images(
        fixture_input(std::string("openclip/preprocess_squash/") + kStems[i] + ".resized_uint8.npy"));
    EXPECT_LE(test::max_abs_diff(row(result.image_embeddings, 0), row(expected, i)), kEmbeddingTolerance) << kStems[i];
  }
}

TEST(ClipModel, TextEmbeddingsMatchOpenClip) {
  std::ifstream in(test::data_path("openclip/tokenizer.json"));
  const auto fixture = nlohmann::json::parse(in);
  std::vector<std::vector<int32_t>> ids;
  for (const auto& item : fixture["items"]) ids.push_back(item["ids"].get<std::vector<int32_t>>());
  const Tensor actual = tiny_clip().encode_text(ids);
  const Tensor expected = read_npy(test::data_path("openclip/encode_text.npy"));
  ASSERT_EQ(actual.shape, expected.shape);
  for (int64_t i = 0; i < expected.shape[0]; ++i)
    EXPECT_LE(test::max_abs_diff(row(actual, i), row(expected, i)), kEmbeddingTolerance) << "text " << i;
}

TEST(ClipModel, TextWithoutPaddingGivesTheSameEmbedding) {
  // Positions after end-of-text never influence the pooled row, padded or not.
  const std::vector<int32_t> ids = {49406, 320, 1125, 539, 320, 5392, 269, 49407};
  std::vector<int32_t> padded = ids;
  padded.resize(77, 0);
  const Tensor a = tiny_clip().encode_text({ids});
  const Tensor b = tiny_clip().encode_text({padded});
  EXPECT_LE(test::max_abs_diff(a, b), 1e-6);
}

TEST(ClipModel, BatchedImagesEqualSingleImages) {
  Tensor a = fixture_input("openclip/preprocess/img_402x300.resized_cropped_uint8.npy");
  Tensor b = fixture_input("openclip/preprocess/img_150x191.resized_cropped_uint8.npy");
  Tensor both({2, 3, 240, 240});
  std::copy(a.data.begin(), a.data.end(), both.data.begin());
  std::copy(b.data.begin(), b.data.end(), both.data.begin() + a.numel());
  auto batched = tiny_clip().encode_images(both);
  auto single = tiny_clip().encode_images(b);
  EXPECT_LE(test::max_abs_diff(row(batched.image_embeddings, 1), row(single.image_embeddings, 0)), 1e-5);
}

TEST(ClipModel, BadInputsAreClearErrors) {
  EXPECT_THROW(tiny_clip().encode_images(Tensor({1, 3, 224, 224})), Error);
  EXPECT_THROW(tiny_clip().encode_text({{49406, 50000, 49407}}), Error);
  EXPECT_THROW(tiny_clip().encode_text({std::vector<int32_t>(78, 1)}), Error);
  VisionRequest request;
  request.token_subsets = {{0, 226}};
  EXPECT_THROW(tiny_clip().encode_images(Tensor({1, 3, 240, 240}), request), Error);
  EXPECT_THROW(ClipModel::load(test::model_dir() / "open_clip_model.safetensors"), Error);  // no --arch
  EXPECT_THROW(ClipModel::load(test::data_path("no-such-model")), Error);
}
