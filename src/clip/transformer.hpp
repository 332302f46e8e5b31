#pragma once
// The pre-norm residual transformer shared by both CLIP towers, run over a packed batch of sequences.
#include <memory>
#include <string>
#include <vector>

#include "compute/linear.hpp"
#include "compute/sequence_batch.hpp"
#include "checkpoint/checkpoint.hpp"

namespace winclip::clip {

struct TransformerShape {
  int width = 0;
  int heads = 0;
  int layers = 0;
  int mlp_width = 0;
  bool quick_gelu = false;
};

class Transformer {
 public:
  Transformer() = default;
  // Reads `<prefix>resblocks.{i}.*` from `weights`.
  Transformer(const WeightFile& weights, const std::string& prefix, const TransformerShape& shape,
              compute::MatmulOptions matmul);

  // x: [batch.total_rows(), width], updated in place by every block; cache-line aligned for full speed.
  // Rows the batch does not read out (batch.read_out) skip the last block's work past its attention and are
  // left as the block before it left them. Calls are serialised: they share one set of activation buffers.
  void forward(float* x, const compute::SequenceBatch& batch) const;

  const TransformerShape& shape() const { return shape_; }
  size_t weight_bytes() const;

  struct Block {
    std::vector<float> ln1_weight, ln1_bias, ln2_weight, ln2_bias;
    compute::Linear qkv, out_proj, fc, proj;
  };
  struct Workspace;  // activation buffers (transformer.cpp)

 private:

  TransformerShape shape_;
  std::vector<Block> blocks_;
  // Activation buffers kept from one call to the next: allocating (and page-faulting) ~70 MB per image
  // costs more than the layer norms.
  std::shared_ptr<Workspace> workspace_;
};

// y = x·W (+b) helpers for loading single linear layers by name.
compute::Linear load_linear(const WeightFile& weights, const std::string& weight_name, const std::string& bias_name,
                            int64_t in_features, int64_t out_features, compute::WeightLayout layout,
                            compute::MatmulOptions matmul);

}  // namespace winclip::clip
