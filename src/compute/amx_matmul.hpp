#pragma once
// bf16 matrix products on Intel AMX tiles, for the one shape class that dominates WinCLIP: thousands of
// packed window tokens times a transformer weight matrix. 32×32 output blocks stay in four tile registers
// over all of K; weights are packed once into the tiles' pair-interleaved layout; each block's epilogue
// (bias, GELU, residual, bf16 rounding) runs on AVX-512 while the tiles compute the next block. On the
// 2-core Xeon this beats oneDNN 2.6 (Debian 12's) by 5–25 % on every product of a block
// (bench/bench_matmul.cpp). linear_reference (linear.hpp) is its plain reference; Linear uses it for bf16
// where the CPU has AMX and oneDNN elsewhere.
#include <cstdint>

#include "compute/aligned_vector.hpp"
#include "compute/linear.hpp"

namespace winclip::compute {

// True when the CPU has AMX-BF16 and the kernel granted this process the tile state (Linux ≥ 5.16).
bool amx_available();

// Weights [K, N] as the kernel reads them: for each 32-column panel, for each 32-deep step of K, two
// 16-column tiles of 16 rows, row r holding (k, k+1) pairs for k = step·32 + 2r. K and N are padded with
// zeros to multiples of 32.
// (Members are defined out of line on purpose: the kernel's translation unit is compiled for AMX and
// AVX-512, and must not emit inline code that other, baseline, units could end up linked against.)
class AmxWeights {
 public:
  AmxWeights();
  AmxWeights(const float* weight, WeightLayout layout, int64_t k, int64_t n);

  int64_t k() const;
  int64_t n() const;
  int64_t k_steps() const;
  int64_t panels() const;
  const uint16_t* panel(int64_t p) const;  // k_steps()·1024 values
  size_t bytes() const;

 private:
  int64_t k_ = 0, n_ = 0, k_padded_ = 0, n_padded_ = 0;
  AlignedVector<uint16_t> data_;
};

// y[m, N] = epilogue(x[m, K] · W + bias): x bf16 row-major; y float or bf16 (`y_type`); bias null or N
// floats. Throws winclip::Error unless amx_available().
void amx_matmul(const uint16_t* x, int64_t m, const AmxWeights& weights, const float* bias, Epilogue epilogue,
                void* y, ActivationType y_type);

// Loads the kernel's tile layout on the calling thread: eight tiles of 16 rows × 64 bytes (so 16×16 floats
// or 16×32 bf16). For code that drives the tiles itself (bench/bench_amx_ceiling.cpp), after amx_available().
void amx_configure_tiles();

// The kernel itself (amx_kernel.cpp), without the check.
void amx_matmul_tiles(const uint16_t* x, int64_t m, const AmxWeights& weights, const float* bias,
                      Epilogue epilogue, void* y, ActivationType y_type);

}  // namespace winclip::compute
