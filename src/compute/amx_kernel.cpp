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

constexpr TileConfig tile_config() {
  TileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.rows[t] = 16;
    config.bytes_per_row[t] = 64;
  }
  return config;
}

// In static storage, not built on the stack: GCC 12 does not count ldtilecfg as reading its 64 bytes and
// dropped the stores of a local configuration (only the palette byte was left).
constexpr TileConfig kTileConfig = tile_config();

__m512 reciprocal(__m512 d) {
  const __m512 r = _mm512_rcp14_ps(d);  // 14 bits, one Newton step to full float precision
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

__m512 exp16(__m512 x) { return __builtin_bit_cast(__m512, exp_lanes(__builtin_bit_cast(f32x16, x))); }

// Φ(−t) = erfc(t/√2)/2 for t in [0, 6): 16 intervals of 0.375, on each a degree-5 polynomial in t − centre
// (Chebyshev fits made by scripts/fit_gelu.py). The coefficients of one degree fill one 16-lane table, so one
// vpermps per degree picks every lane's interval. Past t = 6, Φ(−t) < 1e-9: GELU's tolerance cannot see it.
alignas(64) constexpr float kGeluCentre[16] = {
    1.875e-01f, 5.625e-01f, 9.375e-01f, 1.3125f, 1.6875f, 2.0625f, 2.4375f, 2.8125f,
    3.1875f,    3.5625f,    3.9375f,    4.3125f, 4.6875f, 5.0625f, 5.4375f, 5.8125f};
alignas(64) constexpr float kGeluPoly[6][16] = {
    {4.256343246e-01f, 2.868877053e-01f, 1.742507219e-01f, 9.467574209e-02f, 4.575362429e-02f, 1.958007738e-02f,
     7.394606248e-03f, 2.457901137e-03f, 7.175425417e-04f, 1.836701849e-04f, 4.116759374e-05f, 8.070996046e-06f,
     1.382830305e-06f, 2.069014045e-07f, 2.701761659e-08f, 3.077503141e-09f},
    {-3.919909000e-01f, -3.405675888e-01f, -2.570739090e-01f, -1.685931832e-01f, -9.606150538e-02f,
     -4.755388945e-02f, -2.045267262e-02f, -7.642604876e-03f, -2.481190721e-03f, -6.998521276e-04f,
     -1.715062390e-04f, -3.651583029e-05f, -6.754763945e-06f, -1.085593226e-06f, -1.515836487e-07f,
     -1.838934161e-08f},
    {3.674811497e-02f, 9.578244388e-02f, 1.205017790e-01f, 1.106391177e-01f, 8.105272800e-02f, 4.904084280e-02f,
     2.492713556e-02f, 1.074744854e-02f, 3.954272252e-03f, 1.246493310e-03f, 3.375871165e-04f, 7.871035632e-05f,
     1.582283039e-05f, 2.745652182e-06f, 4.116319587e-07f, 5.335652986e-08f},
    {6.303387135e-02f, 3.880148381e-02f, 5.189087708e-03f, -2.030498721e-02f, -2.958113700e-02f,
     -2.578949928e-02f, -1.684445515e-02f, -8.802101947e-03f, -3.788047004e-03f, -1.363681746e-03f,
     -4.145552521e-04f, -1.070824073e-04f, -2.360446888e-05f, -4.454219379e-06f, -7.212275932e-07f,
     -1.003886538e-07f},
    {-9.001159109e-03f, -2.125386894e-02f, -2.117701061e-02f, -1.176480297e-02f, -1.092299819e-03f,
     5.056657828e-03f, 6.076650694e-03f, 4.395105876e-03f, 2.369073685e-03f, 1.015746500e-03f, 3.568011743e-04f,
     1.043686425e-04f, 2.567973388e-05f, 5.350738775e-06f, 9.486573731e-07f, 1.436163330e-07f},
    {-9.050739929e-03f, -3.401132766e-03f, 3.172907513e-03f, 6.089932751e-03f, 4.767354112e-03f,
     1.764989458e-03f, -4.352146352e-04f, -1.143794856e-03f, -9.342232370e-04f, -5.143375602e-04f,
     -2.165590558e-04f, -7.312816888e-05f, -2.028364725e-05f, -4.686488865e-06f, -9.101830756e-07f,
     -1.495257891e-07f}};

// 0.5·x·(1 + erf(x/√2)) = x·Φ(x), within 1e-7·(1 + |x|) of exact. With c = Φ(−|x|), GELU is x − x·c for
// x ≥ 0 and x·c below: no sign juggling, and no 1 + erf cancelling for negative x. A table-driven
// polynomial, not an erf built on exp and a reciprocal (as oneDNN's gelu_erf is): ~18 operations a vector
// instead of ~29, and fc with GELU 7.35 → 6.71 ms (bench_matmul).
__m512 gelu_erf(__m512 x) {
  const __m512 t = _mm512_min_ps(_mm512_abs_ps(x), _mm512_set1_ps(5.99f));
  const __m512i interval = _mm512_cvttps_epi32(_mm512_mul_ps(t, _mm512_set1_ps(16.0f / 6.0f)));
  const __m512 u = _mm512_sub_ps(t, _mm512_permutexvar_ps(interval, _mm512_load_ps(kGeluCentre)));
  __m512 c = _mm512_permutexvar_ps(interval, _mm512_load_ps(kGeluPoly[5]));
  for (int d = 4; d >= 0; --d)
    c = _mm512_fmadd_ps(c, u, _mm512_permutexvar_ps(interval, _mm512_load_ps(kGeluPoly[d])));
  const __m512 xc = _mm512_mul_ps(x, c);
  const __mmask16 non_negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
  return _mm512_mask_sub_ps(xc, non_negative, x, xc);
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

void amx_configure_tiles() { _tile_loadconfig(&kTileConfig); }

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
    amx_configure_tiles();
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
