// WinCLIP's maskable inference: running a token subset as its own short sequence must equal running the
// full sequence with an attention mask that hides every other token. The masked run here is an independent
// plain-loop transformer built from the reference kernels.
#include <gtest/gtest.h>

#include <random>

#include "clip/transformer.hpp"
#include "clip/vision_tower.hpp"
#include "compute/aligned_vector.hpp"
#include "compute/attention.hpp"
#include "compute/layer_norm.hpp"
#include "compute/linear.hpp"
#include "test_support.hpp"
#include "checkpoint/checkpoint.hpp"
#include "winclip/error.hpp"
#include "winclip/model.hpp"

using namespace winclip;
using namespace winclip::compute;

namespace {

// Projected class-token output of the full sequence `x` [tokens, W] where only `visible` keys are attended.
std::vector<float> masked_reference(const WeightFile& wf, const ModelConfig& cfg, std::vector<float> x,
                                    const std::vector<bool>& visible) {
  const int64_t w = cfg.vision.width, m = cfg.vision.mlp_width(), rows = static_cast<int64_t>(visible.size());
  auto ln = [&](const std::string& name, const float* in, int64_t n, float* out) {
    auto g = wf.load_f32(name + ".weight", {w});
    auto b = wf.load_f32(name + ".bias", {w});
    layer_norm_reference(in, n, w, g.data(), b.data(), out);
  };
  auto linear = [&](const std::string& name, const float* in, int64_t k, int64_t n, float* out, Epilogue e) {
    auto weight = wf.load_f32(name + ".weight", {n, k});
    auto bias = wf.load_f32(name + ".bias", {n});
    linear_reference(in, rows, k, n, weight.data(), WeightLayout::OutIn, bias.data(), out, e);
  };
  std::unique_ptr<bool[]> mask(new bool[visible.size()]);
  for (size_t i = 0; i < visible.size(); ++i) mask[i] = visible[i];
  std::vector<float> h(x.size()), qkv(x.size() * 3), att(x.size()), hidden(static_cast<size_t>(rows * m));
  ln("visual.ln_pre", x.data(), rows, x.data());
  for (int i = 0; i < cfg.vision.layers; ++i) {
    const std::string p = "visual.transformer.resblocks." + std::to_string(i) + ".";
    ln(p + "ln_1", x.data(), rows, h.data());
    auto wqkv = wf.load_f32(p + "attn.in_proj_weight", {3 * w, w});
    auto bqkv = wf.load_f32(p + "attn.in_proj_bias", {3 * w});
    linear_reference(h.data(), rows, w, 3 * w, wqkv.data(), WeightLayout::OutIn, bqkv.data(), qkv.data(), Epilogue::None);
    multi_head_attention_reference(qkv.data(), rows, w, cfg.vision.heads(), false, mask.get(), att.data());
    linear(p + "attn.out_proj", att.data(), w, w, x.data(), Epilogue::AddToDst);
    ln(p + "ln_2", x.data(), rows, h.data());
    linear(p + "mlp.c_fc", h.data(), w, m, hidden.data(), Epilogue::Gelu);
    linear(p + "mlp.c_proj", hidden.data(), m, w, x.data(), Epilogue::AddToDst);
  }
  std::vector<float> cls(static_cast<size_t>(w)), out(static_cast<size_t>(cfg.embed_dim));
  ln("visual.ln_post", x.data(), 1, cls.data());
  auto proj = wf.load_f32("visual.proj", {w, cfg.embed_dim});
  linear_reference(cls.data(), 1, w, cfg.embed_dim, proj.data(), WeightLayout::InOut, nullptr, out.data(), Epilogue::None);
  return out;
}

// The test model's vision transformer, run on a copy of `input` in either precision.
struct VisionTransformer {
  std::shared_ptr<const ClipModel> model = ClipModel::load(test::model_dir());
  WeightFile weights = WeightFile::open(test::model_dir() / "open_clip_model.safetensors");
  int64_t width = model->config().vision.width;

  AlignedVector<float> run(MatmulPrecision precision, const SequenceBatch& batch,
                           const std::vector<float>& input) const {
    const ModelConfig& cfg = model->config();
    const clip::Transformer transformer(
        weights, "visual.transformer.",
        {cfg.vision.width, cfg.vision.heads(), cfg.vision.layers, cfg.vision.mlp_width(), cfg.quick_gelu}, precision);
    AlignedVector<float> x(input.begin(), input.end());
    transformer.forward(x.data(), batch);
    return x;
  }
};

const char* precision_label(MatmulPrecision precision) {
  return precision == MatmulPrecision::BF16 ? "bf16" : "fp32";
}

}  // namespace

TEST(MaskableInference, TokenSubsetEqualsMaskedFullSequence) {
  const auto model = ClipModel::load(test::model_dir());
  const auto wf = WeightFile::open(test::model_dir() / "open_clip_model.safetensors");
  const ModelConfig& cfg = model->config();
  clip::VisionTower tower(wf, cfg, MatmulPrecision::FP32);

  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.f, 1.f);
  Tensor image({1, 3, 240, 240});
  for (auto& v : image.data) v = dist(rng);
  const Tensor embedded = tower.embed(image);

  // A 2×2 window, a 3×3 window at the border, an irregular subset, and the class token alone.
  const std::vector<std::vector<int>> subsets = {
      {0, 1 + 0, 1 + 1, 1 + 15, 1 + 16},
      {0, 1 + 12 * 15 + 12, 1 + 12 * 15 + 13, 1 + 12 * 15 + 14, 1 + 13 * 15 + 12, 1 + 13 * 15 + 13,
       1 + 13 * 15 + 14, 1 + 14 * 15 + 12, 1 + 14 * 15 + 13, 1 + 14 * 15 + 14},
      {0, 7, 100, 224},
      {0},
  };
  VisionRequest request;
  request.full_image = false;
  request.token_subsets = subsets;
  const VisionResult result = model->encode_images(image, request);
  ASSERT_EQ(result.subset_embeddings.shape, (Shape{1, 4, cfg.embed_dim}));
  for (size_t s = 0; s < subsets.size(); ++s) {
    std::vector<bool> visible(226, false);
    for (int t : subsets[s]) visible[static_cast<size_t>(t)] = true;
    auto expected = masked_reference(wf, cfg, embedded.data, visible);
    EXPECT_LE(test::max_abs_diff(expected.data(), result.subset_embeddings.ptr() + s * cfg.embed_dim, expected.size()),
              1e-5)
        << "subset " << s;
  }
}

TEST(MaskableInference, FullImageIsTheUnmaskedSequence) {
  const auto model = ClipModel::load(test::model_dir());
  const auto wf = WeightFile::open(test::model_dir() / "open_clip_model.safetensors");
  clip::VisionTower tower(wf, model->config(), MatmulPrecision::FP32);
  Tensor image({1, 3, 240, 240});
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-2.f, 2.f);
  for (auto& v : image.data) v = dist(rng);
  auto expected = masked_reference(wf, model->config(), tower.embed(image).data, std::vector<bool>(226, true));
  auto result = model->encode_images(image);
  EXPECT_LE(test::max_abs_diff(expected.data(), result.image_embeddings.ptr(), expected.size()), 1e-5);
}

// Rows declared copies of others (input_of) share the first block's keys and values: the same result as
// computing them for every row, in both precisions; a copy of a copy is refused.
TEST(MaskableInference, FirstBlockSharedByCopiedRows) {
  const VisionTransformer vision;
  const int64_t w = vision.width;
  // A 12-token "image" and two windows made of its rows.
  SequenceBatch plain, shared;
  for (int64_t len : {12, 3, 5}) {
    plain.add(len);
    shared.add(len);
  }
  const std::vector<int64_t> window_rows = {0, 4, 7, 0, 1, 2, 10, 11};
  shared.input_of.resize(static_cast<size_t>(shared.total_rows()));
  for (int64_t r = 0; r < 12; ++r) shared.input_of[static_cast<size_t>(r)] = r;
  for (size_t i = 0; i < window_rows.size(); ++i) shared.input_of[12 + i] = window_rows[i];
  std::mt19937 rng(8);
  auto input = test::random_normal(static_cast<size_t>(plain.total_rows() * w), rng, 1.0f);
  for (size_t i = 0; i < window_rows.size(); ++i)
    std::copy_n(input.begin() + window_rows[i] * w, w, input.begin() + static_cast<int64_t>(12 + i) * w);
  for (auto precision : {MatmulPrecision::FP32, MatmulPrecision::BF16}) {
    const auto expected = vision.run(precision, plain, input), got = vision.run(precision, shared, input);
    EXPECT_LE(test::max_abs_diff(expected.data(), got.data(), expected.size()), 1e-5) << precision_label(precision);
  }
  shared.input_of[13] = 12;  // row 12 itself copies row 0
  EXPECT_THROW(vision.run(MatmulPrecision::FP32, shared, input), Error);
}

// The last block run only for the rows read out (a full sequence whole, windows by their class token) must
// give those rows what running it for every row gives, in both precisions.
TEST(MaskableInference, LastBlockForRowsReadOutOnly) {
  const VisionTransformer vision;
  const int64_t w = vision.width;
  SequenceBatch every, read_out;
  const std::vector<int64_t> lengths = {226, 5, 10, 5, 10, 226};
  for (int64_t len : lengths) {
    every.add(len);
    read_out.add(len, len == 226 ? len : 1);
  }
  std::mt19937 rng(3);
  const auto input = test::random_normal(static_cast<size_t>(every.total_rows() * w), rng, 1.0f);
  for (auto precision : {MatmulPrecision::FP32, MatmulPrecision::BF16}) {
    const auto full = vision.run(precision, every, input), pruned = vision.run(precision, read_out, input);
    for (size_t s = 0; s < lengths.size(); ++s) {
      const int64_t off = read_out.offsets[s] * w, n = read_out.rows_read(s) * w;
      EXPECT_LE(test::max_abs_diff(full.data() + off, pruned.data() + off, static_cast<size_t>(n)), 1e-5)
          << "sequence " << s << " (" << precision_label(precision) << ")";
    }
  }
}

// Two images in one pass (eval and bank building batch them) give what each gives alone: full image, patch
// tokens and windows, whose first-block rows point into their own image's sequence.
TEST(MaskableInference, ImagesBatchedTogetherMatchEachAlone) {
  const auto model = ClipModel::load(test::model_dir());
  const int64_t s = model->image_size();
  std::mt19937 rng(17);
  std::normal_distribution<float> dist;
  Tensor pair({2, 3, s, s});
  for (auto& v : pair.data) v = dist(rng);
  VisionRequest request;
  request.token_subsets = {{0, 1, 2, 16, 17}, {0, 30, 31, 32, 45, 46, 47, 60, 61, 62}};
  const VisionResult both = model->encode_images(pair, request);
  const size_t per_image = pair.data.size() / 2;
  for (int64_t b = 0; b < 2; ++b) {
    Tensor one({1, 3, s, s});
    std::copy_n(pair.data.begin() + static_cast<int64_t>(per_image) * b, per_image, one.data.begin());
    const VisionResult alone = model->encode_images(one, request);
    const auto check = [&](const Tensor& batched, const Tensor& single, const char* what) {
      const size_t n = single.data.size();
      EXPECT_LE(test::max_abs_diff(batched.ptr() + n * static_cast<size_t>(b), single.ptr(), n), 1e-5)
          << what << " of image " << b;
    };
    check(both.image_embeddings, alone.image_embeddings, "image embedding");
    check(both.patch_tokens, alone.patch_tokens, "patch tokens");
    check(both.subset_embeddings, alone.subset_embeddings, "window embeddings");
  }
}
