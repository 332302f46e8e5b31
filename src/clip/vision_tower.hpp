#pragma once
// The ViT image encoder. Embedding (patch projection, class token, positions) is separate from the
// transformer so that windows can be cut from the embedded tokens and run as their own sequences.
#include "clip/transformer.hpp"
#include "winclip/model.hpp"

namespace winclip::clip {

class VisionTower {
 public:
  VisionTower(const WeightFile& weights, const ModelConfig& config, compute::MatmulOptions matmul);

  // images [N, 3, S, S] → embedded tokens [N, 1+P, W] (before ln_pre).
  Tensor embed(const Tensor& images) const;
  VisionResult encode(const Tensor& images, const VisionRequest& request) const;

 private:
  VisionConfig cfg_;
  int embed_dim_ = 0;
  compute::Linear patch_embed_;  // conv1 as a [3·p·p → W] matrix over flattened patches
  std::vector<float> class_embedding_, positional_embedding_;
  std::vector<float> ln_pre_weight_, ln_pre_bias_, ln_post_weight_, ln_post_bias_;
  Transformer transformer_;
  compute::Linear proj_;
};

}  // namespace winclip::clip
