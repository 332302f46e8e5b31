// The packed-batch attention, layer norm and vector helpers against their plain double-precision
// references, on random odd shapes: head dimensions that take the fixed-64 and run-time paths, sequences
// short (one dot product per key) and long (kᵀ laid out), causal and not, float and bf16 output.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compute/attention.hpp"
#include "compute/bf16.hpp"
#include "compute/layer_norm.hpp"
#include "compute/simd.hpp"
#include "test_support.hpp"

using namespace winclip;
using namespace winclip::compute;

namespace {

std::vector<float> random_values(size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  return test::random_normal(n, rng, scale);
}

struct AttentionCase {
  int64_t width;
  int heads;
  std::vector<int64_t> lengths;
  bool causal;
};

// Every sequence of the packed batch against the reference run on that sequence alone.
void check_attention(const AttentionCase& c) {
  SequenceBatch batch;
  batch.causal = c.causal;
  for (int64_t len : c.lengths) batch.add(len);
  const int64_t rows = batch.total_rows(), w = c.width;
  // Scale 3 makes the softmax peaked, so exp's accuracy matters, not only its shape.
  const auto qkv = random_values(static_cast<size_t>(rows * 3 * w), static_cast<unsigned>(rows + w), 3.0f);
  std::vector<float> out(static_cast<size_t>(rows * w));
  std::vector<uint16_t> out_bf16(out.size());
  multi_head_attention(qkv.data(), w, c.heads, batch, out.data());
  multi_head_attention(qkv.data(), w, c.heads, batch, out_bf16.data());
  for (size_t s = 0; s < batch.size(); ++s) {
    const int64_t off = batch.offsets[s], len = batch.lengths[s];
    std::vector<float> expected(static_cast<size_t>(len * w));
    multi_head_attention_reference(qkv.data() + off * 3 * w, len, w, c.heads, c.causal, nullptr, expected.data());
    const float* got = out.data() + off * w;
    // Outputs are ~3 and scores reach ~50, so float32 sums alone differ from double by ~3e-5 (the earlier
    // scalar kernel: 3.4e-5 on the 226-token case); a wrong key, scale or exponent costs O(1).
    EXPECT_LE(test::max_abs_diff(expected.data(), got, expected.size()), 1e-4)
        << "width " << w << " heads " << c.heads << " sequence " << s << " of length " << len;
    double worst = 0;
    for (size_t i = 0; i < expected.size(); ++i)
      worst = std::max(worst, static_cast<double>(std::abs(bf16_to_float(out_bf16[static_cast<size_t>(off * w) + i]) - got[i])) /
                                  std::max(1e-3, static_cast<double>(std::abs(got[i]))));
    EXPECT_LE(worst, 1.0 / 256) << "bf16 output is not the rounded float output";
  }
  // bf16 q, k and v: exactly what the float kernel gives on the same values widened to float.
  std::vector<uint16_t> qkv_bf16(qkv.size());
  std::vector<float> widened(qkv.size());
  for (size_t i = 0; i < qkv.size(); ++i) widened[i] = bf16_to_float(qkv_bf16[i] = float_to_bf16(qkv[i]));
  std::vector<uint16_t> from_float(out.size()), from_bf16(out.size());
  multi_head_attention(widened.data(), w, c.heads, batch, from_float.data());
  multi_head_attention(qkv_bf16.data(), w, c.heads, batch, from_bf16.data());
  EXPECT_EQ(from_bf16, from_float) << "width " << w << " heads " << c.heads;
}

}  // namespace

TEST(Attention, MatchesReferenceWithHeadDim64) {
  check_attention({128, 2, {5, 10, 1, 226, 31, 32, 33, 7}, false});
}

TEST(Attention, MatchesReferenceWithOtherHeadDims) {
  check_attention({36, 3, {1, 5, 40, 9}, false});   // d = 12: vector part and scalar tail
  check_attention({20, 4, {3, 17, 64}, false});     // d = 5: scalar only
  check_attention({192, 2, {2, 50}, false});        // d = 96: run-time multiple of 8
}

TEST(Attention, CausalMatchesReference) {
  check_attention({128, 2, {77, 1, 12, 40}, true});
  check_attention({48, 4, {20, 3}, true});
}

TEST(Attention, WritesOnlyTheRowsReadOut) {
  // Windows read out by their class token, a full sequence read whole, and one long sequence cut short.
  SequenceBatch all, some;
  const std::vector<int64_t> lengths = {5, 226, 10, 40}, read = {1, 226, 1, 3};
  for (size_t s = 0; s < lengths.size(); ++s) {
    all.add(lengths[s]);
    some.add(lengths[s], read[s]);
  }
  const int64_t w = 128, rows = all.total_rows();
  const auto qkv = random_values(static_cast<size_t>(rows * 3 * w), 11, 3.0f);
  std::vector<float> every(static_cast<size_t>(rows * w)), part(every.size(), 42.f);
  multi_head_attention(qkv.data(), w, 2, all, every.data());
  multi_head_attention(qkv.data(), w, 2, some, part.data());
  for (size_t s = 0; s < lengths.size(); ++s)
    for (int64_t i = 0; i < lengths[s]; ++i)
      for (int64_t t = 0; t < w; ++t) {
        const size_t at = static_cast<size_t>((some.offsets[s] + i) * w + t);
        if (i < read[s])
          ASSERT_EQ(part[at], every[at]) << "sequence " << s << " row " << i;
        else
          ASSERT_EQ(part[at], 42.f) << "sequence " << s << " row " << i << " was not read out but written";
      }
}

TEST(Attention, RowsReadThroughAMapEqualRowsInPlace) {
  // Two sequences whose q, k and v come from rows elsewhere (as windows share the full image's first-block
  // rows): the same as laying those rows out in place, in both input types.
  SequenceBatch batch;
  batch.add(5);
  batch.add(40);
  const int64_t w = 128, rows = batch.total_rows(), pool = 60;
  const auto source = random_values(static_cast<size_t>(pool * 3 * w), 21, 3.0f);
  std::vector<int64_t> map(static_cast<size_t>(rows));
  std::vector<float> laid_out(static_cast<size_t>(rows * 3 * w));
  for (int64_t r = 0; r < rows; ++r) {
    map[static_cast<size_t>(r)] = (r * 7 + 3) % pool;
    std::copy_n(source.begin() + map[static_cast<size_t>(r)] * 3 * w, 3 * w, laid_out.begin() + r * 3 * w);
  }
  std::vector<float> expected(static_cast<size_t>(rows * w)), got(expected.size());
  multi_head_attention(laid_out.data(), w, 2, batch, expected.data());
  multi_head_attention(source.data(), w, 2, batch, got.data(), map.data());
  EXPECT_EQ(got, expected);
  std::vector<uint16_t> source16(source.size()), laid16(laid_out.size()), expected16(expected.size()),
      got16(expected.size());
  for (size_t i = 0; i < source.size(); ++i) source16[i] = float_to_bf16(source[i]);
  for (size_t i = 0; i < laid_out.size(); ++i) laid16[i] = float_to_bf16(laid_out[i]);
  multi_head_attention(laid16.data(), w, 2, batch, expected16.data());
  multi_head_attention(source16.data(), w, 2, batch, got16.data(), map.data());
  EXPECT_EQ(got16, expected16);
}

TEST(Attention, EmptyBatchWritesNothing) {
  SequenceBatch batch;
  std::vector<float> qkv(3), out(1, 42.f);
  multi_head_attention(qkv.data(), 1, 1, batch, out.data());
  EXPECT_EQ(out[0], 42.f);
}

TEST(LayerNorm, MatchesReferenceOnOddWidths) {
  for (int64_t width : {1, 7, 8, 13, 64, 896, 903}) {
    const int64_t rows = 37;
    auto x = random_values(static_cast<size_t>(rows * width), static_cast<unsigned>(width), 4.0f);
    for (size_t i = 0; i < x.size(); i += 3) x[i] += 100.f;  // a large mean, as residual streams have
    const auto gamma = random_values(static_cast<size_t>(width), 1), beta = random_values(static_cast<size_t>(width), 2);
    std::vector<float> expected(x.size()), got(x.size());
    std::vector<uint16_t> got_bf16(x.size());
    layer_norm_reference(x.data(), rows, width, gamma.data(), beta.data(), expected.data());
    layer_norm(x.data(), rows, width, gamma.data(), beta.data(), got.data());
    layer_norm(x.data(), rows, width, gamma.data(), beta.data(), got_bf16.data());
    EXPECT_LE(test::max_abs_diff(expected.data(), got.data(), x.size()), 5e-5) << "width " << width;
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(got_bf16[i], float_to_bf16(got[i])) << "width " << width;
    layer_norm(x.data(), rows, width, gamma.data(), beta.data(), x.data());  // in place
    EXPECT_EQ(test::max_abs_diff(x.data(), got.data(), x.size()), 0.0);
  }
}

// Both vector widths are checked whatever the build targets (FloatV is one of them).
template <typename F>
void check_exp_lanes() {
  constexpr int n = lanes_of<F>();
  float worst = 0;
  for (float x = -87.0f; x < 88.0f; x += 0.0137f) {
    float lanes[n];
    for (int r = 0; r < n; ++r) lanes[r] = x + 0.001f * static_cast<float>(r % 8);
    const F e = exp_lanes(load<F>(lanes));
    for (int r = 0; r < n; ++r) {
      const double exact = std::exp(static_cast<double>(lanes[r]));
      worst = std::max(worst, static_cast<float>(std::abs(e[r] - exact) / exact));
    }
  }
  EXPECT_LE(worst, 2.5e-7f) << n << " lanes";
  float big[n];
  const float edges[8] = {-1000.f, -88.f, 0.f, 1.f, 89.f, 1000.f, -INFINITY, 0.5f};
  for (int r = 0; r < n; ++r) big[r] = edges[r % 8];
  const F e = exp_lanes(load<F>(big));
  EXPECT_LT(e[0], 1e-37f);
  EXPECT_EQ(e[2], 1.0f);
  EXPECT_TRUE(std::isfinite(e[5]));
  EXPECT_LT(e[6], 1e-37f);
}

TEST(Simd, ExpWithinTwoUlpOverTheFloatRange) {
  check_exp_lanes<f32x8>();
  check_exp_lanes<f32x16>();
}

template <typename F>
void check_bf16_store() {
  constexpr size_t n = lanes_of<F>();
  const float special[] = {0.f, -0.f, 1.f, 1.00390625f, 1.01171875f, 3.4e38f, INFINITY, -INFINITY, NAN, 1e-40f};
  auto values = random_values(4096, 9, 100.f);
  values.insert(values.end(), std::begin(special), std::end(special));
  values.resize((values.size() + n - 1) / n * n, 0.f);
  std::vector<uint16_t> got(values.size());
  for (size_t i = 0; i < values.size(); i += n) store_bf16(got.data() + i, load<F>(values.data() + i));
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(got[i], float_to_bf16(values[i])) << values[i] << ", " << n << " lanes";
}

TEST(Simd, Bf16StoreMatchesScalarConversion) {
  check_bf16_store<f32x8>();
  check_bf16_store<f32x16>();
}

template <typename F>
void check_max_all() {
  constexpr int n = lanes_of<F>();
  std::mt19937 rng(static_cast<unsigned>(n));
  std::normal_distribution<float> dist;
  for (int top = 0; top < n; ++top) {
    float v[16];
    for (int i = 0; i < n; ++i) v[i] = i == top ? 100.f : (i % 3 == 0 ? -INFINITY : dist(rng));
    const F m = max_all(load<F>(v));
    for (int i = 0; i < n; ++i) ASSERT_EQ(m[i], 100.f) << n << " lanes, largest at " << top << ", lane " << i;
  }
}

TEST(Simd, MaxAllPutsTheLargestLaneInEveryLane) {
  check_max_all<f32x8>();
  check_max_all<f32x16>();
}

// The kernels' tests were written against this order of the sum; any other order changes the last bits.
TEST(Simd, ReduceAddKeepsItsPairwiseOrder) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.f, 1e3f);
  for (int trial = 0; trial < 1000; ++trial) {
    float v[16];
    for (float& x : v) x = dist(rng);
    const float eight = ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
    ASSERT_EQ(reduce_add(load<f32x8>(v)), eight);
    float h[8];
    for (int i = 0; i < 8; ++i) h[i] = v[i] + v[i + 8];
    const float sixteen = ((h[0] + h[4]) + (h[1] + h[5])) + ((h[2] + h[6]) + (h[3] + h[7]));
    ASSERT_EQ(reduce_add(load<f32x16>(v)), sixteen);
  }
}

TEST(Simd, ReductionsCoverEveryLane) {
  float v[16];
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(1 << i);
  EXPECT_EQ(reduce_add(load<f32x8>(v)), 255.f);
  EXPECT_EQ(reduce_add(load<f32x16>(v)), 65535.f);
  EXPECT_EQ(reduce_max(load<f32x16>(v)), 32768.f);
  v[3] = 1e9f;
  EXPECT_EQ(reduce_max(load<f32x8>(v)), 1e9f);
  // Four vectors reduced together: each sum lands in its own slot.
  float w[4][16], sums[4];
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 16; ++i) w[k][i] = static_cast<float>((k + 1) << i);
  reduce_add4(load<f32x8>(w[0]), load<f32x8>(w[1]), load<f32x8>(w[2]), load<f32x8>(w[3]), sums);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(sums[k], 255.f * static_cast<float>(k + 1)) << "8 lanes, vector " << k;
  reduce_add4(load<f32x16>(w[0]), load<f32x16>(w[1]), load<f32x16>(w[2]), load<f32x16>(w[3]), sums);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(sums[k], 65535.f * static_cast<float>(k + 1)) << "16 lanes, vector " << k;
}
