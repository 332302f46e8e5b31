#pragma once
// The pixel dimensions an image file's header claims, read from its first bytes without decoding, so that a
// caller can refuse a picture too large for its memory before anything is allocated for it.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace winclip {

struct ImageDimensions {
  int64_t width = 0, height = 0;
};

// `format` as sniff_image_format names it. Reads PNG (IHDR), JPEG (the first SOF segment), BMP, WebP (VP8,
// VP8L, VP8X), PNM, TIFF (the first IFD) and JPEG 2000 (the jp2h/ihdr box or the codestream's SIZ segment).
// nullopt when the header is cut short, malformed or of another format: the decoder then gives its own error.
std::optional<ImageDimensions> image_header_dimensions(std::span<const uint8_t> bytes, std::string_view format);

}  // namespace winclip
