// Pixel-level metrics of docs/eval.md (AUROC, AUPRO, F1-max) over all pixels of all test images of a class.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "eval/aupro.hpp"
#include "eval/labelled_scores.hpp"
#include "eval/precision_recall.hpp"
#include "eval/roc.hpp"
#include "winclip/error.hpp"
#include "winclip/metrics.hpp"

namespace winclip {

struct PixelMetricsAccumulator::State {
  PixelMetricOptions options;
  eval::LabelledScores scores;
  std::vector<uint32_t> region_sizes;  // indexed by the region id of the anomalous records, over all images
  int64_t images = 0;
};

PixelMetricsAccumulator::PixelMetricsAccumulator(PixelMetricOptions options) : state_(std::make_unique<State>()) {
  if (!(options.fpr_limit > 0.0 && options.fpr_limit <= 1.0)) {
    throw Error("pixel metrics", "FPR limit " + std::to_string(options.fpr_limit) + " is outside (0, 1]");
  }
  state_->options = options;
}

PixelMetricsAccumulator::~PixelMetricsAccumulator() = default;
PixelMetricsAccumulator::PixelMetricsAccumulator(PixelMetricsAccumulator&&) noexcept = default;
PixelMetricsAccumulator& PixelMetricsAccumulator::operator=(PixelMetricsAccumulator&&) noexcept = default;

int64_t PixelMetricsAccumulator::pixel_count() const {
  return static_cast<int64_t>(state_->scores.normal.size() + state_->scores.anomalous.size());
}

void PixelMetricsAccumulator::add(std::span<const float> map, std::span<const uint8_t> mask, int height, int width,
                                  std::string_view image) {
  const std::string where = image.empty() ? "pixel metrics: image #" + std::to_string(state_->images)
                                          : "pixel metrics: " + std::string(image);
  const std::string size = std::to_string(height) + "x" + std::to_string(width);
  if (height <= 0 || width <= 0) throw Error(where, "empty map size " + size);
  const size_t pixels = static_cast<size_t>(height) * static_cast<size_t>(width);
  if (map.size() != pixels) throw Error(where, "map has " + std::to_string(map.size()) + " values, expected " + size);
  if (mask.size() != pixels)
    throw Error(where, "mask has " + std::to_string(mask.size()) + " values, expected " + size);
  // Region ids and the exact ROC sum are 32-bit / 63-bit quantities (see roc.hpp).
  if (static_cast<uint64_t>(pixel_count()) + pixels > std::numeric_limits<uint32_t>::max()) {
    throw Error(where, "more than 2^32 - 1 pixels pooled for one class");
  }
  const auto non_finite = std::find_if(map.begin(), map.end(), [](float s) { return !std::isfinite(s); });
  if (non_finite != map.end()) {
    const size_t at = static_cast<size_t>(non_finite - map.begin());
    throw Error(where, "non-finite score at row " + std::to_string(at / static_cast<size_t>(width)) + ", column " +
                           std::to_string(at % static_cast<size_t>(width)));
  }

  ++state_->images;
  eval::LabelledScores& scores = state_->scores;
  if (std::all_of(mask.begin(), mask.end(), [](uint8_t m) { return m == 0; })) {
    for (float s : map) scores.normal.push_back(eval::score_key(s));
    return;
  }
  const eval::MaskRegions regions = eval::find_regions(mask, height, width);
  const auto first_region = static_cast<uint32_t>(state_->region_sizes.size());
  state_->region_sizes.insert(state_->region_sizes.end(), regions.sizes.begin(), regions.sizes.end());
  for (size_t i = 0; i < pixels; ++i) {
    const int32_t label = regions.labels[i];
    if (label == 0) {
      scores.normal.push_back(eval::score_key(map[i]));
    } else {
      scores.anomalous.push_back(eval::anomalous_record(map[i], first_region + static_cast<uint32_t>(label - 1)));
    }
  }
}

PixelMetrics PixelMetricsAccumulator::finish() {
  eval::LabelledScores& scores = state_->scores;
  scores.sort();
  const auto positives = static_cast<int64_t>(scores.anomalous.size());
  const auto negatives = static_cast<int64_t>(scores.normal.size());
  eval::RocArea roc;
  eval::PrecisionRecallSummary precision_recall(positives);
  eval::ProArea pro(state_->options.fpr_limit, negatives, state_->region_sizes);
  eval::sweep_thresholds(scores, [&](const eval::SweepStep& step) {
    roc.add(step.true_positives, step.false_positives);
    precision_recall.add(step.true_positives, step.false_positives);
    pro.add(step);
  });

  PixelMetrics metrics;
  metrics.auroc = roc.auroc();
  metrics.aupro = pro.aupro();
  metrics.pro_curve = pro.curve();
  metrics.f1_max = precision_recall.f1_max();
  if (positives == 0) {
    metrics.warnings.push_back("no anomalous pixel: pixel AUROC, AUPRO and pixel F1-max are undefined");
  } else if (negatives == 0) {
    metrics.warnings.push_back("no normal pixel: pixel AUROC and AUPRO are undefined");
  }
  return metrics;
}

}  // namespace winclip
