#pragma once
// Decision thresholds from normal images only. With n normal scores and the k-th largest as threshold, the
// probability that the true false-positive rate exceeds F is P(Binomial(n, F) <= k-1) (the order-statistic
// bound of docs/eval.md, "Calibrated thresholds"); the largest k that keeps it <= 1 - confidence is taken.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "winclip/detector.hpp"
#include "winclip/image.hpp"
#include "winclip/reference_bank.hpp"

namespace winclip {

inline constexpr double kCalibrationConfidence = 0.95;

// P(Binomial(n, p) <= k), summed in log space so that n in the millions (pixels) neither under- nor overflows.
double binomial_cdf(int64_t n, double p, int64_t k);

// The smallest n for which the bound can hold at all ((1-F)^n <= 1 - confidence); F in (0, 1).
int64_t min_calibration_size(double target_fpr, double confidence = kCalibrationConfidence);

// The largest k >= 1 with P(Binomial(n, F) <= k-1) <= 1 - confidence; 0 when n is too small for F.
int64_t order_statistic_rank(int64_t n, double target_fpr, double confidence = kCalibrationConfidence);

struct CalibratedThreshold {
  double threshold = 0;  // the k-th largest score: a score above it is anomalous
  int64_t rank = 0;      // k
  int64_t n = 0;
};

// Refuses (Error naming `what`) a target outside (0, 1) or too few scores, giving the minimum n.
CalibratedThreshold calibrate_threshold(std::span<const double> normal_scores, double target_fpr,
                                        const std::string& what, double confidence = kCalibrationConfidence);

// Scores `normals` (images not in the detector's bank) and calibrates the image threshold on their image
// scores and the pixel threshold on every pixel of their maps at the model input size. `selection` says how
// the images were chosen; it is stored with the thresholds.
BankCalibration calibrate_detector(const Detector& detector, const std::vector<Image>& normals, double image_fpr,
                                   double pixel_fpr, const std::string& selection);

}  // namespace winclip
