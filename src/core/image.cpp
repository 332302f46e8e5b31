// Image decoding with OpenCV imgcodecs, converted to what PIL's Image.convert("RGB") gives for the images
// datasets contain, because the reference pipelines (open_clip, anomalib) read images with PIL.
#include "winclip/image.hpp"

#include <climits>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/file_bytes.hpp"
#include "core/image_container.hpp"
#include "core/image_header.hpp"
#include "winclip/error.hpp"

namespace winclip {
namespace {

// OpenCV's own messages about undecodable data would duplicate our Error, which names the file. (OpenCV
// 4.6's imdecode still writes some straight to std::cerr, and libpng/libjpeg print theirs: the container
// checks before decoding keep broken PNG and JPEG files away from them.)
void silence_opencv_logging() {
  static const bool silenced = [] {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    return true;
  }();
  (void)silenced;
}

uint8_t to_8bit(uint8_t v) { return v; }
// Pillow unpacks 16-bit PNG samples by keeping the high byte ("RGB;16B"); we do the same for every
// 16-bit image (PIL would clamp 16-bit grayscale to 255, which loses the image).
uint8_t to_8bit(uint16_t v) { return static_cast<uint8_t>(v >> 8); }

// One row of OpenCV's channel order (gray, gray+alpha, BGR, BGRA) to RGB; alpha is dropped, not composited.
template <typename Sample>
void row_to_rgb(const Sample* in, int channels, int width, uint8_t* out) {
  for (int x = 0; x < width; ++x, in += channels, out += 3) {
    if (channels <= 2) {
      out[0] = out[1] = out[2] = to_8bit(in[0]);
    } else {
      out[0] = to_8bit(in[2]);
      out[1] = to_8bit(in[1]);
      out[2] = to_8bit(in[0]);
    }
  }
}

Image to_rgb(const cv::Mat& decoded, const std::string& name) {
  const int depth = decoded.depth(), channels = decoded.channels();
  if (depth != CV_8U && depth != CV_16U)
    throw Error(name, "unsupported sample type (only 8- and 16-bit unsigned integer images are read)");
  if (channels < 1 || channels > 4) throw Error(name, "unsupported number of channels " + std::to_string(channels));
  Image img{decoded.cols, decoded.rows, std::vector<uint8_t>(static_cast<size_t>(decoded.cols) * decoded.rows * 3)};
  for (int y = 0; y < img.height; ++y) {
    uint8_t* out = img.rgb.data() + static_cast<size_t>(y) * img.width * 3;
    if (depth == CV_8U) row_to_rgb(decoded.ptr<uint8_t>(y), channels, img.width, out);
    else row_to_rgb(decoded.ptr<uint16_t>(y), channels, img.width, out);
  }
  return img;
}

}  // namespace

Image decode_image_bytes(std::span<const uint8_t> bytes, const std::string& name) {
  return decode_image_bytes(bytes, name, 0);
}

Image decode_image_bytes(std::span<const uint8_t> bytes, const std::string& name, int64_t max_pixels) {
  if (bytes.empty()) throw Error(name, "empty file");
  if (bytes.size() > static_cast<size_t>(INT_MAX)) throw Error(name, "file too large to decode (over 2 GiB)");
  const std::string_view format = sniff_image_format(bytes);
  const auto too_many_pixels = [&](int64_t width, int64_t height) {
    return Error(name, std::string(format) + " image of " + std::to_string(width) + "x" + std::to_string(height) +
                           " pixels, over the limit of " + std::to_string(max_pixels) + " pixels");
  };
  if (max_pixels > 0)
    if (const auto claimed = image_header_dimensions(bytes, format);
        claimed && claimed->width > max_pixels / claimed->height)
      throw too_many_pixels(claimed->width, claimed->height);
  if (const std::string problem = image_container_problem(bytes, format); !problem.empty()) throw Error(name, problem);
  silence_opencv_logging();
  cv::Mat decoded;
  try {
    // A header over the caller's bytes, no copy: imdecode only reads them. IMREAD_UNCHANGED keeps the
    // stored channels and bit depth and also skips EXIF orientation (OpenCV applies it for every other
    // flag combination unless IMREAD_IGNORE_ORIENTATION is given).
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<uint8_t*>(bytes.data()));
    decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw Error(name, "cannot decode image: " + e.err);
  }
  if (decoded.empty()) {
    if (format.empty()) throw Error(name, "not an image: the data matches no supported image format");
    throw Error(name, "corrupt or truncated " + std::string(format) + " data");
  }
  // Formats whose header was not read are held to the limit once decoded (OpenCV itself refuses more than
  // 2^30 pixels before allocating).
  if (max_pixels > 0 && decoded.cols > max_pixels / decoded.rows) throw too_many_pixels(decoded.cols, decoded.rows);
  return to_rgb(decoded, name);
}

Image decode_image(const std::filesystem::path& path) {
  const std::string name = path.string();
  return decode_image_bytes(read_file_bytes(path, "an image file"), name);
}

}  // namespace winclip
