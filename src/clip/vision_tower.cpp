#include "clip/vision_tower.hpp"

#include <algorithm>
#include <cstring>

#include "compute/aligned_vector.hpp"
#include "compute/layer_norm.hpp"
#include "winclip/error.hpp"

namespace winclip::clip {

using compute::WeightLayout;

VisionTower::VisionTower(const WeightFile& weights, const ModelConfig& config, compute::MatmulOptions matmul)
    : cfg_(config.vision), embed_dim_(config.embed_dim) {
  const int64_t w = cfg_.width, ps = cfg_.patch_size, tokens = 1 + cfg_.grid() * cfg_.grid();
  // conv1.weight [W, 3, p, p] is exactly a [W, 3·p·p] matrix over patches flattened in (channel, row, col)
  // order, so the stride-p convolution is one matrix product.
  patch_embed_ = compute::Linear(3 * ps * ps, w, weights.load_f32("visual.conv1.weight", {w, 3, ps, ps}),
                                 WeightLayout::OutIn, {}, matmul);
  class_embedding_ = weights.load_f32("visual.class_embedding", {w});
  positional_embedding_ = weights.load_f32("visual.positional_embedding", {tokens, w});
  ln_pre_weight_ = weights.load_f32("visual.ln_pre.weight", {w});
  ln_pre_bias_ = weights.load_f32("visual.ln_pre.bias", {w});
  ln_post_weight_ = weights.load_f32("visual.ln_post.weight", {w});
  ln_post_bias_ = weights.load_f32("visual.ln_post.bias", {w});
  transformer_ = Transformer(weights, "visual.transformer.",
                             {cfg_.width, cfg_.heads(), cfg_.layers, cfg_.mlp_width(), config.quick_gelu}, matmul);
  proj_ = load_linear(weights, "visual.proj", "", w, embed_dim_, WeightLayout::InOut, matmul);
}

Tensor VisionTower::embed(const Tensor& images) const {
  const int64_t s = cfg_.image_size, ps = cfg_.patch_size, g = cfg_.grid(), w = cfg_.width;
  if (images.shape.size() != 4 || images.shape[1] != 3 || images.shape[2] != s || images.shape[3] != s)
    throw Error("vision tower: images have shape " + shape_string(images.shape) + ", expected [N, 3, " +
                std::to_string(s) + ", " + std::to_string(s) + "]");
  const int64_t n = images.shape[0], patches = g * g, k = 3 * ps * ps;
  compute::AlignedVector<float> columns(static_cast<size_t>(n * patches * k));
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t p = 0; p < patches; ++p) {
      const int64_t r = p / g, c = p % g;
      float* dst = columns.data() + (b * patches + p) * k;
      for (int64_t ch = 0; ch < 3; ++ch)
        for (int64_t kh = 0; kh < ps; ++kh)
          std::memcpy(dst + (ch * ps + kh) * ps, images.ptr() + ((b * 3 + ch) * s + r * ps + kh) * s + c * ps,
                      static_cast<size_t>(ps) * sizeof(float));
    }
  }
  compute::AlignedVector<float> patch_features(static_cast<size_t>(n * patches * w));
  patch_embed_.forward(columns.data(), n * patches, patch_features.data());

  Tensor out({n, 1 + patches, w});
  for (int64_t b = 0; b < n; ++b) {
    float* seq = out.ptr() + b * (1 + patches) * w;
    for (int64_t i = 0; i < w; ++i) seq[i] = class_embedding_[i] + positional_embedding_[i];
    for (int64_t p = 0; p < patches; ++p)
      for (int64_t i = 0; i < w; ++i)
        seq[(1 + p) * w + i] = patch_features[(b * patches + p) * w + i] + positional_embedding_[(1 + p) * w + i];
  }
  return out;
}

VisionResult VisionTower::encode(const Tensor& images, const VisionRequest& request) const {
  Tensor embedded = embed(images);
  const int64_t n = embedded.shape[0], tokens = embedded.shape[1], w = cfg_.width;
  const int64_t subsets = static_cast<int64_t>(request.token_subsets.size());
  for (const auto& subset : request.token_subsets) {
    if (subset.empty()) throw Error("vision tower: empty token subset");
    for (int t : subset)
      if (t < 0 || t >= tokens)
        throw Error("vision tower: token index " + std::to_string(t) + " outside [0, " + std::to_string(tokens) + ")");
  }

  // Pack every sequence of every image (full image first, then the subsets) into one matrix.
  compute::SequenceBatch batch;
  for (int64_t b = 0; b < n; ++b) {
    if (request.full_image) batch.add(tokens);
    // A subset is read out by its class token alone.
    for (const auto& subset : request.token_subsets) batch.add(static_cast<int64_t>(subset.size()), 1);
  }
  // ln_pre works token by token, so it runs once per embedded token, before the subsets copy them.
  compute::layer_norm(embedded.ptr(), n * tokens, w, ln_pre_weight_.data(), ln_pre_bias_.data(), embedded.ptr());
  // With the full sequence in the batch, subset rows are copies of its rows (input_of): the transformer's
  // first block shares their keys and values.
  if (request.full_image) batch.input_of.resize(static_cast<size_t>(batch.total_rows()));
  compute::AlignedVector<float> x(static_cast<size_t>(batch.total_rows() * w));
  size_t seq = 0;
  for (int64_t b = 0; b < n; ++b) {
    const float* src = embedded.ptr() + b * tokens * w;
    const int64_t full = request.full_image ? batch.offsets[seq++] : 0;
    if (request.full_image) {
      std::memcpy(x.data() + full * w, src, static_cast<size_t>(tokens * w) * sizeof(float));
      for (int64_t t = 0; t < tokens; ++t) batch.input_of[static_cast<size_t>(full + t)] = full + t;
    }
    for (const auto& subset : request.token_subsets) {
      const int64_t off = batch.offsets[seq++];
      for (size_t i = 0; i < subset.size(); ++i) {
        std::memcpy(x.data() + (off + static_cast<int64_t>(i)) * w, src + subset[i] * w,
                    static_cast<size_t>(w) * sizeof(float));
        if (request.full_image) batch.input_of[static_cast<size_t>(off) + i] = full + subset[i];
      }
    }
  }
  transformer_.forward(x.data(), batch);

  // ln_post on what is read out: every token of full sequences, the first token of subsets.
  const int64_t per_image = (request.full_image ? 1 : 0) + subsets;
  std::vector<float> pooled(static_cast<size_t>(n * per_image * w));
  VisionResult result;
  if (request.full_image) result.patch_tokens = Tensor({n, tokens - 1, w});
  seq = 0;
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t j = 0; j < per_image; ++j, ++seq) {
      float* row = x.data() + batch.offsets[seq] * w;
      const bool full = request.full_image && j == 0;
      compute::layer_norm(row, full ? tokens : 1, w, ln_post_weight_.data(), ln_post_bias_.data(), row);
      std::memcpy(pooled.data() + (b * per_image + j) * w, row, static_cast<size_t>(w) * sizeof(float));
      if (full)
        std::memcpy(result.patch_tokens.ptr() + b * (tokens - 1) * w, row + w,
                    static_cast<size_t>((tokens - 1) * w) * sizeof(float));
    }
  }
  std::vector<float> projected(static_cast<size_t>(n * per_image * embed_dim_));
  proj_.forward(pooled.data(), n * per_image, projected.data());

  const int64_t e = embed_dim_;
  if (request.full_image) result.image_embeddings = Tensor({n, e});
  result.subset_embeddings = Tensor({n, subsets, e});
  for (int64_t b = 0; b < n; ++b) {
    const float* src = projected.data() + b * per_image * e;
    if (request.full_image) {
      std::copy(src, src + e, result.image_embeddings.ptr() + b * e);
      src += e;
    }
    std::copy(src, src + subsets * e, result.subset_embeddings.ptr() + b * subsets * e);
  }
  return result;
}

}  // namespace winclip::clip
