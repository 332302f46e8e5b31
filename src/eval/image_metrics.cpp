// Image-level metrics of docs/eval.md: AUROC, AUPR and F1-max over the image scores of one class.
#include <cmath>
#include <string>

#include "eval/labelled_scores.hpp"
#include "eval/precision_recall.hpp"
#include "eval/roc.hpp"
#include "winclip/error.hpp"
#include "winclip/metrics.hpp"

namespace winclip {
namespace {

eval::LabelledScores sorted_image_scores(std::span<const float> scores, std::span<const uint8_t> labels) {
  const std::string where = "image scores";
  if (scores.size() != labels.size()) {
    throw Error(where, std::to_string(scores.size()) + " scores but " + std::to_string(labels.size()) + " labels");
  }
  eval::LabelledScores sorted;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) throw Error(where, "score " + std::to_string(i) + " is not finite");
    if (labels[i] == 1) {
      sorted.anomalous.push_back(eval::anomalous_record(scores[i], 0));
    } else if (labels[i] == 0) {
      sorted.normal.push_back(eval::score_key(scores[i]));
    } else {
      throw Error(where, "label " + std::to_string(i) + " is " + std::to_string(labels[i]) + ", expected 0 or 1");
    }
  }
  sorted.sort();
  return sorted;
}

}  // namespace

ImageMetrics image_metrics(std::span<const float> scores, std::span<const uint8_t> labels, AuprMethod aupr) {
  const eval::LabelledScores sorted = sorted_image_scores(scores, labels);
  eval::RocArea roc;
  eval::PrecisionRecallSummary precision_recall(static_cast<int64_t>(sorted.anomalous.size()));
  eval::sweep_thresholds(sorted, [&](const eval::SweepStep& step) {
    roc.add(step.true_positives, step.false_positives);
    precision_recall.add(step.true_positives, step.false_positives);
  });

  ImageMetrics metrics;
  metrics.auroc = roc.auroc();
  metrics.aupr = aupr == AuprMethod::step ? precision_recall.average_precision() : precision_recall.trapezoid_area();
  metrics.f1_max = precision_recall.f1_max();
  if (sorted.anomalous.empty()) {
    metrics.warnings.push_back("no anomalous test image: image AUROC, AUPR and F1-max are undefined");
  } else if (sorted.normal.empty()) {
    metrics.warnings.push_back("no normal test image: image AUROC is undefined");
  }
  return metrics;
}

OperatingCurve operating_curve(std::span<const float> scores, std::span<const uint8_t> labels) {
  const eval::LabelledScores sorted = sorted_image_scores(scores, labels);
  OperatingCurve curve;
  curve.positives = static_cast<int64_t>(sorted.anomalous.size());
  curve.negatives = static_cast<int64_t>(sorted.normal.size());
  eval::sweep_thresholds(sorted, [&](const eval::SweepStep& step) {
    curve.points.push_back({eval::key_score(step.threshold_key), step.true_positives, step.false_positives});
  });
  return curve;
}

}  // namespace winclip
