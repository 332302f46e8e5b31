#pragma once
// Per-region overlap (PRO, Bergmann et al.) integrated over the false-positive rate up to a limit: the AUPRO
// of docs/eval.md (Metrics), exact over all thresholds.
//
// PRO(t) = mean over regions C of |{p in C : score(p) >= t}| / |C|; FPR(t) over all normal pixels. The
// area is the trapezoid rule over the sweep points from (0, 0), with the segment that crosses the limit
// cut at FPR = limit by linear interpolation of PRO, divided by the limit (a perfect map scores 1).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "eval/labelled_scores.hpp"
#include "eval/thinned_curve.hpp"

namespace winclip::eval {

// The ground-truth regions of one mask: its 8-connected components of nonzero pixels.
struct MaskRegions {
  std::vector<int32_t> labels;  // per pixel: 0 normal, k > 0 region k
  std::vector<uint32_t> sizes;  // sizes[k - 1] = pixel count of region k
};
MaskRegions find_regions(std::span<const uint8_t> mask, int height, int width);

class ProArea {
 public:
  // region_sizes[r]: pixel count of the region that anomalous records with region id r belong to.
  ProArea(double fpr_limit, int64_t negatives, std::span<const uint32_t> region_sizes);

  void add(const SweepStep& step) {
    if (complete_) return;
    // Incremental PRO: each pixel that turns positive adds 1/|C| of its region's overlap.
    for (uint64_t record : step.newly_positive) overlap_sum_ += inverse_region_size_[record_region(record)];
    const double fpr = static_cast<double>(step.false_positives) / negatives_;
    const double pro = overlap_sum_ / static_cast<double>(inverse_region_size_.size());
    if (fpr > fpr_limit_) {
      const double pro_at_limit = pro_ + (pro - pro_) * (fpr_limit_ - fpr_) / (fpr - fpr_);
      area_ += (fpr_limit_ - fpr_) * (pro_ + pro_at_limit) / 2.0;
      curve_.add({fpr_limit_, pro_at_limit});
      complete_ = true;
      return;
    }
    area_ += (fpr - fpr_) * (pro + pro_) / 2.0;
    curve_.add({fpr, pro});
    fpr_ = fpr;
    pro_ = pro;
  }

  // After the whole sweep; empty without regions or without normal pixels.
  std::optional<double> aupro() const;
  // The curve integrated, (FPR, PRO) from (0, 0), thinned for plotting; empty when aupro() is.
  std::vector<CurvePoint> curve() const;

 private:
  double fpr_limit_;
  double negatives_;
  std::vector<double> inverse_region_size_;
  double overlap_sum_ = 0;
  double fpr_ = 0;
  double pro_ = 0;
  double area_ = 0;
  bool complete_;  // the limit was passed, or there is nothing to integrate
  ThinnedCurve curve_;
};

}  // namespace winclip::eval
