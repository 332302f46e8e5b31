#include "clip/transformer.hpp"

#include <mutex>
#include <type_traits>

#include "compute/aligned_vector.hpp"
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

struct Transformer::Workspace {
  std::mutex mutex;
  compute::AlignedVector<float> qkv;
  compute::AlignedVector<uint16_t> normed, attended, hidden;  // bf16, or float in twice as many elements
};

Transformer::Transformer(const WeightFile& weights, const std::string& prefix, const TransformerShape& shape,
                         compute::MatmulPrecision precision)
    : shape_(shape), workspace_(std::make_shared<Workspace>()) {
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
T* sized(compute::AlignedVector<uint16_t>& buffer, int64_t count) {
  buffer.resize(static_cast<size_t>(count) * sizeof(T) / sizeof(uint16_t));
  return reinterpret_cast<T*>(buffer.data());
}

// Runs the blocks with activations stored as T (float, or bf16 bits for BF16 layers): layer norms,
// attention and the GELU matmul write T directly, so no separate conversion pass is ever made; the residual
// stream x stays float32.
template <typename T>
void run_blocks(float* x, const compute::SequenceBatch& batch, const TransformerShape& shape,
                const std::vector<Transformer::Block>& blocks, compute::AlignedVector<float>& qkv_buffer,
                compute::AlignedVector<uint16_t>& normed_buffer, compute::AlignedVector<uint16_t>& attended_buffer,
                compute::AlignedVector<uint16_t>& hidden_buffer) {
  const int64_t rows = batch.total_rows(), w = shape.width;
  const auto type = std::is_same_v<T, float> ? compute::ActivationType::F32 : compute::ActivationType::BF16;
  T* normed = sized<T>(normed_buffer, rows * w);
  T* attended = sized<T>(attended_buffer, rows * w);
  T* hidden = sized<T>(hidden_buffer, rows * shape.mlp_width);
  qkv_buffer.resize(static_cast<size_t>(rows * 3 * w));
  float* qkv = qkv_buffer.data();
  const Epilogue activation = shape.quick_gelu ? Epilogue::QuickGelu : Epilogue::Gelu;
  for (const auto& b : blocks) {
    compute::layer_norm(x, rows, w, b.ln1_weight.data(), b.ln1_bias.data(), normed);
    b.qkv.forward(normed, rows, qkv, compute::ActivationType::F32, Epilogue::None);
    compute::multi_head_attention(qkv, w, shape.heads, batch, attended);
    b.out_proj.forward(attended, rows, x, compute::ActivationType::F32, Epilogue::AddToDst);
    compute::layer_norm(x, rows, w, b.ln2_weight.data(), b.ln2_bias.data(), normed);
    b.fc.forward(normed, rows, hidden, type, activation);
    b.proj.forward(hidden, rows, x, compute::ActivationType::F32, Epilogue::AddToDst);
  }
}

}  // namespace

void Transformer::forward(float* x, const compute::SequenceBatch& batch) const {
  if (batch.total_rows() == 0 || blocks_.empty()) return;
  Workspace& ws = *workspace_;
  std::lock_guard<std::mutex> lock(ws.mutex);
  if (blocks_.front().qkv.activation_type() == compute::ActivationType::BF16)
    run_blocks<uint16_t>(x, batch, shape_, blocks_, ws.qkv, ws.normed, ws.attended, ws.hidden);
  else
    run_blocks<float>(x, batch, shape_, blocks_, ws.qkv, ws.normed, ws.attended, ws.hidden);
}

size_t Transformer::weight_bytes() const {
  size_t total = 0;
  for (const Block& b : blocks_)
    total += b.qkv.weight_bytes() + b.out_proj.weight_bytes() + b.fc.weight_bytes() + b.proj.weight_bytes() +
             4 * b.ln1_weight.size() * sizeof(float);
  return total;
}

}  // namespace winclip::clip
