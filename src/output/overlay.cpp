#include "winclip/overlay.hpp"

#include <algorithm>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/atomic_file.hpp"
#include "winclip/error.hpp"

namespace winclip {

Tensor map_to_original(const Tensor& map, int width, int height, ResizeMode mode) {
  const int size = static_cast<int>(map.shape.at(0));
  cv::Mat src(size, size, CV_32F, const_cast<float*>(map.ptr()));
  Tensor out({height, width});
  cv::Mat dst(height, width, CV_32F, out.ptr());
  if (mode == ResizeMode::Squash) {
    cv::resize(src, dst, dst.size(), 0, 0, cv::INTER_LINEAR);
    return out;
  }
  // The map covers the centre crop of the resized image; undo the resize over the crop's footprint only.
  const ResizeGeometry g = resize_geometry(width, height, size, mode);
  const double sx = static_cast<double>(width) / g.resized_width, sy = static_cast<double>(height) / g.resized_height;
  const int x0 = std::clamp(static_cast<int>(g.crop_left * sx + 0.5), 0, width - 1);
  const int y0 = std::clamp(static_cast<int>(g.crop_top * sy + 0.5), 0, height - 1);
  const int w = std::clamp(static_cast<int>(size * sx + 0.5), 1, width - x0);
  const int h = std::clamp(static_cast<int>(size * sy + 0.5), 1, height - y0);
  cv::Mat roi = dst(cv::Rect(x0, y0, w, h));
  cv::resize(src, roi, roi.size(), 0, 0, cv::INTER_LINEAR);
  return out;
}

std::vector<uint8_t> threshold_mask(const Tensor& original_map, float threshold) {
  std::vector<uint8_t> mask(original_map.data.size());
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = original_map.data[i] > threshold ? 255 : 0;
  return mask;
}

namespace {
// The outline of mask's nonzero pixels, about 1/200 of the image's shorter side wide.
void draw_mask_outline(cv::Mat& picture, const std::vector<uint8_t>& mask, const cv::Scalar& colour) {
  cv::Mat m(picture.rows, picture.cols, CV_8U, const_cast<uint8_t*>(mask.data()));
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(m, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  const int thickness = std::max(1, std::min(picture.cols, picture.rows) / 200);
  cv::drawContours(picture, contours, -1, colour, thickness, cv::LINE_AA);
}
}  // namespace

void draw_contour(Image& image, const Tensor& map, ResizeMode mode, float threshold, std::array<uint8_t, 3> colour) {
  const auto mask = threshold_mask(map_to_original(map, image.width, image.height, mode), threshold);
  cv::Mat rgb(image.height, image.width, CV_8UC3, image.rgb.data());
  draw_mask_outline(rgb, mask, cv::Scalar(colour[0], colour[1], colour[2]));
}

Image render_overlay(const Image& original, const Tensor& map, ResizeMode mode, const OverlayOptions& options) {
  const Tensor full = map_to_original(map, original.width, original.height, mode);
  const auto [lo_it, hi_it] = std::minmax_element(full.data.begin(), full.data.end());
  const float lo = options.range_min.value_or(*lo_it);
  const float hi = options.range_max.value_or(*hi_it);
  const float span = hi > lo ? hi - lo : 1.0f;
  cv::Mat levels(original.height, original.width, CV_8U);
  for (int i = 0; i < original.width * original.height; ++i)
    levels.data[i] = static_cast<uint8_t>(std::clamp((full.data[i] - lo) / span, 0.0f, 1.0f) * 255.0f + 0.5f);
  cv::Mat heat;
  cv::applyColorMap(levels, heat, cv::COLORMAP_JET);  // BGR
  cv::Mat rgb(original.height, original.width, CV_8UC3, const_cast<uint8_t*>(original.rgb.data()));
  cv::Mat bgr, blended;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  cv::addWeighted(bgr, 1.0 - options.alpha, heat, options.alpha, 0.0, blended);
  if (options.threshold)
    draw_mask_outline(blended, threshold_mask(full, *options.threshold), cv::Scalar(255, 255, 255));
  cv::cvtColor(blended, blended, cv::COLOR_BGR2RGB);
  Image out;
  out.width = original.width;
  out.height = original.height;
  out.rgb.assign(blended.data, blended.data + blended.total() * 3);
  return out;
}

namespace {
std::string encode(const std::string& name, const cv::Mat& mat) {
  std::vector<uint8_t> bytes;
  if (!cv::imencode(".png", mat, bytes)) throw Error(name, "PNG encoding failed");
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}
}  // namespace

std::string encode_png(const Image& image, const std::string& name) {
  cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return encode(name, bgr);
}

std::string encode_png_gray(int width, int height, const std::vector<uint8_t>& pixels, const std::string& name) {
  return encode(name, cv::Mat(height, width, CV_8U, const_cast<uint8_t*>(pixels.data())));
}

void write_png(const std::filesystem::path& path, const Image& image) {
  write_file_atomic(path, encode_png(image, path.string()));
}

void write_png_gray(const std::filesystem::path& path, int width, int height, const std::vector<uint8_t>& pixels) {
  write_file_atomic(path, encode_png_gray(width, height, pixels, path.string()));
}

}  // namespace winclip
