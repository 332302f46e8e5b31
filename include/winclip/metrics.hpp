#pragma once
// Evaluation metrics (docs/eval.md, Metrics), exact over all thresholds (no binning), ties handled like sklearn.
//
// Threshold convention (all metrics): a sample is predicted anomalous at threshold t when score >= t, as in
// sklearn's roc_curve / precision_recall_curve. The thresholds swept are +inf (nothing predicted anomalous)
// followed by every distinct score, highest first, so tied scores always move together as one curve step.
// PRO is often written with M(p) > t; over an exact sweep both conventions give the same set of curve points
// ({score >= s_k} = {score > s_(k+1)}), so every area is the same.
//
// A metric that the data cannot define (AUROC without normal or without anomalous samples, AUPRO without
// anomalous pixels, ...) is an empty optional and `warnings` says why: reports print null and class means
// skip it. Nothing here ever returns NaN.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace winclip {

enum class AuprMethod {
  step,       // sklearn average_precision_score: sum_n (R_n - R_(n-1)) P_n (primary; ZQ)
  trapezoid,  // sklearn auc(recall, precision) over precision_recall_curve incl. its (R 0, P 1) point (AL)
};

struct ImageMetrics {
  std::optional<double> auroc;   // needs anomalous and normal images
  std::optional<double> aupr;    // needs anomalous images (all-anomalous gives 1, as sklearn)
  std::optional<double> f1_max;  // needs anomalous images; F1 = 0 where P = R = 0
  std::vector<std::string> warnings;
};

// scores[i]: anomaly score of test image i; labels[i]: 1 anomalous, 0 normal. Throws Error if the sizes
// differ, a label is not 0/1 or a score is not finite.
ImageMetrics image_metrics(std::span<const float> scores, std::span<const uint8_t> labels,
                           AuprMethod aupr = AuprMethod::step);

// The swept curve itself, for plots: counts of samples with score >= threshold, thresholds descending
// (the implicit first point at +inf has zero counts). FPR = fp/negatives, TPR = recall = tp/positives,
// precision = tp/(tp+fp).
struct OperatingPoint {
  float threshold = 0;
  int64_t true_positives = 0;
  int64_t false_positives = 0;
};
struct OperatingCurve {
  int64_t positives = 0;
  int64_t negatives = 0;
  std::vector<OperatingPoint> points;
};
OperatingCurve operating_curve(std::span<const float> scores, std::span<const uint8_t> labels);

// A point of a curve as report.html plots it.
struct CurvePoint {
  double x = 0, y = 0;
};

struct PixelMetricOptions {
  double fpr_limit = 0.3;  // AUPRO integrates PRO over FPR in [0, fpr_limit] and divides by fpr_limit
};

struct PixelMetrics {
  std::optional<double> auroc;   // needs anomalous and normal pixels
  std::optional<double> aupro;   // needs anomalous and normal pixels
  std::optional<double> f1_max;  // needs anomalous pixels
  // The PRO curve the AUPRO integrates, x = FPR from 0 to fpr_limit, y = PRO, thinned for plotting so that its
  // trapezoid area divided by fpr_limit is still the AUPRO (src/eval/thinned_curve.hpp); empty with aupro.
  std::vector<CurvePoint> pro_curve;
  std::vector<std::string> warnings;
};

// Pools the pixels of all test images of one class, one image at a time, so that the caller need not keep
// the maps. Memory: 4 bytes per normal pixel and 8 per anomalous pixel, plus as much again while finish()
// sorts. At most 2^32 - 1 pixels in total.
//
// AUPRO regions are the 8-connected components of each image's mask; every region weighs equally in PRO,
// and FPR counts all normal pixels of all images (normal pixels of anomalous images included).
class PixelMetricsAccumulator {
 public:
  explicit PixelMetricsAccumulator(PixelMetricOptions options = {});
  ~PixelMetricsAccumulator();
  PixelMetricsAccumulator(PixelMetricsAccumulator&&) noexcept;
  PixelMetricsAccumulator& operator=(PixelMetricsAccumulator&&) noexcept;

  // map: height*width anomaly scores (row-major); mask: the ground truth, nonzero = anomalous (masks are
  // stored as 0/255). `image` names the image in error messages. Throws Error on size mismatch or a
  // non-finite score; the accumulator is unchanged then.
  void add(std::span<const float> map, std::span<const uint8_t> mask, int height, int width,
           std::string_view image = {});

  int64_t pixel_count() const;

  // Sorts the pooled pixels and sweeps them once. Further images may be added and finish() called again.
  PixelMetrics finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace winclip
