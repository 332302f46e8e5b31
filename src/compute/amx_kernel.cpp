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

constexpr int64_t kBlock = 32;  // output block: 2×2 tiles of 16×16 floats, kept in tiles over all of K
// Weights one sub-block of panels may occupy: they stay in the core's L2 (2 MiB here) while every row
// block of the work item streams past them.
constexpr int64_t kPanelBytes = 1 << 20;

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

__m512 reciprocal(__m512 d) {
  const __m512 r = _mm512_rcp14_ps(d);  // 14 bits, one Newton step to full float precision
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

__m512 exp16(__m512 x) { return __builtin_bit_cast(__m512, exp_lanes(__builtin_bit_cast(f32x16, x))); }

// e^x for x ≤ 0: exp_lanes with 2ⁿ applied by vscalefps instead of built in the exponent bits (fewer
// operations in the GELU epilogue). Arguments below -87.3 give ~1e-38 instead of 0.
__m512 exp_nonpositive(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.33f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const f32x16 r = exp_remainder(__builtin_bit_cast(f32x16, x), __builtin_bit_cast(f32x16, n));
  return _mm512_scalef_ps(__builtin_bit_cast(__m512, exp_of_remainder(r)), n);
}

// 0.5·x·(1 + erf(x/√2)), erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), as oneDNN's gelu_erf. With
// c = erfc(|x|/√2) = t·P(t)·e^(−x²/2), GELU is x − x·c/2 for x ≥ 0 and x·c/2 below: no sign juggling, and
// no 1 + erf cancelling for negative x.
__m512 gelu_erf(__m512 x) {
  const __m512 z = _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(0.70710678118654752f));
  const __m512 t = reciprocal(_mm512_fmadd_ps(z, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1.0f)));
  __m512 poly = _mm512_set1_ps(1.061405429f);
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-1.453152027f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(1.421413741f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-0.284496736f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(0.254829592f));
  const __m512 c = _mm512_mul_ps(_mm512_mul_ps(poly, t), exp_nonpositive(_mm512_fnmadd_ps(z, z, _mm512_setzero_ps())));
  const __m512 half_xc = _mm512_mul_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.5f)), c);
  const __mmask16 non_negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
  return _mm512_mask_sub_ps(half_xc, non_negative, x, half_xc);
}

// x·sigmoid(1.702·x)
__m512 quick_gelu(__m512 x) {
  const __m512 e = exp16(_mm512_mul_ps(x, _mm512_set1_ps(-1.702f)));
  return _mm512_mul_ps(x, reciprocal(_mm512_add_ps(e, _mm512_set1_ps(1.0f))));
}

__m512 load_masked(const void* y, bool bf16, __mmask16 mask) {
  if (!bf16) return _mm512_maskz_loadu_ps(mask, y);
  const __m256i h = _mm256_maskz_loadu_epi16(mask, y);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

void store_masked(void* y, bool bf16, __mmask16 mask, __m512 v) {
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

// A finished block (acc[32][32], rows × cols valid, at y[row0.., col0..]) whose epilogue has run for its
// first `done` rows. The rest runs a few rows at a time between the tile products of the next block, so
// the AVX-512 work (bias, GELU, residual, rounding) overlaps the AMX work instead of following it.
struct Pending {
  const float* acc = nullptr;
  int64_t rows = 0, cols = 0, row0 = 0, col0 = 0, done = 0;
};

// y[row0 + r, col0 + c] = epilogue(acc[r][c] + bias) for rows r in [done, until) of the pending block.
// Compiled once per epilogue and output type: this runs for every output value, so no per-vector branch.
template <Epilogue kEpilogue, bool kBf16>
void finish_rows_as(Pending& block, int64_t end, const Output& out) {
  const int64_t elem = kBf16 ? 2 : 4;
  for (int64_t r = block.done; r < end; ++r) {
    char* row = static_cast<char*>(out.y) + ((block.row0 + r) * out.ld + block.col0) * elem;
    for (int64_t c0 = 0; c0 < block.cols; c0 += 16) {
      const int64_t lanes = block.cols - c0 < 16 ? block.cols - c0 : 16;
      const __mmask16 mask = static_cast<__mmask16>((1u << lanes) - 1u);
      __m512 v = _mm512_load_ps(block.acc + r * kBlock + c0);
      if (out.bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, out.bias + block.col0 + c0));
      char* dst = row + c0 * elem;
      if constexpr (kEpilogue == Epilogue::Gelu) v = gelu_erf(v);
      if constexpr (kEpilogue == Epilogue::QuickGelu) v = quick_gelu(v);
      if constexpr (kEpilogue == Epilogue::AddToDst) v = _mm512_add_ps(v, load_masked(dst, kBf16, mask));
      store_masked(dst, kBf16, mask, v);
    }
  }
}

template <Epilogue kEpilogue>
void finish_rows_to(Pending& block, int64_t end, const Output& out) {
  if (out.bf16)
    finish_rows_as<kEpilogue, true>(block, end, out);
  else
    finish_rows_as<kEpilogue, false>(block, end, out);
}

void finish_rows(Pending& block, int64_t until, const Output& out) {
  const int64_t end = until < block.rows ? until : block.rows;
  if (end <= block.done) return;
  switch (out.epilogue) {
    case Epilogue::None: finish_rows_to<Epilogue::None>(block, end, out); break;
    case Epilogue::Gelu: finish_rows_to<Epilogue::Gelu>(block, end, out); break;
    case Epilogue::QuickGelu: finish_rows_to<Epilogue::QuickGelu>(block, end, out); break;
    case Epilogue::AddToDst: finish_rows_to<Epilogue::AddToDst>(block, end, out); break;
  }
  block.done = end;
}

// acc[32][32] = a · panel over all `steps` 32-deep steps of K. `a` is 32 rows of bf16 `lda` bytes apart
// (x itself when its rows are whole steps, else a zero-padded copy). The accumulators never leave the tiles
// until K is done: reloading them per K slice cost more than streaming both operands from L2.
// Tiles 0–3 accumulate, 4–5 hold x's two row halves, 6–7 the panel's two column halves.
// Meanwhile the epilogue of `pending` advances by one row per step of K, the rows left when K is short
// after the loop (two rows per step left GELU's AVX-512 work stalling the tiles: fc with GELU took 8.5 ms per
// product at one row, 9.0–9.5 at two).
void block_product(const uint16_t* a, int64_t lda, const uint16_t* panel, int64_t steps, float* acc,
                   Pending& pending, const Output& out) {
  constexpr int64_t acc_stride = kBlock * sizeof(float);
  const uint16_t* a_low = a + 16 * (lda / 2);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t s = 0; s < steps; ++s) {
    // Each load placed just before its first use, so loads overlap the products already issued.
    _tile_loadd(4, a + s * 32, lda);
    _tile_loadd(6, panel + s * 1024, 64);
    _tile_dpbf16ps(0, 4, 6);
    _tile_loadd(7, panel + s * 1024 + 512, 64);
    _tile_dpbf16ps(1, 4, 7);
    _tile_loadd(5, a_low + s * 32, lda);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
    finish_rows(pending, s + 1, out);
  }
  finish_rows(pending, kBlock, out);
  _tile_stored(0, acc, acc_stride);
  _tile_stored(1, acc + 16, acc_stride);
  _tile_stored(2, acc + 16 * kBlock, acc_stride);
  _tile_stored(3, acc + 16 * kBlock + 16, acc_stride);
}

// Rows [0, rows) of x (K wide) as 32 rows of `kp` ≥ K columns, zeros past x: for a tail block, or when
// K is not whole steps.
void pad_rows(const uint16_t* x, int64_t rows, int64_t k, int64_t kp, uint16_t* padded) {
  for (int64_t r = 0; r < kBlock; ++r) {
    uint16_t* dst = padded + r * kp;
    const int64_t valid = r < rows ? k : 0;
    if (valid > 0) std::memcpy(dst, x + r * k, static_cast<size_t>(valid) * sizeof(uint16_t));
    std::memset(dst + valid, 0, static_cast<size_t>(kp - valid) * sizeof(uint16_t));
  }
}

}  // namespace

void amx_matmul_tiles(const uint16_t* x, int64_t m, const AmxWeights& weights, const float* bias,
                      Epilogue epilogue, void* y, ActivationType y_type) {
  const int64_t k = weights.k(), n = weights.n(), steps = weights.k_steps(), panels = weights.panels();
  const int64_t kp = steps * 32;
  const bool direct = kp == k;  // x's rows are whole steps: tiles read them in place
  const int64_t blocks = (m + kBlock - 1) / kBlock;
  // Work items: runs of row blocks × groups of panels, enough of them to keep every thread busy to the
  // end; columns are split too when rows are few.
  const int64_t wanted = 2 * omp_get_max_threads();
  const int64_t runs = blocks < wanted ? blocks : wanted;
  const int64_t blocks_per_run = (blocks + runs - 1) / runs;
  int64_t groups = (wanted + runs - 1) / runs;
  const int64_t max_groups = (panels + 3) / 4;  // at least 4 panels (128 columns) per item
  groups = groups > max_groups ? max_groups : (groups < 1 ? 1 : groups);
  const int64_t panels_per_group = (panels + groups - 1) / groups;
  int64_t sub_panels = kPanelBytes / (kp * kBlock * 2);
  sub_panels = sub_panels < 1 ? 1 : sub_panels;
  const Output out{y, y_type == ActivationType::BF16, n, bias, epilogue};

#pragma omp parallel
  {
    configure_tiles();
    // Two accumulator blocks: one being filled by the tiles, one whose epilogue is pending.
    float* acc = static_cast<float*>(std::aligned_alloc(64, 2 * kBlock * kBlock * sizeof(float)));
    Pending pending;
    int64_t filled = 0;
    uint16_t* padded = static_cast<uint16_t*>(std::aligned_alloc(64, static_cast<size_t>(kBlock * kp * 2)));
#pragma omp for schedule(dynamic, 1) nowait
    for (int64_t item = 0; item < runs * groups; ++item) {
      const int64_t run = item / groups, group = item % groups;
      const int64_t b0 = run * blocks_per_run, b1 = (b0 + blocks_per_run < blocks) ? b0 + blocks_per_run : blocks;
      const int64_t p0 = group * panels_per_group;
      const int64_t p1 = (p0 + panels_per_group < panels) ? p0 + panels_per_group : panels;
      for (int64_t q0 = p0; q0 < p1; q0 += sub_panels) {
        const int64_t q1 = (q0 + sub_panels < p1) ? q0 + sub_panels : p1;
        for (int64_t b = b0; b < b1; ++b) {
          const int64_t r0 = b * kBlock, rows = (m - r0 < kBlock) ? m - r0 : kBlock;
          const uint16_t* a = x + r0 * k;
          int64_t lda = k * 2;
          if (!direct || rows < kBlock) {
            pad_rows(a, rows, k, kp, padded);
            a = padded;
            lda = kp * 2;
          }
          for (int64_t p = q0; p < q1; ++p) {
            float* block = acc + (filled++ % 2) * kBlock * kBlock;
            block_product(a, lda, weights.panel(p), steps, block, pending, out);
            const int64_t cols = (n - p * kBlock < kBlock) ? n - p * kBlock : kBlock;
            pending = Pending{block, rows, cols, r0, p * kBlock, 0};
          }
        }
      }
    }
    finish_rows(pending, kBlock, out);
    std::free(padded);
    std::free(acc);
    _tile_release();
  }
}

}  // namespace winclip::compute
