// Image decoding with OpenCV imgcodecs, converted to what PIL's Image.convert("RGB") gives for the images
// datasets contain, because the reference pipelines (open_clip, anomalib) read images with PIL.
#include "winclip/image.hpp"

#include <climits>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/file_bytes.hpp"
#include "core/image_container.hpp"
#include "core/image_decode.hpp"
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

cv::Mat decode_stored_samples(std::span<const uint8_t> bytes, const std::string& name, const DecodeLimits& limits) {
  if (bytes.empty()) throw Error(name, "empty file");
  if (bytes.size() > static_cast<size_t>(INT_MAX)) throw Error(name, "file too large to decode (over 2 GiB)");
  const std::string_view format = sniff_image_format(bytes);
  // Only the formats sniffed here reach OpenCV: it would also try DICOM, OpenEXR, Radiance HDR, PFM, PAM and Sun
  // raster, whose decoders see no header check of ours, and one of them (GDCM) aborts the process on a bad file.
  if (format.empty()) throw Error(name, "not an image: the data matches no supported image format");
  // OpenCV hands the bytes to the first of its decoders whose signature they match, and its DICOM decoder's is
  // "DICM" at byte 128, checked before its JPEG 2000 and WebP decoders (and before any other whose own check
  // fails): GDCM then reads them, and aborts the process on a malformed file. A real image of ours has those
  // four bytes there by chance once in 2^32.
  if (bytes.size() >= 132 && std::string_view(reinterpret_cast<const char*>(bytes.data()) + 128, 4) == "DICM")
    throw Error(name, "DICOM data (\"DICM\" at byte 128) in a " + std::string(format) +
                          " file: not a supported image format");
  if (const auto size = image_header_dimensions(bytes, format); size && size->width > 0 && size->height > 0) {
    // Divided rather than multiplied: a PNM or TIFF header may claim sizes whose product overflows.
    if (static_cast<uint64_t>(size->width) > limits.max_pixels / static_cast<uint64_t>(size->height))
      throw Error(name, std::string(format) + " header claims " + std::to_string(size->width) + "×" +
                            std::to_string(size->height) + " pixels, more than the limit of " +
                            std::to_string(limits.max_pixels) + " (DecodeLimits::max_pixels)");
  }
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
  if (decoded.empty()) throw Error(name, "corrupt or truncated " + std::string(format) + " data");
  // Formats whose header was not read are held to the limit once decoded (OpenCV itself refuses more than
  // 2^30 pixels before allocating).
  if (static_cast<uint64_t>(decoded.cols) > limits.max_pixels / static_cast<uint64_t>(decoded.rows))
    throw Error(name, std::string(format) + " image of " + std::to_string(decoded.cols) + "×" +
                          std::to_string(decoded.rows) + " pixels, more than the limit of " +
                          std::to_string(limits.max_pixels) + " (DecodeLimits::max_pixels)");
  return decoded;
}

Image decode_image_bytes(std::span<const uint8_t> bytes, const std::string& name, const DecodeLimits& limits) {
  return to_rgb(decode_stored_samples(bytes, name, limits), name);
}

Image decode_image(const std::filesystem::path& path, const DecodeLimits& limits) {
  const std::string name = path.string();
  return decode_image_bytes(read_file_bytes(path, "an image file"), name, limits);
}

}  // namespace winclip
