#pragma once
// The CLIP text encoder: causal transformer, pooled at the end-of-text token, projected.
#include "clip/transformer.hpp"
#include "winclip/model.hpp"

namespace winclip::clip {

class TextTower {
 public:
  TextTower(const WeightFile& weights, const ModelConfig& config, compute::MatmulOptions matmul);
  Tensor encode(const std::vector<std::vector<int32_t>>& token_ids) const;  // [N, E]

 private:
  TextConfig cfg_;
  int embed_dim_ = 0;
  std::vector<float> token_embedding_, positional_embedding_, ln_final_weight_, ln_final_bias_;
  Transformer transformer_;
  compute::Linear projection_;
};

}  // namespace winclip::clip
