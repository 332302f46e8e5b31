// The oneDNN linear layer against the plain reference, on random odd shapes (as ggml's test-backend-ops).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compute/amx_matmul.hpp"
#include "compute/bf16.hpp"
#include "compute/linear.hpp"
#include "test_support.hpp"
#include "winclip/error.hpp"

using namespace winclip;
using namespace winclip::compute;

namespace {

struct Case {
  int64_t m, k, n;
  WeightLayout layout;
  bool bias;
  Epilogue epilogue;
};

void check(const Case& c, MatmulPrecision precision, double tolerance) {
  std::mt19937 rng(static_cast<unsigned>(c.m * 131 + c.k * 7 + c.n));
  auto x = test::random_normal(static_cast<size_t>(c.m * c.k), rng);
  auto w = test::random_normal(static_cast<size_t>(c.k * c.n), rng, 1.0f / std::sqrt(static_cast<float>(c.k)));
  auto b = c.bias ? test::random_normal(static_cast<size_t>(c.n), rng) : std::vector<float>{};
  auto y0 = test::random_normal(static_cast<size_t>(c.m * c.n), rng);  // prior contents, used by AddToDst
  Linear linear(c.k, c.n, w, c.layout, b, precision);
  std::vector<float> expected = y0, actual = y0;
  linear_reference(x.data(), c.m, c.k, c.n, w.data(), c.layout, c.bias ? b.data() : nullptr, expected.data(),
                   c.epilogue);
  linear.forward(x.data(), c.m, actual.data(), c.epilogue);
  EXPECT_LE(test::max_abs_diff(expected.data(), actual.data(), expected.size()), tolerance)
      << "m=" << c.m << " k=" << c.k << " n=" << c.n;
}

const Case kCases[] = {
    {1, 1, 1, WeightLayout::OutIn, false, Epilogue::None},
    {7, 13, 5, WeightLayout::OutIn, true, Epilogue::None},
    {226, 64, 192, WeightLayout::OutIn, true, Epilogue::AddToDst},
    {33, 96, 257, WeightLayout::OutIn, true, Epilogue::Gelu},
    {19, 37, 41, WeightLayout::OutIn, true, Epilogue::QuickGelu},
    {5, 64, 32, WeightLayout::InOut, false, Epilogue::None},
    {1031, 17, 3, WeightLayout::InOut, true, Epilogue::AddToDst},
};

}  // namespace

TEST(Linear, Fp32MatchesReferenceOnOddShapes) {
  for (const auto& c : kCases) check(c, MatmulPrecision::FP32, 2e-5);
}

TEST(Linear, Bf16StaysCloseToReference) {
  // bf16 keeps 8 bits of mantissa: relative error ~2^-8 per product, averaging out over k terms.
  for (const auto& c : kCases) check(c, MatmulPrecision::BF16, 0.05);
}

// Each bf16 backend this CPU has (the AMX kernel and oneDNN on Intel with AMX; oneDNN on AVX512-BF16 or
// emulated elsewhere) against the plain reference on bf16-rounded operands: what is left is float
// accumulation order and the GELU approximations, so the tolerance is tight.
class LinearBf16Backend : public ::testing::TestWithParam<compute::Bf16Backend> {};

TEST_P(LinearBf16Backend, MatchesReferenceOnBf16OperandsOnOddShapes) {
  if (GetParam() == compute::Bf16Backend::Amx && !amx_available()) GTEST_SKIP() << "this CPU or kernel has no AMX tiles";
  const auto rounded = [](std::vector<float> v) {
    for (auto& x : v) x = bf16_to_float(float_to_bf16(x));
    return v;
  };
  for (const auto& c : kCases) {
    std::mt19937 rng(static_cast<unsigned>(c.m * 31 + c.k * 17 + c.n));
    const auto x = rounded(test::random_normal(static_cast<size_t>(c.m * c.k), rng));
    const auto w =
        rounded(test::random_normal(static_cast<size_t>(c.k * c.n), rng, 1.0f / std::sqrt(static_cast<float>(c.k))));
    const auto b = c.bias ? test::random_normal(static_cast<size_t>(c.n), rng) : std::vector<float>{};
    const auto y0 = test::random_normal(static_cast<size_t>(c.m * c.n), rng);
    const Linear linear(c.k, c.n, w, c.layout, b, MatmulOptions(MatmulPrecision::BF16, GetParam()));
    ASSERT_EQ(linear.backend(), GetParam());
    std::vector<float> expected = y0, actual = y0;
    linear_reference(x.data(), c.m, c.k, c.n, w.data(), c.layout, c.bias ? b.data() : nullptr, expected.data(),
                     c.epilogue);
    linear.forward(x.data(), c.m, actual.data(), c.epilogue);
    for (size_t i = 0; i < expected.size(); ++i)
      ASSERT_NEAR(actual[i], expected[i], 2e-5 * (1 + std::abs(expected[i])))
          << "m=" << c.m << " k=" << c.k << " n=" << c.n << " at " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(EachBackend, LinearBf16Backend, ::testing::Values(compute::Bf16Backend::Amx, compute::Bf16Backend::OneDnn),
                         [](const auto& backend) { return backend.param == compute::Bf16Backend::Amx ? "Amx" : "OneDnn"; });

TEST(Linear, AutoPicksAmxExactlyWhereTheCpuHasIt) {
  const Linear linear(4, 4, std::vector<float>(16, 1.f), WeightLayout::OutIn, {}, MatmulPrecision::BF16);
  EXPECT_EQ(linear.backend(), amx_available() ? compute::Bf16Backend::Amx : compute::Bf16Backend::OneDnn);
  const Linear fp32(4, 4, std::vector<float>(16, 1.f), WeightLayout::OutIn, {}, MatmulPrecision::FP32);
  EXPECT_EQ(fp32.backend(), compute::Bf16Backend::OneDnn);
}

TEST(Linear, AmxOnACpuWithoutItIsAnErrorNamingTheBackend) {
  if (amx_available()) GTEST_SKIP() << "this CPU has AMX tiles";
  try {
    Linear(4, 4, std::vector<float>(16, 1.f), WeightLayout::OutIn, {}, MatmulOptions(MatmulPrecision::BF16, compute::Bf16Backend::Amx));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'amx'"), std::string::npos) << e.what();
  }
}

TEST(Linear, ReusesPrimitivesAcrossRowCounts) {
  std::mt19937 rng(3);
  auto w = test::random_normal(24 * 10, rng);
  Linear linear(24, 10, w, WeightLayout::OutIn, {}, MatmulPrecision::FP32);
  for (int64_t m : {3, 100, 3, 1}) {
    auto x = test::random_normal(static_cast<size_t>(m * 24), rng);
    std::vector<float> expected(static_cast<size_t>(m * 10)), actual(expected.size());
    linear_reference(x.data(), m, 24, 10, w.data(), WeightLayout::OutIn, nullptr, expected.data(), Epilogue::None);
    linear.forward(x.data(), m, actual.data());
    EXPECT_LE(test::max_abs_diff(expected.data(), actual.data(), expected.size()), 1e-5);
  }
}

TEST(Linear, RejectsWrongWeightSize) {
  EXPECT_THROW(Linear(4, 4, std::vector<float>(15), WeightLayout::OutIn, {}, MatmulPrecision::FP32), Error);
}
