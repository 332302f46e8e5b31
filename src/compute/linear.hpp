#pragma once
// A fully connected layer y = x·W (+ b) run by oneDNN, with the epilogues a pre-norm transformer needs
// fused into the same primitive: GELU after the first MLP layer, and the residual sum after the attention
// output and second MLP layers. Weights are converted once (to bf16 and oneDNN's preferred blocked layout
// when asked), so a forward pass never touches the checkpoint layout again.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace winclip::compute {

enum class MatmulPrecision { FP32, BF16 };

// Which code runs a BF16 layer's products: Auto picks our AMX tile kernel where the CPU has AMX and oneDNN
// elsewhere (which uses AVX512-BF16 where the CPU has it); asking for Amx where the CPU has none is an error.
// A parameter rather than a process-wide switch, so one test run checks every backend the CPU offers.
enum class Bf16Backend { Auto, Amx, OneDnn };

struct MatmulOptions {
  // Implicit from a precision alone: most layers only say that.
  MatmulOptions(MatmulPrecision precision_ = MatmulPrecision::FP32, Bf16Backend bf16_backend_ = Bf16Backend::Auto)
      : precision(precision_), bf16_backend(bf16_backend_) {}
  MatmulPrecision precision;
  Bf16Backend bf16_backend;
};

// Bf16Backend::Auto resolved for this CPU (Amx or OneDnn); throws winclip::Error for Amx without AMX.
Bf16Backend resolve_bf16_backend(Bf16Backend backend);

enum class Epilogue {
  None,
  Gelu,       // exact erf GELU: 0.5·x·(1 + erf(x/√2))
  QuickGelu,  // x·sigmoid(1.702·x), for models trained with it
  AddToDst,   // dst += x·W + b (the residual connection)
};

// How the weight matrix is stored in the checkpoint.
enum class WeightLayout {
  OutIn,  // [N, K], as torch.nn.Linear (y = x·Wᵀ)
  InOut,  // [K, N], as open_clip's `proj` matrices (y = x·W)
};

// How an activation matrix is stored: float32, or bfloat16 for the inputs/outputs of a BF16 layer (so the
// transformer can hand bf16 straight from one layer to the next without a conversion pass).
enum class ActivationType { F32, BF16 };

class Linear {
 public:
  Linear();
  // `weight` is K·N values in `layout`; `bias` is empty or N values.
  Linear(int64_t in_features, int64_t out_features, const std::vector<float>& weight, WeightLayout layout,
         std::vector<float> bias, MatmulOptions options);
  ~Linear();
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;

  int64_t in_features() const { return k_; }
  int64_t out_features() const { return n_; }
  MatmulPrecision precision() const { return precision_; }
  // What runs the products: OneDnn for FP32 layers, Amx or OneDnn for BF16 ones.
  Bf16Backend backend() const;

  // x: [m, K] row-major fp32; y: [m, N] row-major fp32 (read too for AddToDst). A BF16 layer converts x
  // first. Thread-compatible: one forward at a time per Linear.
  void forward(const float* x, int64_t m, float* y, Epilogue epilogue = Epilogue::None) const;

  // The same with explicit storage: x must be in the layer's own type (activation_type()), y may be either.
  void forward(const void* x, int64_t m, void* y, ActivationType y_type, Epilogue epilogue) const;
  ActivationType activation_type() const {
    return precision_ == MatmulPrecision::BF16 ? ActivationType::BF16 : ActivationType::F32;
  }

  // Bytes held for the weights in their final form.
  size_t weight_bytes() const;

 private:
  struct Impl;
  int64_t k_ = 0, n_ = 0;
  MatmulPrecision precision_ = MatmulPrecision::FP32;
  std::unique_ptr<Impl> impl_;
};

// y[m, N] = x[m, K] · W (+ b), plain loops in double: the reference every optimised path is tested against.
void linear_reference(const float* x, int64_t m, int64_t k, int64_t n, const float* weight, WeightLayout layout,
                      const float* bias, float* y, Epilogue epilogue);

}  // namespace winclip::compute
