#include "clip/transformer.hpp"

#include <cstring>
#include <mutex>
#include <string>
#include <type_traits>

#include "compute/aligned_vector.hpp"
#include "compute/attention.hpp"
#include "compute/layer_norm.hpp"
#include "winclip/error.hpp"

namespace winclip::clip {

using compute::Epilogue;
using compute::WeightLayout;

compute::Linear load_linear(const WeightFile& weights, const std::string& weight_name, const std::string& bias_name,
                            int64_t in_features, int64_t out_features, WeightLayout layout,
                            compute::MatmulOptions matmul) {
  const Shape shape = layout == WeightLayout::OutIn ? Shape{out_features, in_features}
                                                    : Shape{in_features, out_features};
  auto w = weights.load_f32(weight_name, shape);
  auto b = bias_name.empty() ? std::vector<float>{} : weights.load_f32(bias_name, {out_features});
  return compute::Linear(in_features, out_features, w, layout, std::move(b), matmul);
}

struct Transformer::Workspace {
  std::mutex mutex;
  compute::AlignedVector<uint16_t> qkv, normed, attended, hidden;  // bf16, or float in twice as many elements
  compute::AlignedVector<float> distinct;                          // first-block inputs, one per distinct row
};

Transformer::Transformer(const WeightFile& weights, const std::string& prefix, const TransformerShape& shape,
                         compute::MatmulOptions matmul)
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
                        matmul);
    b.out_proj = load_linear(weights, p + "attn.out_proj.weight", p + "attn.out_proj.bias", w, w,
                             WeightLayout::OutIn, matmul);
    b.fc = load_linear(weights, p + "mlp.c_fc.weight", p + "mlp.c_fc.bias", w, m, WeightLayout::OutIn, matmul);
    b.proj = load_linear(weights, p + "mlp.c_proj.weight", p + "mlp.c_proj.bias", m, w, WeightLayout::OutIn,
                         matmul);
    blocks_.push_back(std::move(b));
  }
}

namespace {

template <typename T>
T* sized(compute::AlignedVector<uint16_t>& buffer, int64_t count) {
  buffer.resize(static_cast<size_t>(count) * sizeof(T) / sizeof(uint16_t));
  return reinterpret_cast<T*>(buffer.data());
}

// Copies rows `rows` of `full` (`width` values each) into consecutive rows of `packed`, or back (`scatter`).
template <typename T>
void copy_rows(const std::vector<int64_t>& rows, int64_t width, T* packed, T* full, bool scatter) {
  const size_t bytes = static_cast<size_t>(width) * sizeof(T);
  for (size_t i = 0; i < rows.size(); ++i) {
    T* p = packed + static_cast<int64_t>(i) * width;
    T* f = full + rows[i] * width;
    std::memcpy(scatter ? f : p, scatter ? p : f, bytes);
  }
}

// The first block's keys and values are computed once per distinct input: for the rows `distinct` (those
// that copy no other), batch row r then reading qkv row qkv_row[r]. Both stay empty when no row is a copy.
void first_block_rows(const compute::SequenceBatch& batch, std::vector<int64_t>& distinct,
                      std::vector<int64_t>& qkv_row) {
  const size_t rows = static_cast<size_t>(batch.total_rows());
  if (batch.input_of.empty()) return;
  if (batch.input_of.size() != rows)
    throw Error("transformer: input_of has " + std::to_string(batch.input_of.size()) + " rows for a batch of " +
                std::to_string(rows));
  std::vector<int64_t> position(rows, -1);
  for (size_t r = 0; r < rows; ++r)
    if (batch.input_of[r] == static_cast<int64_t>(r)) {
      position[r] = static_cast<int64_t>(distinct.size());
      distinct.push_back(static_cast<int64_t>(r));
    }
  if (distinct.size() == rows) return distinct.clear();
  qkv_row.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    const int64_t source = batch.input_of[r];
    if (source < 0 || source >= static_cast<int64_t>(rows) || position[static_cast<size_t>(source)] < 0)
      throw Error("transformer: row " + std::to_string(r) + " copies row " + std::to_string(source) +
                  ", which is not a distinct row of the batch");
    qkv_row[r] = position[static_cast<size_t>(source)];
  }
}

// Runs the blocks with activations stored as T (float, or bf16 bits for BF16 layers): layer norms,
// attention and the GELU matmul write T directly, so no separate conversion pass is ever made; the residual
// stream x stays float32. Rows that copy another's input share its first-block keys and values; when the
// batch reads out only some rows, the last block computes keys and values for every row but the rest of its
// work only for those rows, packed together.
template <typename T>
void run_blocks(float* x, const compute::SequenceBatch& batch, const TransformerShape& shape,
                const std::vector<Transformer::Block>& blocks, Transformer::Workspace& ws) {
  const int64_t rows = batch.total_rows(), w = shape.width;
  const auto type = std::is_same_v<T, float> ? compute::ActivationType::F32 : compute::ActivationType::BF16;
  T* normed = sized<T>(ws.normed, rows * w);
  T* attended = sized<T>(ws.attended, rows * w);
  T* hidden = sized<T>(ws.hidden, rows * shape.mlp_width);
  T* qkv = sized<T>(ws.qkv, rows * 3 * w);
  const Epilogue activation = shape.quick_gelu ? Epilogue::QuickGelu : Epilogue::Gelu;
  compute::SequenceBatch every_row = batch;
  every_row.read_out.clear();
  every_row.input_of.clear();
  std::vector<int64_t> kept;
  if (!batch.reads_every_row())
    for (size_t s = 0; s < batch.size(); ++s)
      for (int64_t i = 0; i < batch.rows_read(s); ++i) kept.push_back(batch.offsets[s] + i);
  std::vector<int64_t> distinct, qkv_row;
  first_block_rows(batch, distinct, qkv_row);
  for (size_t l = 0; l < blocks.size(); ++l) {
    const auto& b = blocks[l];
    const bool pruned = l + 1 == blocks.size() && !kept.empty();
    const compute::SequenceBatch& attending = pruned ? batch : every_row;
    if (l == 0 && !qkv_row.empty()) {
      const int64_t n = static_cast<int64_t>(distinct.size());
      ws.distinct.resize(static_cast<size_t>(n * w));
      copy_rows(distinct, w, ws.distinct.data(), x, false);
      compute::layer_norm(ws.distinct.data(), n, w, b.ln1_weight.data(), b.ln1_bias.data(), normed);
      b.qkv.forward(normed, n, qkv, type, Epilogue::None);
      compute::multi_head_attention(qkv, w, shape.heads, attending, attended, qkv_row.data());
    } else {
      compute::layer_norm(x, rows, w, b.ln1_weight.data(), b.ln1_bias.data(), normed);
      b.qkv.forward(normed, rows, qkv, type, Epilogue::None);
      compute::multi_head_attention(qkv, w, shape.heads, attending, attended);
    }
    if (!pruned) {
      b.out_proj.forward(attended, rows, x, compute::ActivationType::F32, Epilogue::AddToDst);
      compute::layer_norm(x, rows, w, b.ln2_weight.data(), b.ln2_bias.data(), normed);
      b.fc.forward(normed, rows, hidden, type, activation);
      b.proj.forward(hidden, rows, x, compute::ActivationType::F32, Epilogue::AddToDst);
      continue;
    }
    // The rows read out, packed: attention outputs into `normed`, residual stream (float) into the qkv
    // buffer (both free now; the qkv buffer holds at least 3·rows·w bf16 values, so n·w floats fit).
    const int64_t n = static_cast<int64_t>(kept.size());
    float* residual = reinterpret_cast<float*>(ws.qkv.data());
    copy_rows(kept, w, normed, attended, false);
    copy_rows(kept, w, residual, x, false);
    b.out_proj.forward(normed, n, residual, compute::ActivationType::F32, Epilogue::AddToDst);
    compute::layer_norm(residual, n, w, b.ln2_weight.data(), b.ln2_bias.data(), attended);
    b.fc.forward(attended, n, hidden, type, activation);
    b.proj.forward(hidden, n, residual, compute::ActivationType::F32, Epilogue::AddToDst);
    copy_rows(kept, w, residual, x, true);
  }
}

}  // namespace

void Transformer::forward(float* x, const compute::SequenceBatch& batch) const {
  if (batch.total_rows() == 0 || blocks_.empty()) return;
  Workspace& ws = *workspace_;
  std::lock_guard<std::mutex> lock(ws.mutex);
  if (blocks_.front().qkv.activation_type() == compute::ActivationType::BF16)
    run_blocks<uint16_t>(x, batch, shape_, blocks_, ws);
  else
    run_blocks<float>(x, batch, shape_, blocks_, ws);
}

size_t Transformer::weight_bytes() const {
  size_t total = 0;
  for (const Block& b : blocks_)
    total += b.qkv.weight_bytes() + b.out_proj.weight_bytes() + b.fc.weight_bytes() + b.proj.weight_bytes() +
             4 * b.ln1_weight.size() * sizeof(float);
  return total;
}

}  // namespace winclip::clip
