#include "eval/aupro.hpp"

#include <opencv2/imgproc.hpp>

namespace winclip::eval {

MaskRegions find_regions(std::span<const uint8_t> mask, int height, int width) {
  MaskRegions regions;
  regions.labels.resize(mask.size());
  // OpenCV only reads the mask; its Mat constructor just has no const overload.
  const cv::Mat mask_mat(height, width, CV_8U, const_cast<uint8_t*>(mask.data()));
  cv::Mat labels(height, width, CV_32S, regions.labels.data());
  cv::Mat stats;
  cv::Mat centroids;
  const int count = cv::connectedComponentsWithStats(mask_mat, labels, stats, centroids, 8, CV_32S);
  for (int label = 1; label < count; ++label) {
    regions.sizes.push_back(static_cast<uint32_t>(stats.at<int32_t>(label, cv::CC_STAT_AREA)));
  }
  return regions;
}

ProArea::ProArea(double fpr_limit, int64_t negatives, std::span<const uint32_t> region_sizes)
    : fpr_limit_(fpr_limit),
      negatives_(static_cast<double>(negatives)),
      complete_(negatives == 0 || region_sizes.empty()),
      // Cells of 1/250 of the plot: under a pixel of report.html's 240-pixel plots.
      curve_(fpr_limit / 250.0, 1.0 / 250.0) {
  inverse_region_size_.reserve(region_sizes.size());
  for (uint32_t size : region_sizes) inverse_region_size_.push_back(1.0 / size);
}

std::optional<double> ProArea::aupro() const {
  if (inverse_region_size_.empty() || negatives_ == 0) return std::nullopt;
  // The sweep ends at FPR 1 >= limit, so by now the area covers [0, limit].
  return area_ / fpr_limit_;
}

std::vector<CurvePoint> ProArea::curve() const {
  if (!aupro()) return {};
  return curve_.points();
}

}  // namespace winclip::eval
