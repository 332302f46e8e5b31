// The AMX half of amx_matmul.hpp, compiled with -mamx-tile -mamx-bf16 -mavx512* (CMakeLists.txt) and run
// only when amx_available(). No standard-library templates are instantiated here: an inline function
// emitted from this unit could be the copy the linker keeps for the whole program.
#include <immintrin.h>
#include <omp.h>

#include <cstdlib>
#include <cstring>

#include "compute/amx_matmul.hpp"
#include "compute/simd.hpp"

namespace winclip::compute {

namespace {

typedef float f32x16 __attribute__((vector_size(64)));
typedef int32_t i32x16 __attribute__((vector_size(64)));

constexpr int64_t kBlock = 32;              // output block: 2×2 tiles of 16×16 floats
constexpr int64_t kChunkBytes = 1 << 20;    // rows of x one work item keeps hot in L2 across its panels
constexpr int64_t kPieceSteps = 14;         // K slice whose weights (28 KiB) stay in L1

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};

void configure_tiles() {
  TileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.rows[t] = 16;
    config.bytes_per_row[t] = 64;
  }
  _tile_loadconfig(&config);
}

// acc[32][32] (+)= a · panel over `k_steps` 32-deep steps of K, a being one row block of x packed by
// pack_chunk: tiles 0–3 accumulate, 4–5 hold x's two row halves, 6–7 the panel's two column halves.
// `first` starts from zero, else from acc.
void block_product(const uint16_t* a, const uint16_t* panel, int64_t k_steps, bool first, float* acc) {
  constexpr int64_t acc_stride = kBlock * sizeof(float);
  if (first) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  } else {
    _tile_loadd(0, acc, acc_stride);
    _tile_loadd(1, acc + 16, acc_stride);
    _tile_loadd(2, acc + 16 * kBlock, acc_stride);
    _tile_loadd(3, acc + 16 * kBlock + 16, acc_stride);
  }
  for (int64_t s = 0; s < k_steps; ++s) {
    // Each load placed just before its first use, so loads overlap the products already issued.
    _tile_loadd(4, a + s * 1024, 64);
    _tile_loadd(6, panel + s * 1024, 64);
    _tile_dpbf16ps(0, 4, 6);
    _tile_loadd(7, panel + s * 1024 + 512, 64);
    _tile_dpbf16ps(1, 4, 7);
    _tile_loadd(5, a + s * 1024 + 512, 64);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, acc, acc_stride);
  _tile_stored(1, acc + 16, acc_stride);
  _tile_stored(2, acc + 16 * kBlock, acc_stride);
  _tile_stored(3, acc + 16 * kBlock + 16, acc_stride);
}

__m512 reciprocal(__m512 d) {
  const __m512 r = _mm512_rcp14_ps(d);  // 14 bits, one Newton step to full float precision
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

__m512 exp16(__m512 x) { return __builtin_bit_cast(__m512, (exp_lanes<f32x16, i32x16>(__builtin_bit_cast(f32x16, x)))); }

// 0.5·x·(1 + erf(x/√2)), erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), as oneDNN's gelu_erf.
__m512 gelu_erf(__m512 x) {
  const __m512 z = _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(0.70710678118654752f));
  const __m512 t = reciprocal(_mm512_fmadd_ps(z, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1.0f)));
  __m512 poly = _mm512_set1_ps(1.061405429f);
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-1.453152027f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(1.421413741f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-0.284496736f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(0.254829592f));
  poly = _mm512_mul_ps(poly, t);
  const __m512 erf_abs = _mm512_fnmadd_ps(poly, exp16(_mm512_mul_ps(_mm512_mul_ps(z, z), _mm512_set1_ps(-1.0f))),
                                          _mm512_set1_ps(1.0f));
  // erf is odd: give erf(|x|/√2) the sign of x.
  const __m512 sign = _mm512_and_ps(x, _mm512_set1_ps(-0.0f));
  const __m512 erf = _mm512_or_ps(erf_abs, sign);
  return _mm512_mul_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.5f)), _mm512_add_ps(erf, _mm512_set1_ps(1.0f)));
}

// x·sigmoid(1.702·x)
__m512 quick_gelu(__m512 x) {
  const __m512 e = exp16(_mm512_mul_ps(x, _mm512_set1_ps(-1.702f)));
  return _mm512_mul_ps(x, reciprocal(_mm512_add_ps(e, _mm512_set1_ps(1.0f))));
}

__m512 load_lanes(const void* y, bool bf16, __mmask16 mask) {
  if (!bf16) return _mm512_maskz_loadu_ps(mask, y);
  const __m256i h = _mm256_maskz_loadu_epi16(mask, y);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

void store_lanes(void* y, bool bf16, __mmask16 mask, __m512 v) {
  if (bf16)
    _mm256_mask_storeu_epi16(y, mask, __builtin_bit_cast(__m256i, _mm512_cvtneps_pbh(v)));
  else
    _mm512_mask_storeu_ps(y, mask, v);
}

struct Output {
  void* y;
  bool bf16;
  int64_t ld;  // row stride in elements
  const float* bias;
  Epilogue epilogue;
};

// y[row0 + r, col0 + c] = epilogue(acc[r][c] + bias) for the block's valid rows × cols.
void finish_block(const float* acc, int64_t rows, int64_t cols, int64_t row0, int64_t col0, const Output& out) {
  const size_t elem = out.bf16 ? 2 : 4;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c0 = 0; c0 < cols; c0 += 16) {
      const int64_t lanes = cols - c0 < 16 ? cols - c0 : 16;
      const __mmask16 mask = static_cast<__mmask16>((1u << lanes) - 1u);
      __m512 v = _mm512_load_ps(acc + r * kBlock + c0);
      if (out.bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, out.bias + col0 + c0));
      char* dst = static_cast<char*>(out.y) + ((row0 + r) * out.ld + col0 + c0) * static_cast<int64_t>(elem);
      switch (out.epilogue) {
        case Epilogue::None: break;
        case Epilogue::Gelu: v = gelu_erf(v); break;
        case Epilogue::QuickGelu: v = quick_gelu(v); break;
        case Epilogue::AddToDst: v = _mm512_add_ps(v, load_lanes(dst, out.bf16, mask)); break;
      }
      store_lanes(dst, out.bf16, mask, v);
    }
  }
}

// Rows [0, rows) of x (K wide) in the order the tiles read them: for each 32-row block, for each step of
// K, its two 16×32 halves, 1 KiB each and contiguous (so hardware prefetch sees plain streams, not 32
// strided rows). Rows and columns past x are zeros, so padding only ever multiplies zero weights by zero.
void pack_chunk(const uint16_t* x, int64_t rows, int64_t k, int64_t steps, uint16_t* packed) {
  const int64_t blocks = (rows + kBlock - 1) / kBlock;
  for (int64_t b = 0; b < blocks; ++b) {
    for (int64_t r = 0; r < kBlock; ++r) {
      const int64_t row = b * kBlock + r, half = r / 16;
      uint16_t* dst = packed + b * steps * 1024 + half * 512 + (r % 16) * 32;
      for (int64_t s = 0; s < steps; ++s, dst += 1024) {
        const int64_t valid = row >= rows ? 0 : (k - s * 32 < 32 ? k - s * 32 : 32);
        if (valid > 0) std::memcpy(dst, x + row * k + s * 32, static_cast<size_t>(valid) * sizeof(uint16_t));
        if (valid < 32) std::memset(dst + valid, 0, static_cast<size_t>(32 - valid) * sizeof(uint16_t));
      }
    }
  }
}

}  // namespace

void amx_matmul_tiles(const uint16_t* x, int64_t m, const AmxWeights& weights, const float* bias,
                      Epilogue epilogue, void* y, ActivationType y_type) {
  const int64_t k = weights.k(), n = weights.n(), steps = weights.k_steps(), panels = weights.panels();
  const int64_t kp = steps * 32;
  int64_t chunk_rows = kChunkBytes / (kp * 2) / kBlock * kBlock;
  chunk_rows = chunk_rows < kBlock ? kBlock : (chunk_rows > 256 ? 256 : chunk_rows);
  const int64_t chunks = (m + chunk_rows - 1) / chunk_rows;
  // Enough work items to keep every thread busy to the end: split the columns too when rows are few.
  const int64_t wanted = 2 * omp_get_max_threads();
  int64_t groups = (wanted + chunks - 1) / chunks;
  const int64_t max_groups = (panels + 3) / 4;  // at least 4 panels (128 columns) per item
  groups = groups > max_groups ? max_groups : (groups < 1 ? 1 : groups);
  const int64_t panels_per_group = (panels + groups - 1) / groups;
  const int64_t items = chunks * groups;
  const int64_t pieces = (steps + kPieceSteps - 1) / kPieceSteps;
  const int64_t piece_steps = (steps + pieces - 1) / pieces;
  const Output out{y, y_type == ActivationType::BF16, n, bias, epilogue};

#pragma omp parallel
  {
    configure_tiles();
    float* acc = static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(chunk_rows * kBlock) * sizeof(float)));
    uint16_t* packed = static_cast<uint16_t*>(std::aligned_alloc(64, static_cast<size_t>(chunk_rows * kp * 2)));
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t chunk = item / groups, group = item % groups;
      const int64_t r0 = chunk * chunk_rows, rows = (m - r0 < chunk_rows) ? m - r0 : chunk_rows;
      const int64_t p0 = group * panels_per_group;
      const int64_t p1 = (p0 + panels_per_group < panels) ? p0 + panels_per_group : panels;
      pack_chunk(x + r0 * k, rows, k, steps, packed);
      // For each panel, K is cut into slices whose weights (piece_steps · 2 KiB) stay in L1 while every row
      // block of the chunk streams past them; partial sums wait in `acc` between slices.
      for (int64_t p = p0; p < p1; ++p) {
        const uint16_t* panel = weights.panel(p);
        for (int64_t s0 = 0; s0 < steps; s0 += piece_steps) {
          const int64_t ns = (steps - s0 < piece_steps) ? steps - s0 : piece_steps;
          for (int64_t rb = 0; rb < rows; rb += kBlock)
            block_product(packed + rb * kp + s0 * 1024, panel + s0 * 1024, ns, s0 == 0, acc + rb * kBlock);
        }
        const int64_t cols = (n - p * kBlock < kBlock) ? n - p * kBlock : kBlock;
        for (int64_t rb = 0; rb < rows; rb += kBlock)
          finish_block(acc + rb * kBlock, (rows - rb < kBlock) ? rows - rb : kBlock, cols, r0 + rb, p * kBlock, out);
      }
    }
    std::free(packed);
    std::free(acc);
    _tile_release();
  }
}

}  // namespace winclip::compute
