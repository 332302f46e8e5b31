#include "winclip/threshold_calibration.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>

#include "winclip/error.hpp"

namespace winclip {

namespace {

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

void check_rate(double target_fpr, const std::string& what) {
  if (!(target_fpr > 0 && target_fpr < 1))
    throw Error(what, "target false-positive rate " + number(target_fpr) + " is not in (0, 1)");
}

}  // namespace

double binomial_cdf(int64_t n, double p, int64_t k) {
  if (k < 0) return 0;
  if (k >= n) return 1;
  // pmf(j+1) = pmf(j) · (n-j)/(j+1) · p/(1-p), from log pmf(0) = n·log(1-p).
  const double log_odds = std::log(p) - std::log1p(-p);
  double log_pmf = static_cast<double>(n) * std::log1p(-p);
  double cdf = 0;
  for (int64_t j = 0;; ++j) {
    cdf += std::exp(log_pmf);
    if (j == k) break;
    log_pmf += std::log(static_cast<double>(n - j)) - std::log(static_cast<double>(j + 1)) + log_odds;
  }
  return std::min(cdf, 1.0);
}

int64_t min_calibration_size(double target_fpr, double confidence) {
  check_rate(target_fpr, "calibration");
  const double alpha = 1 - confidence;
  auto n = static_cast<int64_t>(std::ceil(std::log(alpha) / std::log1p(-target_fpr)));
  // The logarithms may round across an integer: settle on the exact smallest n.
  while (n > 1 && binomial_cdf(n - 1, target_fpr, 0) <= alpha) --n;
  while (binomial_cdf(n, target_fpr, 0) > alpha) ++n;
  return n;
}

int64_t order_statistic_rank(int64_t n, double target_fpr, double confidence) {
  check_rate(target_fpr, "calibration");
  const double alpha = 1 - confidence;
  if (n <= 0) return 0;
  // The cdf grows with k: walk it once, term by term, to the first k-1 where it passes alpha.
  const double log_odds = std::log(target_fpr) - std::log1p(-target_fpr);
  double log_pmf = static_cast<double>(n) * std::log1p(-target_fpr);
  double cdf = 0;
  for (int64_t j = 0; j < n; ++j) {
    cdf += std::exp(log_pmf);
    if (cdf > alpha) return j;  // k - 1 = j fails, so k = j is the largest that holds
    log_pmf += std::log(static_cast<double>(n - j)) - std::log(static_cast<double>(j + 1)) + log_odds;
  }
  return n;
}

CalibratedThreshold calibrate_threshold(std::span<const double> normal_scores, double target_fpr,
                                        const std::string& what, double confidence) {
  check_rate(target_fpr, what);
  const auto n = static_cast<int64_t>(normal_scores.size());
  const int64_t k = order_statistic_rank(n, target_fpr, confidence);
  if (k < 1)
    throw Error(what, std::to_string(n) + " normal scores are too few for a false-positive rate of " +
                          number(target_fpr) + " at " + number(confidence * 100) +
                          " % confidence: at least " + std::to_string(min_calibration_size(target_fpr, confidence)) +
                          " are needed");
  std::vector<double> scores(normal_scores.begin(), normal_scores.end());
  std::nth_element(scores.begin(), scores.begin() + (k - 1), scores.end(), std::greater<double>());
  return {scores[static_cast<size_t>(k - 1)], k, n};
}

BankCalibration calibrate_detector(const Detector& detector, const std::vector<Image>& normals, double image_fpr,
                                   double pixel_fpr, const std::string& selection) {
  std::vector<double> image_scores, pixel_scores;
  const size_t batch = static_cast<size_t>(std::max(1, detector.options().batch_size));
  for (size_t start = 0; start < normals.size(); start += batch) {
    const std::vector<Image> part(normals.begin() + static_cast<std::ptrdiff_t>(start),
                                  normals.begin() + static_cast<std::ptrdiff_t>(std::min(normals.size(), start + batch)));
    for (const Detection& d : detector.score(part)) {
      image_scores.push_back(d.score);
      pixel_scores.insert(pixel_scores.end(), d.map.data.begin(), d.map.data.end());
    }
  }
  const CalibratedThreshold image = calibrate_threshold(image_scores, image_fpr, "calibration images");
  const CalibratedThreshold pixel = calibrate_threshold(pixel_scores, pixel_fpr, "calibration pixels");
  BankCalibration c;
  c.image_threshold = image.threshold;
  c.pixel_threshold = pixel.threshold;
  c.image_target_fpr = image_fpr;
  c.pixel_target_fpr = pixel_fpr;
  c.images = image.n;
  c.pixels = pixel.n;
  c.image_rank = image.rank;
  c.pixel_rank = pixel.rank;
  c.selection = selection;
  return c;
}

}  // namespace winclip
