#pragma once
// The two ways WinCLIP scores a feature: against the language prototypes (zero-shot, paper Eq. 1) and
// against a bank of features of normal references (few-shot association, paper Eq. 4).
#include <cstdint>
#include <memory>
#include <vector>

#include "winclip/tensor.hpp"

namespace winclip {

inline constexpr double kDefaultTemperature = 0.07;

// Probability of the anomalous prototype for each row of `embeddings` [n, E]:
// softmax([cos(e, t_normal), cos(e, t_anomalous)] / τ)[1]. prototypes: [2, E] (normal, anomalous).
std::vector<double> class_scores(const float* embeddings, int64_t n, const Tensor& prototypes,
                                 double temperature = kDefaultTemperature);

// A memory bank of normal features; association(q) = min over bank rows r of (1 − cos(q, r)) / 2, computed
// for all queries with one matrix product.
class AssociationBank {
 public:
  explicit AssociationBank(const Tensor& features);  // [R, D], R ≥ 1
  ~AssociationBank();
  AssociationBank(AssociationBank&&) noexcept;
  AssociationBank& operator=(AssociationBank&&) noexcept;

  int64_t size() const;
  int64_t dim() const;
  std::vector<double> score(const float* queries, int64_t n) const;  // queries [n, D]

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Plain-loop reference of AssociationBank::score.
std::vector<double> association_scores_reference(const float* queries, int64_t n, const Tensor& bank);

}  // namespace winclip
