#pragma once
// The checked decoding step shared by the images the model sees and the masks evaluation reads: the pixel
// limit from the header before anything is allocated, the PNG/JPEG container checks, then OpenCV.
#include <cstdint>
#include <span>
#include <string>

#include <opencv2/core.hpp>

#include "winclip/image.hpp"

namespace winclip {

// The file's samples as stored (its channels, 8- or 16-bit), EXIF orientation not applied. Throws Error
// naming `name` for empty, oversized, truncated, corrupt or non-image bytes and for more pixels than `limits`.
cv::Mat decode_stored_samples(std::span<const uint8_t> bytes, const std::string& name, const DecodeLimits& limits);

}  // namespace winclip
