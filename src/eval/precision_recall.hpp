#pragma once
// Precision-recall summaries accumulated along a threshold sweep (AUPR and F1-max, docs/eval.md Metrics).
//
// The points are sklearn's precision_recall_curve: one per distinct threshold plus the (recall 0,
// precision 1) point it appends. sklearn <= 1.0 drops the points after full recall is first reached; they
// have zero recall width and lower F1, so neither variant of the area nor F1-max depends on that.
#include <algorithm>
#include <cstdint>
#include <optional>

namespace winclip::eval {

class PrecisionRecallSummary {
 public:
  explicit PrecisionRecallSummary(int64_t positives) : positives_(positives) {}

  void add(int64_t true_positives, int64_t false_positives) {
    // Every sweep step predicts at least one more sample anomalous, so tp + fp > 0.
    const double precision =
        static_cast<double>(true_positives) / static_cast<double>(true_positives + false_positives);
    const double recall_gain = static_cast<double>(true_positives - true_positives_);
    step_sum_ += recall_gain * precision;
    trapezoid_sum_ += recall_gain * (precision + precision_);
    // 2PR / (P + R) = 2 tp / (tp + fp + positives): no 0/0 once positives > 0.
    f1_max_ = std::max(f1_max_, 2.0 * static_cast<double>(true_positives) /
                                    static_cast<double>(true_positives + false_positives + positives_));
    true_positives_ = true_positives;
    precision_ = precision;
  }

  // sum_n (R_n - R_(n-1)) P_n, sklearn average_precision_score.
  std::optional<double> average_precision() const {
    if (positives_ == 0) return std::nullopt;
    return step_sum_ / static_cast<double>(positives_);
  }
  // sum_n (R_n - R_(n-1)) (P_n + P_(n-1)) / 2, sklearn auc(recall, precision).
  std::optional<double> trapezoid_area() const {
    if (positives_ == 0) return std::nullopt;
    return trapezoid_sum_ / (2.0 * static_cast<double>(positives_));
  }
  std::optional<double> f1_max() const {
    if (positives_ == 0) return std::nullopt;
    return f1_max_;
  }

 private:
  int64_t positives_;
  int64_t true_positives_ = 0;
  double precision_ = 1.0;  // sklearn's appended point
  double step_sum_ = 0;
  double trapezoid_sum_ = 0;
  double f1_max_ = 0;
};

}  // namespace winclip::eval
