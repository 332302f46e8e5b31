#pragma once
// What a file's leading bytes say it is, and completeness checks of the PNG and JPEG containers (the
// formats of the anomaly-detection datasets), run before OpenCV decodes them.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace winclip {

// "PNG", "JPEG", "BMP", "TIFF", "WebP", "JPEG 2000", "PNM", or "" when no known signature matches.
std::string_view sniff_image_format(std::span<const uint8_t> bytes);

// What is wrong with a PNG or JPEG container, e.g. "truncated JPEG data (no end-of-image marker)", or ""
// when it is complete (and for other formats). Needed because OpenCV 4.6 decodes a truncated baseline JPEG
// without any error, filling the missing part with gray (PIL refuses it: "image file is truncated"), and
// lets libpng print its own complaints about a broken PNG on stderr.
std::string image_container_problem(std::span<const uint8_t> bytes, std::string_view format);

// Width and height as a PNG, JPEG or BMP header states them, read without decoding, so that a forged
// header is refused before anything is allocated for it; nullopt for other formats or no header found.
struct HeaderSize {
  uint64_t width = 0, height = 0;
};
std::optional<HeaderSize> image_header_size(std::span<const uint8_t> bytes, std::string_view format);

}  // namespace winclip
