#include "detection/scoring.hpp"

#include <algorithm>
#include <cmath>

#include "compute/linear.hpp"
#include "winclip/error.hpp"

namespace winclip {

namespace {

// F.normalize: x / max(‖x‖, 1e-12).
double inverse_norm(const float* x, int64_t d) {
  double s = 0;
  for (int64_t i = 0; i < d; ++i) s += static_cast<double>(x[i]) * x[i];
  return 1.0 / std::max(std::sqrt(s), 1e-12);
}

std::vector<float> normalized_rows(const float* x, int64_t n, int64_t d) {
  std::vector<float> out(static_cast<size_t>(n * d));
  for (int64_t r = 0; r < n; ++r) {
    const double inv = inverse_norm(x + r * d, d);
    for (int64_t i = 0; i < d; ++i) out[r * d + i] = static_cast<float>(x[r * d + i] * inv);
  }
  return out;
}

}  // namespace

std::vector<double> class_scores(const float* embeddings, int64_t n, const Tensor& prototypes, double temperature) {
  if (prototypes.shape.size() != 2 || prototypes.shape[0] != 2)
    throw Error("class scores: prototypes have shape " + shape_string(prototypes.shape) + ", expected [2, E]");
  const int64_t d = prototypes.shape[1];
  const float* normal = prototypes.ptr();
  const float* anomalous = prototypes.ptr() + d;
  const double inv_n = inverse_norm(normal, d), inv_a = inverse_norm(anomalous, d);
  std::vector<double> scores(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    const float* e = embeddings + r * d;
    const double inv_e = inverse_norm(e, d);
    double dot_n = 0, dot_a = 0;
    for (int64_t i = 0; i < d; ++i) {
      dot_n += static_cast<double>(e[i]) * normal[i];
      dot_a += static_cast<double>(e[i]) * anomalous[i];
    }
    const double cos_n = dot_n * inv_e * inv_n, cos_a = dot_a * inv_e * inv_a;
    scores[r] = 1.0 / (1.0 + std::exp((cos_n - cos_a) / temperature));
  }
  return scores;
}

struct AssociationBank::Impl {
  int64_t rows = 0, dim = 0;
  compute::Linear similarity;  // q̂ · r̂ᵀ for every bank row r
};

AssociationBank::AssociationBank(const Tensor& features) : impl_(std::make_unique<Impl>()) {
  if (features.shape.size() != 2 || features.shape[0] < 1)
    throw Error("reference bank has shape " + shape_string(features.shape) + ", expected [R, D] with R ≥ 1");
  impl_->rows = features.shape[0];
  impl_->dim = features.shape[1];
  impl_->similarity = compute::Linear(impl_->dim, impl_->rows, normalized_rows(features.ptr(), impl_->rows, impl_->dim),
                                      compute::WeightLayout::OutIn, {}, compute::MatmulPrecision::FP32);
}

AssociationBank::~AssociationBank() = default;
AssociationBank::AssociationBank(AssociationBank&&) noexcept = default;
AssociationBank& AssociationBank::operator=(AssociationBank&&) noexcept = default;
int64_t AssociationBank::size() const { return impl_->rows; }
int64_t AssociationBank::dim() const { return impl_->dim; }

std::vector<double> AssociationBank::score(const float* queries, int64_t n) const {
  const int64_t r = impl_->rows;
  const auto q = normalized_rows(queries, n, impl_->dim);
  std::vector<float> cosines(static_cast<size_t>(n * r));
  impl_->similarity.forward(q.data(), n, cosines.data());
  std::vector<double> scores(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float best = *std::max_element(cosines.begin() + i * r, cosines.begin() + (i + 1) * r);
    scores[i] = (1.0 - static_cast<double>(best)) / 2.0;
  }
  return scores;
}

std::vector<double> association_scores_reference(const float* queries, int64_t n, const Tensor& bank) {
  const int64_t r = bank.shape[0], d = bank.shape[1];
  std::vector<double> scores(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double best = INFINITY;
    const double inv_q = inverse_norm(queries + i * d, d);
    for (int64_t j = 0; j < r; ++j) {
      double dot = 0;
      for (int64_t t = 0; t < d; ++t) dot += static_cast<double>(queries[i * d + t]) * bank.ptr()[j * d + t];
      best = std::min(best, (1.0 - dot * inv_q * inverse_norm(bank.ptr() + j * d, d)) / 2.0);
    }
    scores[i] = best;
  }
  return scores;
}

}  // namespace winclip
