#pragma once
// Area under the ROC curve, accumulated along a threshold sweep (image and pixel AUROC, docs/eval.md Metrics).
//
// Trapezoid rule between consecutive sweep points starting at (0, 0), which is what sklearn's
// roc_auc_score computes (dropping collinear points there does not change the area). The area is kept as
// an exact integer in units of 1 / (2 P N), so the result is the exact rational rounded once: with
// P + N < 2^32 the sum stays below 2 P N < 2^63.
#include <cstdint>
#include <optional>

namespace winclip::eval {

class RocArea {
 public:
  void add(int64_t true_positives, int64_t false_positives) {
    twice_area_ += (false_positives - false_positives_) * (true_positives + true_positives_);
    true_positives_ = true_positives;
    false_positives_ = false_positives;
  }

  // After the whole sweep (the last point counts every sample); empty without positives or negatives.
  std::optional<double> auroc() const {
    if (true_positives_ == 0 || false_positives_ == 0) return std::nullopt;
    return static_cast<double>(twice_area_) /
           (2.0 * static_cast<double>(true_positives_) * static_cast<double>(false_positives_));
  }

 private:
  int64_t twice_area_ = 0;
  int64_t true_positives_ = 0;
  int64_t false_positives_ = 0;
};

}  // namespace winclip::eval
