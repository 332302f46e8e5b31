#include "clip/text_tower.hpp"

#include <algorithm>

#include "compute/aligned_vector.hpp"
#include "compute/layer_norm.hpp"
#include "winclip/error.hpp"

namespace winclip::clip {

namespace {
// Sequences per transformer pass: bounds the activations (≤ 77 rows each) while keeping matmuls large.
constexpr size_t kTextChunk = 256;
}  // namespace

TextTower::TextTower(const WeightFile& weights, const ModelConfig& config, compute::MatmulOptions matmul)
    : cfg_(config.text), embed_dim_(config.embed_dim) {
  const int64_t w = cfg_.width;
  token_embedding_ = weights.load_f32("token_embedding.weight", {cfg_.vocab_size, w});
  positional_embedding_ = weights.load_f32("positional_embedding", {cfg_.context_length, w});
  ln_final_weight_ = weights.load_f32("ln_final.weight", {w});
  ln_final_bias_ = weights.load_f32("ln_final.bias", {w});
  transformer_ = Transformer(weights, "transformer.", {cfg_.width, cfg_.heads, cfg_.layers, cfg_.mlp_width(),
                                                       config.quick_gelu}, matmul);
  projection_ = load_linear(weights, "text_projection", "", w, embed_dim_, compute::WeightLayout::InOut, matmul);
}

Tensor TextTower::encode(const std::vector<std::vector<int32_t>>& token_ids) const {
  const int64_t w = cfg_.width, n = static_cast<int64_t>(token_ids.size());
  // open_clip pools at argmax(ids): the first end-of-text token, the largest id. With the causal mask that
  // row depends on positions 0..eot only, so later (padding) positions are never computed.
  std::vector<int64_t> pool_at(token_ids.size());
  for (size_t i = 0; i < token_ids.size(); ++i) {
    const auto& ids = token_ids[i];
    if (ids.empty()) throw Error("text tower: text " + std::to_string(i) + " has no tokens");
    if (static_cast<int64_t>(ids.size()) > cfg_.context_length)
      throw Error("text tower: text " + std::to_string(i) + " has " + std::to_string(ids.size()) +
                  " tokens, more than the context length " + std::to_string(cfg_.context_length));
    for (int32_t id : ids)
      if (id < 0 || id >= cfg_.vocab_size)
        throw Error("text tower: token id " + std::to_string(id) + " outside the vocabulary of " +
                    std::to_string(cfg_.vocab_size));
    pool_at[i] = std::max_element(ids.begin(), ids.end()) - ids.begin();
  }

  Tensor out({n, static_cast<int64_t>(embed_dim_)});
  for (size_t start = 0; start < token_ids.size(); start += kTextChunk) {
    const size_t end = std::min(token_ids.size(), start + kTextChunk);
    compute::SequenceBatch batch;
    batch.causal = true;
    for (size_t i = start; i < end; ++i) batch.add(pool_at[i] + 1);
    compute::AlignedVector<float> x(static_cast<size_t>(batch.total_rows() * w));
    for (size_t i = start; i < end; ++i) {
      float* seq = x.data() + batch.offsets[i - start] * w;
      for (int64_t t = 0; t <= pool_at[i]; ++t) {
        const float* tok = token_embedding_.data() + static_cast<int64_t>(token_ids[i][t]) * w;
        const float* pos = positional_embedding_.data() + t * w;
        for (int64_t c = 0; c < w; ++c) seq[t * w + c] = tok[c] + pos[c];
      }
    }
    transformer_.forward(x.data(), batch);
    std::vector<float> pooled(static_cast<size_t>((end - start) * w));
    for (size_t i = start; i < end; ++i)
      compute::layer_norm(x.data() + (batch.offsets[i - start] + pool_at[i]) * w, 1, w, ln_final_weight_.data(),
                          ln_final_bias_.data(), pooled.data() + (i - start) * w);
    projection_.forward(pooled.data(), static_cast<int64_t>(end - start), out.ptr() + start * embed_dim_);
  }
  return out;
}

}  // namespace winclip::clip
