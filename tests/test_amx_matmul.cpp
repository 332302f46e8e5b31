// The AMX tile kernel against the plain reference on bf16-rounded operands, on odd shapes: rows, depth and
// columns off the 32-multiples (padding), every epilogue, float and bf16 output. The reference sees the
// same rounded inputs, so the only differences left are float accumulation order and the epilogue's erf
// and exp approximations (~1e-7): the tolerance is tight. Skipped where the CPU has no AMX.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compute/amx_matmul.hpp"
#include "compute/bf16.hpp"
#include "test_support.hpp"
#include "winclip/error.hpp"

using namespace winclip;
using namespace winclip::compute;

namespace {

std::vector<float> bf16_values(size_t n, std::mt19937& rng, float scale) {
  std::normal_distribution<float> dist(0.f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = bf16_to_float(float_to_bf16(dist(rng)));
  return v;
}

struct MatmulShape {
  int64_t m, k, n;
};

void check(const MatmulShape& s, Epilogue epilogue, WeightLayout layout, bool bias, ActivationType y_type) {
  std::mt19937 rng(static_cast<unsigned>(s.m * 1000003 + s.k * 1009 + s.n));
  const auto x = bf16_values(static_cast<size_t>(s.m * s.k), rng, 1.0f);
  const auto w = bf16_values(static_cast<size_t>(s.k * s.n), rng, 2.0f / std::sqrt(static_cast<float>(s.k)));
  const auto b = bias ? bf16_values(static_cast<size_t>(s.n), rng, 1.0f) : std::vector<float>{};
  // Prior output, read by AddToDst: representable in bf16 too, so both output types start from the same.
  const auto prior = bf16_values(static_cast<size_t>(s.m * s.n), rng, 1.0f);
  std::vector<float> expected = prior;
  linear_reference(x.data(), s.m, s.k, s.n, w.data(), layout, bias ? b.data() : nullptr, expected.data(), epilogue);

  std::vector<uint16_t> x16(x.size());
  for (size_t i = 0; i < x.size(); ++i) x16[i] = float_to_bf16(x[i]);
  const AmxWeights weights(w.data(), layout, s.k, s.n);
  std::vector<float> got(prior.size());
  if (y_type == ActivationType::F32) {
    got = prior;
    amx_matmul(x16.data(), s.m, weights, bias ? b.data() : nullptr, epilogue, got.data(), y_type);
  } else {
    std::vector<uint16_t> y16(prior.size());
    for (size_t i = 0; i < prior.size(); ++i) y16[i] = float_to_bf16(prior[i]);
    amx_matmul(x16.data(), s.m, weights, bias ? b.data() : nullptr, epilogue, y16.data(), y_type);
    for (size_t i = 0; i < y16.size(); ++i) got[i] = bf16_to_float(y16[i]);
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    // bf16 output: the float result rounded once, so within half a bf16 step (2⁻⁹ relative) of it.
    const double tolerance =
        y_type == ActivationType::F32 ? 2e-5 * (1 + std::abs(expected[i])) : std::abs(expected[i]) / 256 + 1e-5;
    ASSERT_NEAR(got[i], expected[i], tolerance) << "m=" << s.m << " k=" << s.k << " n=" << s.n << " at " << i
                                                << " epilogue " << static_cast<int>(epilogue);
  }
}

const MatmulShape kShapes[] = {{1, 32, 16}, {32, 32, 32}, {33, 64, 33}, {7, 3, 5},   {100, 96, 70},
                         {257, 40, 129}, {64, 448, 32}, {300, 900, 64}, {2, 17, 1}};

}  // namespace

TEST(AmxMatmul, MatchesReferenceOnOddShapes) {
  if (!amx_available()) GTEST_SKIP() << "no AMX on this CPU";
  for (const MatmulShape& s : kShapes) {
    check(s, Epilogue::None, WeightLayout::OutIn, false, ActivationType::F32);
    check(s, Epilogue::Gelu, WeightLayout::OutIn, true, ActivationType::BF16);
    check(s, Epilogue::QuickGelu, WeightLayout::InOut, true, ActivationType::F32);
    check(s, Epilogue::AddToDst, WeightLayout::OutIn, true, ActivationType::F32);
    check(s, Epilogue::AddToDst, WeightLayout::InOut, false, ActivationType::BF16);
    check(s, Epilogue::Gelu, WeightLayout::InOut, false, ActivationType::F32);
  }
}

TEST(AmxMatmul, ManyRowsSpanSeveralWorkItems) {
  if (!amx_available()) GTEST_SKIP() << "no AMX on this CPU";
  check({1100, 64, 200}, Epilogue::Gelu, WeightLayout::OutIn, true, ActivationType::BF16);
}

TEST(AmxMatmul, GeluMatchesErfOverItsRange) {
  if (!amx_available()) GTEST_SKIP() << "no AMX on this CPU";
  // One input column of ones, weights spreading the pre-activation over [-12, 12] (bf16-exact values).
  std::vector<float> w;
  for (int i = -96; i <= 96; ++i) w.push_back(static_cast<float>(i) / 8.0f);
  const int64_t n = static_cast<int64_t>(w.size());
  const AmxWeights weights(w.data(), WeightLayout::InOut, 1, n);
  const uint16_t one = float_to_bf16(1.0f);
  std::vector<float> y(static_cast<size_t>(n));
  amx_matmul(&one, 1, weights, nullptr, Epilogue::Gelu, y.data(), ActivationType::F32);
  for (int64_t j = 0; j < n; ++j) {
    const double v = w[static_cast<size_t>(j)], exact = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    EXPECT_NEAR(y[static_cast<size_t>(j)], exact, 5e-7 * (1 + std::abs(v))) << "x = " << v;
  }
}

// Every float the epilogue may see, not only bf16-exact ones: with zero weights the pre-activation is the
// (float) bias itself. Steps of 1/1024 over [-12, 12] put hundreds of points inside each interval of the
// piecewise polynomial.
TEST(AmxMatmul, GeluMatchesErfBetweenBf16Values) {
  if (!amx_available()) GTEST_SKIP() << "no AMX on this CPU";
  const int64_t n = 24 * 1024 + 1;
  std::vector<float> bias(static_cast<size_t>(n)), zeros(static_cast<size_t>(n), 0.f);
  for (int64_t j = 0; j < n; ++j) bias[static_cast<size_t>(j)] = -12.0f + static_cast<float>(j) / 1024.0f;
  const AmxWeights weights(zeros.data(), WeightLayout::InOut, 1, n);
  const uint16_t one = float_to_bf16(1.0f);
  std::vector<float> y(static_cast<size_t>(n));
  amx_matmul(&one, 1, weights, bias.data(), Epilogue::Gelu, y.data(), ActivationType::F32);
  for (int64_t j = 0; j < n; ++j) {
    const double v = bias[static_cast<size_t>(j)], exact = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    ASSERT_NEAR(y[static_cast<size_t>(j)], exact, 5e-7 * (1 + std::abs(v))) << "x = " << v;
  }
}
