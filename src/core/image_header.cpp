#include "core/image_header.hpp"

#include <cctype>
#include <climits>

namespace winclip {
namespace {

// Every reader below checks the length before each read: the bytes come from outside.
struct HeaderBytes {
  std::span<const uint8_t> bytes;
  bool has(size_t at, size_t count) const { return at <= bytes.size() && bytes.size() - at >= count; }
  uint32_t be16(size_t at) const { return static_cast<uint32_t>(bytes[at]) << 8 | bytes[at + 1]; }
  uint32_t le16(size_t at) const { return static_cast<uint32_t>(bytes[at + 1]) << 8 | bytes[at]; }
  uint32_t be32(size_t at) const { return be16(at) << 16 | be16(at + 2); }
  uint32_t le32(size_t at) const { return le16(at + 2) << 16 | le16(at); }
  uint32_t le24(size_t at) const { return static_cast<uint32_t>(bytes[at + 2]) << 16 | le16(at); }
};

std::optional<ImageDimensions> claimed_dimensions(int64_t width, int64_t height) {
  if (width <= 0 || height <= 0) return std::nullopt;
  return ImageDimensions{width, height};
}

std::optional<ImageDimensions> png_dimensions(const HeaderBytes& h) {
  // Signature (8), then the first chunk must be IHDR: length (4), type (4), width (4), height (4).
  if (!h.has(8, 16) || h.bytes[12] != 'I' || h.bytes[13] != 'H' || h.bytes[14] != 'D' || h.bytes[15] != 'R')
    return std::nullopt;
  return claimed_dimensions(h.be32(16), h.be32(20));
}

bool is_start_of_frame(uint8_t marker) {
  // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

std::optional<ImageDimensions> jpeg_dimensions(const HeaderBytes& h) {
  size_t pos = 2;
  const size_t n = h.bytes.size();
  while (pos < n) {
    while (pos < n && h.bytes[pos] != 0xFF) ++pos;
    while (pos < n && h.bytes[pos] == 0xFF) ++pos;
    if (pos >= n) break;
    const uint8_t marker = h.bytes[pos++];
    // FF 00 is not a marker: libjpeg's marker reader discards it with the bytes before and goes on looking.
    // Read as a segment, its next two bytes would be taken for a length and skip the real frame.
    if (marker == 0x00) continue;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;  // no segment
    if (marker == 0xD9 || marker == 0xDA || !h.has(pos, 2)) break;       // EOI or a scan before any frame
    const size_t length = h.be16(pos);
    if (length < 2) break;
    // Segment: length (2), precision (1), height (2), width (2). A height of 0 is defined later by a DNL
    // segment; the decoder then decides.
    if (is_start_of_frame(marker))
      return h.has(pos, 7) ? claimed_dimensions(h.be16(pos + 5), h.be16(pos + 3)) : std::nullopt;
    pos += length;
  }
  return std::nullopt;
}

std::optional<ImageDimensions> bmp_dimensions(const HeaderBytes& h) {
  // File header (14), then the DIB header's size: 12 for the OS/2 core header (16-bit sizes), else 32-bit
  // signed sizes, a negative height meaning rows stored top-down.
  if (!h.has(14, 4)) return std::nullopt;
  if (h.le32(14) == 12) return h.has(18, 4) ? claimed_dimensions(h.le16(18), h.le16(20)) : std::nullopt;
  if (!h.has(18, 8)) return std::nullopt;
  const auto width = static_cast<int32_t>(h.le32(18)), height = static_cast<int32_t>(h.le32(22));
  return claimed_dimensions(width, height < 0 ? -static_cast<int64_t>(height) : height);
}

std::optional<ImageDimensions> webp_dimensions(const HeaderBytes& h) {
  if (!h.has(12, 8)) return std::nullopt;
  const std::string_view chunk(reinterpret_cast<const char*>(h.bytes.data() + 12), 4);
  if (chunk == "VP8 " && h.has(23, 7) && h.bytes[23] == 0x9D && h.bytes[24] == 0x01 && h.bytes[25] == 0x2A)
    return claimed_dimensions(h.le16(26) & 0x3FFF, h.le16(28) & 0x3FFF);
  if (chunk == "VP8L" && h.has(20, 5) && h.bytes[20] == 0x2F) {
    const uint32_t bits = h.le32(21);
    return claimed_dimensions((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
  }
  if (chunk == "VP8X" && h.has(24, 6)) return claimed_dimensions(int64_t{h.le24(24)} + 1, int64_t{h.le24(27)} + 1);
  return std::nullopt;
}

std::optional<ImageDimensions> pnm_dimensions(const HeaderBytes& h) {
  // "P<n>", then width and height as decimal numbers after whitespace and '#' comments, read as OpenCV's
  // PxM decoder reads them: any number of leading zeros, values above INT_MAX refused, and the one
  // byte after a number consumed whatever it is. A stricter reading would return nullopt for headers OpenCV
  // accepts, and their claim would go unchecked.
  size_t pos = 2;
  int64_t values[2] = {0, 0};
  for (int64_t& value : values) {
    while (pos < h.bytes.size()) {
      if (h.bytes[pos] == '#') {
        while (pos < h.bytes.size() && h.bytes[pos] != '\n' && h.bytes[pos] != '\r') ++pos;
      } else if (std::isspace(h.bytes[pos])) {
        ++pos;
      } else {
        break;
      }
    }
    int digits = 0;
    for (; pos < h.bytes.size() && std::isdigit(h.bytes[pos]); ++pos, ++digits) {
      value = value * 10 + (h.bytes[pos] - '0');
      if (value > INT_MAX) return std::nullopt;  // OpenCV refuses it too
    }
    if (digits == 0) return std::nullopt;
    ++pos;  // the terminating byte
  }
  return claimed_dimensions(values[0], values[1]);
}

std::optional<ImageDimensions> tiff_dimensions(const HeaderBytes& h) {
  if (!h.has(0, 8)) return std::nullopt;
  const bool little = h.bytes[0] == 'I';
  auto u16 = [&](size_t at) { return little ? h.le16(at) : h.be16(at); };
  auto u32 = [&](size_t at) { return little ? h.le32(at) : h.be32(at); };
  const size_t ifd = u32(4);
  if (!h.has(ifd, 2)) return std::nullopt;
  const size_t entries = u16(ifd);
  std::optional<int64_t> width, height;
  for (size_t i = 0; i < entries; ++i) {
    const size_t at = ifd + 2 + i * 12;
    if (!h.has(at, 12)) return std::nullopt;
    const uint32_t tag = u16(at), type = u16(at + 2);
    if (tag != 256 && tag != 257) continue;  // ImageWidth, ImageLength
    // A repeated tag: libtiff keeps the first (found by fuzz_image: the claim must be what it decodes).
    std::optional<int64_t>& field = tag == 256 ? width : height;
    if (field) continue;
    // SHORT values sit in the first two bytes of the value field, LONG values fill it.
    field = type == 3 ? u16(at + 8) : type == 4 ? u32(at + 8) : 0;
  }
  if (!width || !height) return std::nullopt;
  return claimed_dimensions(*width, *height);
}

std::optional<ImageDimensions> jpeg2000_dimensions(const HeaderBytes& h) {
  if (h.has(0, 4) && h.bytes[0] == 0xFF && h.bytes[1] == 0x4F) {
    // Codestream: SOC, then SIZ: marker (2), Lsiz (2), Rsiz (2), Xsiz, Ysiz, XOsiz, YOsiz (4 each).
    if (!h.has(2, 22) || h.bytes[2] != 0xFF || h.bytes[3] != 0x51) return std::nullopt;
    return claimed_dimensions(int64_t{h.be32(8)} - h.be32(16), int64_t{h.be32(12)} - h.be32(20));
  }
  // JP2: boxes of length (4), type (4); the header superbox jp2h holds ihdr: height (4), width (4).
  auto find_box = [&](size_t begin, size_t end, std::string_view type) -> std::optional<size_t> {
    for (size_t pos = begin; pos + 8 <= end && h.has(pos, 8);) {
      uint64_t length = h.be32(pos);
      size_t header = 8;
      if (length == 1) {  // a 64-bit length follows the type
        if (!h.has(pos + 8, 8)) return std::nullopt;
        length = uint64_t{h.be32(pos + 8)} << 32 | h.be32(pos + 12);
        header = 16;
      } else if (length == 0) {
        length = end - pos;  // the box runs to the end
      }
      if (length < header || length > end - pos) return std::nullopt;
      if (std::string_view(reinterpret_cast<const char*>(h.bytes.data() + pos + 4), 4) == type) return pos + header;
      pos += length;
    }
    return std::nullopt;
  };
  const auto header = find_box(0, h.bytes.size(), "jp2h");
  if (!header) return std::nullopt;
  const auto ihdr = find_box(*header, h.bytes.size(), "ihdr");
  if (!ihdr || !h.has(*ihdr, 8)) return std::nullopt;
  return claimed_dimensions(h.be32(*ihdr + 4), h.be32(*ihdr));
}

}  // namespace

std::optional<ImageDimensions> image_header_dimensions(std::span<const uint8_t> bytes, std::string_view format) {
  const HeaderBytes h{bytes};
  if (format == "PNG") return png_dimensions(h);
  if (format == "JPEG") return jpeg_dimensions(h);
  if (format == "BMP") return bmp_dimensions(h);
  if (format == "WebP") return webp_dimensions(h);
  if (format == "PNM") return pnm_dimensions(h);
  if (format == "TIFF") return tiff_dimensions(h);
  if (format == "JPEG 2000") return jpeg2000_dimensions(h);
  return std::nullopt;
}

}  // namespace winclip
