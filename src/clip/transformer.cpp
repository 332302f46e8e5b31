#include "clip/transformer.hpp"

#include <type_traits>

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

namespace {

// Runs the blocks with activations stored as T (float, or bf16 bits for BF16 layers): layer norms,
// attention and the GELU matmul write T directly, so no separate conversion pass is ever made; the residual
// stream x stays float32.
template <typename T>
void run_blocks(float* x, const compute::SequenceBatch& batch, const TransformerShape& shape,
                const std::vector<Transformer::Block>& blocks) {
  const int64_t rows = batch.total_rows(), w = shape.width;
  const auto type = std::is_same_v<T, float> ? compute::ActivationType::F32 : compute::ActivationType::BF16;
  std::vector<T> normed(static_cast<size_t>(rows * w)), attended(normed.size()),
      hidden(static_cast<size_t>(rows * shape.mlp_width));
  std::vector<float> qkv(static_cast<size_t>(rows * 3 * w));
  const Epilogue activation = shape.quick_gelu ? Epilogue::QuickGelu : Epilogue::Gelu;
  for (const auto& b : blocks) {
    compute::layer_norm(x, rows, w, b.ln1_weight.data(), b.ln1_bias.data(), normed.data());
    b.qkv.forward(normed.data(), rows, qkv.data(), compute::ActivationType::F32, Epilogue::None);
    compute::multi_head_attention(qkv.data(), w, shape.heads, batch, attended.data());
    b.out_proj.forward(attended.data(), rows, x, compute::ActivationType::F32, Epilogue::AddToDst);
    compute::layer_norm(x, rows, w, b.ln2_weight.data(), b.ln2_bias.data(), normed.data());
    b.fc.forward(normed.data(), rows, hidden.data(), type, activation);
    b.proj.forward(hidden.data(), rows, x, compute::ActivationType::F32, Epilogue::AddToDst);
  }
}

}  // namespace

void Transformer::forward(float* x, const compute::SequenceBatch& batch) const {
  if (batch.total_rows() == 0 || blocks_.empty()) return;
  if (blocks_.front().qkv.activation_type() == compute::ActivationType::BF16)
    run_blocks<uint16_t>(x, batch, shape_, blocks_);
  else
    run_blocks<float>(x, batch, shape_, blocks_);
}

size_t Transformer::weight_bytes() const {
  size_t total = 0;
  for (const Block& b : blocks_)
    total += b.qkv.weight_bytes() + b.out_proj.weight_bytes() + b.fc.weight_bytes() + b.proj.weight_bytes() +
             4 * b.ln1_weight.size() * sizeof(float);
  return total;
}

}  // namespace winclip::clip
