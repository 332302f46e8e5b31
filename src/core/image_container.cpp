#include "core/image_container.hpp"

#include <zlib.h>

#include <algorithm>

namespace winclip {
namespace {

uint32_t read_be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 | p[3];
}

bool is_chunk_type(const uint8_t* p) {
  return std::all_of(p, p + 4, [](uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); });
}

// Walks the chunks after the signature up to IEND. Any CRC mismatch is fatal, as in Pillow ("broken PNG
// file"); libpng would only warn about one in an ancillary chunk.
std::string png_problem(std::span<const uint8_t> bytes) {
  size_t pos = 8;
  while (true) {
    if (bytes.size() - pos < 12) return "truncated PNG data (no IEND chunk)";
    const uint8_t* chunk = bytes.data() + pos;
    if (!is_chunk_type(chunk + 4)) return "corrupt PNG data (invalid chunk type at byte " + std::to_string(pos + 4) + ")";
    const std::string type(chunk + 4, chunk + 8);
    const uint32_t length = read_be32(chunk);
    if (length > 0x7FFFFFFFu || bytes.size() - pos - 12 < length)
      return "truncated PNG data (chunk " + type + " is cut short)";
    const uLong crc = ::crc32(0L, chunk + 4, static_cast<uInt>(length + 4));
    if (crc != read_be32(chunk + 8 + length))
      return "corrupt PNG data (CRC mismatch in chunk " + type + ")";
    if (type == "IEND") return "";
    pos += 12 + length;
  }
}

bool is_restart_marker(uint8_t m) { return m >= 0xD0 && m <= 0xD7; }

// Walks the marker segments after SOI up to EOI, skipping each scan's entropy-coded data (which ends at
// the first 0xFF not followed by a stuffed 0x00 or a restart marker). Stray bytes between segments are
// skipped, as libjpeg does; only a missing EOI or an impossible segment length is reported.
std::string jpeg_problem(std::span<const uint8_t> bytes) {
  const size_t n = bytes.size();
  size_t pos = 2;
  while (pos < n) {
    while (pos < n && bytes[pos] != 0xFF) ++pos;
    while (pos < n && bytes[pos] == 0xFF) ++pos;  // a marker may be preceded by fill bytes
    if (pos >= n) break;
    const uint8_t marker = bytes[pos++];
    if (marker == 0xD9) return "";                                   // EOI
    if (marker == 0x01 || is_restart_marker(marker)) continue;       // markers without a segment
    if (n - pos < 2) break;
    const size_t length = static_cast<size_t>(bytes[pos]) << 8 | bytes[pos + 1];
    if (length < 2) return "corrupt JPEG data (segment length " + std::to_string(length) + " at byte " + std::to_string(pos) + ")";
    if (n - pos < length) break;
    pos += length;
    if (marker == 0xDA) {  // SOS: entropy-coded data follows
      while (pos + 1 < n && !(bytes[pos] == 0xFF && bytes[pos + 1] != 0x00 && !is_restart_marker(bytes[pos + 1]))) ++pos;
    }
  }
  return "truncated JPEG data (no end-of-image marker)";
}

bool is_start_of_frame(uint8_t m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }

// The first SOFn segment's dimensions (precision, height, width after the length).
std::optional<HeaderSize> jpeg_frame_size(std::span<const uint8_t> bytes) {
  const size_t n = bytes.size();
  size_t pos = 2;
  while (pos < n) {
    while (pos < n && bytes[pos] != 0xFF) ++pos;
    while (pos < n && bytes[pos] == 0xFF) ++pos;
    if (pos >= n) break;
    const uint8_t marker = bytes[pos++];
    if (marker == 0xD9 || marker == 0xDA) break;  // EOI, or a scan before any frame header
    if (marker == 0x01 || is_restart_marker(marker)) continue;
    if (n - pos < 2) break;
    const size_t length = static_cast<size_t>(bytes[pos]) << 8 | bytes[pos + 1];
    if (is_start_of_frame(marker) && length >= 7 && n - pos >= 7)
      return HeaderSize{static_cast<uint64_t>(bytes[pos + 5]) << 8 | bytes[pos + 6],
                        static_cast<uint64_t>(bytes[pos + 3]) << 8 | bytes[pos + 4]};
    if (length < 2) break;
    pos += length;
  }
  return std::nullopt;
}

int64_t read_le_signed(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p[i];
  const uint64_t sign = uint64_t{1} << (8 * bytes - 1);
  return static_cast<int64_t>(v ^ sign) - static_cast<int64_t>(sign);
}

uint64_t magnitude(int64_t v) { return v < 0 ? static_cast<uint64_t>(-v) : static_cast<uint64_t>(v); }

}  // namespace

std::optional<HeaderSize> image_header_size(std::span<const uint8_t> bytes, std::string_view format) {
  if (format == "PNG" && bytes.size() >= 24 && std::equal(bytes.begin() + 12, bytes.begin() + 16, "IHDR"))
    return HeaderSize{read_be32(bytes.data() + 16), read_be32(bytes.data() + 20)};
  if (format == "JPEG") return jpeg_frame_size(bytes);
  if (format == "BMP" && bytes.size() >= 26) {
    // BITMAPCOREHEADER (12 bytes) has 16-bit sizes; every later header 32-bit ones, height negative top-down.
    if (read_le_signed(bytes.data() + 14, 4) == 12)
      return HeaderSize{magnitude(read_le_signed(bytes.data() + 18, 2)), magnitude(read_le_signed(bytes.data() + 20, 2))};
    return HeaderSize{magnitude(read_le_signed(bytes.data() + 18, 4)), magnitude(read_le_signed(bytes.data() + 22, 4))};
  }
  return std::nullopt;
}

std::string_view sniff_image_format(std::span<const uint8_t> bytes) {
  const auto starts_with = [&](std::string_view magic, size_t at = 0) {
    return bytes.size() >= at + magic.size() &&
           std::equal(magic.begin(), magic.end(), bytes.begin() + static_cast<std::ptrdiff_t>(at),
                      [](char m, uint8_t b) { return static_cast<uint8_t>(m) == b; });
  };
  using namespace std::string_view_literals;
  if (starts_with("\x89PNG\r\n\x1a\n"sv)) return "PNG";
  if (starts_with("\xff\xd8\xff"sv)) return "JPEG";
  if (starts_with("BM"sv)) return "BMP";
  if (starts_with("II*\0"sv) || starts_with("MM\0*"sv)) return "TIFF";
  if (starts_with("RIFF"sv) && starts_with("WEBP"sv, 8)) return "WebP";
  if (starts_with("\0\0\0\x0cjP  "sv) || starts_with("\xff\x4f\xff\x51"sv)) return "JPEG 2000";
  if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6') return "PNM";
  return {};
}

std::string image_container_problem(std::span<const uint8_t> bytes, std::string_view format) {
  if (format == "PNG") return png_problem(bytes);
  if (format == "JPEG") return jpeg_problem(bytes);
  return "";
}

}  // namespace winclip
