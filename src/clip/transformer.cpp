#include "clip/transformer.hpp"

#include "compute/attention.hpp"
#include "compute/layer_norm.hpp"

namespace winclip::clip {

using compute::Epilogue;
using compute::WeightLayout;

compute::Linear load_linear(const WeightFile& weights, const std::string& weight_name, const std::string& bias_name,
                            int64_t in_features, int64_t out_features, WeightLayout layout,
                            compute::MatmulPrecision precision) {
  const Shape shape = layout == WeightLayout::OutIn ? Shape{out_features, in_features}
                                                    : Shape{in_features, out_features};
  auto w = weights.load_f32(weight_name, shape);
  auto b = bias_name.empty() ? std::vector<float>{} : weights.load_f32(bias_name, {out_features});
  return compute::Linear(in_features, out_features, w, layout, std::move(b), precision);
}

Transformer::Transformer(const WeightFile& weights, const std::string& prefix, const TransformerShape& shape,
                         compute::MatmulPrecision precision)
    : shape_(shape) {
  const int64_t w = shape.width, m = shape.mlp_width;
  for (int i = 0; i < shape.layers; ++i) {
    const std::string p = prefix + "resblocks." + std::to_string(i) + ".";
    Block b;
    b.ln1_weight = weights.load_f32(p + "ln_1.weight", {w});
    b.ln1_bias = weights.load_f32(p + "ln_1.bias", {w});
    b.ln2_weight = weights.load_f32(p + "ln_2.weight", {w});
    b.ln2_bias = weights.load_f32(p + "ln_2.bias", {w});
    b.qkv = load_linear(weights, p + "attn.in_proj_weight", p + "attn.in_proj_bias", w, 3 * w, WeightLayout::OutIn,
                        precision);
    b.out_proj = load_linear(weights, p + "attn.out_proj.weight", p + "attn.out_proj.bias", w, w,
                             WeightLayout::OutIn, precision);
    b.fc = load_linear(weights, p + "mlp.c_fc.weight", p + "mlp.c_fc.bias", w, m, WeightLayout::OutIn, precision);
    b.proj = load_linear(weights, p + "mlp.c_proj.weight", p + "mlp.c_proj.bias", m, w, WeightLayout::OutIn,
                         precision);
    blocks_.push_back(std::move(b));
  }
}

void Transformer::forward(float* x, const compute::SequenceBatch& batch) const {
  const int64_t rows = batch.total_rows(), w = shape_.width;
  if (rows == 0) return;
  // One set of scratch buffers for all blocks; nothing is allocated per sequence.
  std::vector<float> normed(static_cast<size_t>(rows * w)), qkv(static_cast<size_t>(rows * 3 * w)),
      attended(static_cast<size_t>(rows * w)), hidden(static_cast<size_t>(rows * shape_.mlp_width));
  const Epilogue activation = shape_.quick_gelu ? Epilogue::QuickGelu : Epilogue::Gelu;
  for (const Block& b : blocks_) {
    compute::layer_norm(x, rows, w, b.ln1_weight.data(), b.ln1_bias.data(), normed.data());
    b.qkv.forward(normed.data(), rows, qkv.data());
    compute::multi_head_attention(qkv.data(), w, shape_.heads, batch, attended.data());
    b.out_proj.forward(attended.data(), rows, x, Epilogue::AddToDst);
    compute::layer_norm(x, rows, w, b.ln2_weight.data(), b.ln2_bias.data(), normed.data());
    b.fc.forward(normed.data(), rows, hidden.data(), activation);
    b.proj.forward(hidden.data(), rows, x, Epilogue::AddToDst);
  }
}

size_t Transformer::weight_bytes() const {
  size_t total = 0;
  for (const Block& b : blocks_)
    total += b.qkv.weight_bytes() + b.out_proj.weight_bytes() + b.fc.weight_bytes() + b.proj.weight_bytes() +
             4 * b.ln1_weight.size() * sizeof(float);
  return total;
}

}  // namespace winclip::clip
