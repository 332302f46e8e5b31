#pragma once
// Decoded 8-bit RGB images and the discovery of image files on disk.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace winclip {

// 8-bit RGB, HWC, row-major: rgb[(y * width + x) * 3 + c].
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;

  bool empty() const { return width <= 0 || height <= 0; }
  const uint8_t* pixel(int x, int y) const { return rgb.data() + (static_cast<size_t>(y) * width + x) * 3; }
};

// Decodes a PNG, JPEG, BMP, TIFF, WebP, JPEG 2000 or PNM file into RGB the way PIL's convert("RGB") does
// for the images anomaly-detection datasets contain: grayscale is replicated, alpha is dropped (not
// composited), palettes are expanded. 16-bit samples keep their high byte (v >> 8), as Pillow does when it
// opens 16-bit RGB/RGBA PNGs. EXIF orientation is NOT applied (neither PIL nor open_clip applies it).
// Throws Error naming the file for a missing, empty, unreadable, corrupt or non-image file.
Image decode_image(const std::filesystem::path& path);
// The same for bytes already in memory; `name` is used in error messages.
Image decode_image_bytes(std::span<const uint8_t> bytes, const std::string& name);
// The same with a limit on width × height (0: none), for bytes from outside: an image whose header claims
// more pixels is refused (Error naming `name`) before any memory is allocated for its pixels.
Image decode_image_bytes(std::span<const uint8_t> bytes, const std::string& name, int64_t max_pixels);

// True for the extensions decode_image reads (case-insensitive): png jpg jpeg jpe bmp dib tif tiff webp
// jp2 pbm pgm ppm pnm.
bool has_image_extension(const std::filesystem::path& path);

// Expands command-line arguments into image files. Files are kept in the given order whatever their
// extension (decoding reports a non-image); directories are walked recursively and contribute their
// image files sorted by path, skipping hidden entries (names starting with '.', e.g. macOS "._x.png").
// Throws Error for a path that does not exist or a directory without any image.
std::vector<std::filesystem::path> collect_images(const std::vector<std::string>& args);

}  // namespace winclip
