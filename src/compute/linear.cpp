#include "compute/linear.hpp"

#include <cmath>
#include <string>
#include <tuple>

#include "compute/aligned_vector.hpp"
#include "compute/amx_matmul.hpp"
#include "compute/bf16.hpp"
#include "compute/engine.hpp"
#include "winclip/error.hpp"

namespace winclip::compute {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

// Rows used to pick the weight layout once: large enough that oneDNN chooses its GEMM-friendly blocking.
constexpr int64_t kLayoutProbeRows = 1024;

dnnl::primitive_attr make_attr(Epilogue epilogue) {
  dnnl::post_ops ops;
  switch (epilogue) {
    case Epilogue::None: break;
    case Epilogue::Gelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f); break;
    case Epilogue::QuickGelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_swish, 1.702f, 0.f); break;
    case Epilogue::AddToDst: ops.append_sum(1.f); break;
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  return attr;
}

}  // namespace

struct Linear::Impl {
  dt weight_type = dt::f32;
  // bf16 on a CPU with AMX: our tile kernel, whose weights replace oneDNN's (one copy kept, never both).
  bool amx = false;
  AmxWeights amx_weights;
  std::vector<float> bias_values;
  memory::desc weight_desc;  // final (possibly blocked) layout chosen by oneDNN
  memory weights;
  memory bias;
  bool has_bias = false;
  std::map<std::tuple<int64_t, Epilogue, dt>, dnnl::matmul> primitives;
  std::mutex mutex;

  dnnl::matmul::primitive_desc describe(int64_t m, int64_t k, int64_t n, const memory::desc& wdesc,
                                        Epilogue epilogue, dt dst_type = dt::f32) const {
    memory::desc src({m, k}, weight_type, tag::ab);
    memory::desc dst({m, n}, dst_type, tag::ab);
    auto attr = make_attr(epilogue);
    if (has_bias) {
      memory::desc bdesc({1, n}, dt::f32, tag::ab);
      return {dnnl::matmul::desc(src, wdesc, bdesc, dst), attr, cpu_engine()};
    }
    return {dnnl::matmul::desc(src, wdesc, dst), attr, cpu_engine()};
  }
};

Linear::Linear(int64_t in_features, int64_t out_features, const std::vector<float>& weight, WeightLayout layout,
               std::vector<float> bias, MatmulOptions options)
    : k_(in_features), n_(out_features), precision_(options.precision), impl_(std::make_unique<Impl>()) {
  const MatmulPrecision precision = options.precision;
  if (static_cast<int64_t>(weight.size()) != k_ * n_)
    throw Error("Linear: weight has " + std::to_string(weight.size()) + " values, expected " +
                std::to_string(k_ * n_));
  if (!bias.empty() && static_cast<int64_t>(bias.size()) != n_)
    throw Error("Linear: bias has " + std::to_string(bias.size()) + " values, expected " + std::to_string(n_));
  auto& impl = *impl_;
  impl.weight_type = precision == MatmulPrecision::BF16 ? dt::bf16 : dt::f32;
  impl.has_bias = !bias.empty();
  if (precision == MatmulPrecision::BF16 && resolve_bf16_backend(options.bf16_backend) == Bf16Backend::Amx) {
    impl.amx = true;
    impl.amx_weights = AmxWeights(weight.data(), layout, k_, n_);
    impl.bias_values = std::move(bias);
    return;
  }

  // Let oneDNN pick the layout it computes fastest with, then convert the checkpoint layout into it once.
  memory::desc any({k_, n_}, impl.weight_type, tag::any);
  impl.weight_desc = impl.describe(kLayoutProbeRows, k_, n_, any, Epilogue::None).weights_desc();
  memory plain({{k_, n_}, dt::f32, layout == WeightLayout::OutIn ? tag::ba : tag::ab}, cpu_engine(),
               const_cast<float*>(weight.data()));
  impl.weights = memory(impl.weight_desc, cpu_engine());
  dnnl::reorder(plain, impl.weights).execute(cpu_stream(), plain, impl.weights);
  if (impl.has_bias) {
    impl.bias = memory({{1, n_}, dt::f32, tag::ab}, cpu_engine());
    std::copy(bias.begin(), bias.end(), static_cast<float*>(impl.bias.get_data_handle()));
  }
  cpu_stream().wait();
}

Linear::Linear() = default;
Linear::~Linear() = default;
Linear::Linear(Linear&&) noexcept = default;
Linear& Linear::operator=(Linear&&) noexcept = default;

Bf16Backend Linear::backend() const { return impl_ && impl_->amx ? Bf16Backend::Amx : Bf16Backend::OneDnn; }

Bf16Backend resolve_bf16_backend(Bf16Backend backend) {
  if (backend == Bf16Backend::Auto) return amx_available() ? Bf16Backend::Amx : Bf16Backend::OneDnn;
  if (backend == Bf16Backend::Amx && !amx_available())
    throw Error("bf16 matmul backend 'amx': this CPU or kernel offers no AMX tiles (use 'onednn' or 'auto')");
  return backend;
}

size_t Linear::weight_bytes() const {
  if (!impl_) return 0;
  return impl_->amx ? impl_->amx_weights.bytes() : impl_->weight_desc.get_size();
}

void Linear::forward(const float* x, int64_t m, float* y, Epilogue epilogue) const {
  if (impl_->weight_type == dt::f32) return forward(x, m, y, ActivationType::F32, epilogue);
  AlignedVector<uint16_t> converted(static_cast<size_t>(m * k_));
  convert_to_bf16(x, converted.data(), m * k_);
  forward(converted.data(), m, y, ActivationType::F32, epilogue);
}

void Linear::forward(const void* x, int64_t m, void* y, ActivationType y_type, Epilogue epilogue) const {
  if (m == 0) return;
  auto& impl = *impl_;
  if (impl.amx)
    return amx_matmul(static_cast<const uint16_t*>(x), m, impl.amx_weights,
                      impl.has_bias ? impl.bias_values.data() : nullptr, epilogue, y, y_type);
  const dt dst_type = y_type == ActivationType::BF16 ? dt::bf16 : dt::f32;
  std::lock_guard<std::mutex> lock(impl.mutex);
  auto key = std::make_tuple(m, epilogue, dst_type);
  auto it = impl.primitives.find(key);
  if (it == impl.primitives.end())
    it = impl.primitives
             .emplace(key, dnnl::matmul(impl.describe(m, k_, n_, impl.weight_desc, epilogue, dst_type)))
             .first;
  memory src({{m, k_}, impl.weight_type, tag::ab}, cpu_engine(), const_cast<void*>(x));
  memory dst({{m, n_}, dst_type, tag::ab}, cpu_engine(), y);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, impl.weights}, {DNNL_ARG_DST, dst}};
  if (impl.has_bias) args.emplace(DNNL_ARG_BIAS, impl.bias);
  it->second.execute(cpu_stream(), args);
  cpu_stream().wait();
}

void linear_reference(const float* x, int64_t m, int64_t k, int64_t n, const float* weight, WeightLayout layout,
                      const float* bias, float* y, Epilogue epilogue) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = bias ? bias[j] : 0.0;
      for (int64_t t = 0; t < k; ++t) {
        const double w = layout == WeightLayout::OutIn ? weight[j * k + t] : weight[t * n + j];
        acc += static_cast<double>(x[i * k + t]) * w;
      }
      switch (epilogue) {
        case Epilogue::None: break;
        case Epilogue::Gelu: acc = 0.5 * acc * (1.0 + std::erf(acc / std::sqrt(2.0))); break;
        case Epilogue::QuickGelu: acc = acc / (1.0 + std::exp(-1.702 * acc)); break;
        case Epilogue::AddToDst: acc += y[i * n + j]; break;
      }
      y[i * n + j] = static_cast<float>(acc);
    }
  }
}

}  // namespace winclip::compute
