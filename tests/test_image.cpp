// Image decoding (channel layouts, bit depths, bad files) and image discovery on disk.
#include <gtest/gtest.h>

#include <limits>

#include <cstring>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/image_header.hpp"
#include "test_support.hpp"
#include "winclip/error.hpp"
#include "winclip/image.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

// A minimal PNG writer (one stored, uncompressed deflate block), so that every test image is spelled out
// next to the pixels it must decode to.
std::string zlib_stored(const std::string& raw) {
  uint32_t a = 1, b = 0;
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  const auto len = static_cast<uint16_t>(raw.size());
  const auto nlen = static_cast<uint16_t>(~len);
  std::string out = "\x78\x01\x01";  // zlib header; final block, stored
  out += {static_cast<char>(len & 0xFF), static_cast<char>(len >> 8), static_cast<char>(nlen & 0xFF),
          static_cast<char>(nlen >> 8)};
  return out + raw + test::be32((b << 16) | a);
}

// `samples` holds the rows' bytes (big-endian for 16-bit); each row gets filter type 0 (none).
std::string png(int width, int height, int bit_depth, int color_type, const std::vector<uint8_t>& samples,
                const std::string& extra_chunks = "") {
  const size_t row_len = samples.size() / height;
  std::string raw;
  for (int y = 0; y < height; ++y) {
    raw += '\0';
    raw.append(reinterpret_cast<const char*>(samples.data()) + y * row_len, row_len);
  }
  const std::string header = test::be32(width) + test::be32(height) +
                             std::string{static_cast<char>(bit_depth), static_cast<char>(color_type), 0, 0, 0};
  return std::string("\x89PNG\r\n\x1a\n", 8) + test::png_chunk("IHDR", header) + extra_chunks + test::png_chunk("IDAT", zlib_stored(raw)) +
         test::png_chunk("IEND", "");
}

Image decode(const std::string& bytes) {
  return decode_image_bytes({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, "test.png");
}

// The message of the Error `decode_image(path)` throws; fails the test if it does not throw.
std::string decode_error(const fs::path& path) {
  try {
    decode_image(path);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for " << path;
  return "";
}


// The header's claimed size, checked against a limit before anything is decoded or allocated.
Image decode_limited(const std::string& bytes, uint64_t max_pixels) {
  return decode_image_bytes({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, "big",
                            DecodeLimits{.max_pixels = max_pixels});
}

std::string limited_error(const std::string& bytes, uint64_t max_pixels) {
  try {
    decode_limited(bytes, max_pixels);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

std::string le16(uint32_t v) { return {static_cast<char>(v), static_cast<char>(v >> 8)}; }
std::string le32(uint32_t v) { return le16(v) + le16(v >> 16); }

}  // namespace

TEST(DecodeImageLimits, PngClaimingSixtyThousandSquaredIsRefusedFromItsHeader) {
  // A valid container around a tiny IDAT: only the header claims 60000×60000 (10.8 GB of RGB).
  const std::string header = test::be32(60000) + test::be32(60000) + std::string{8, 2, 0, 0, 0};
  const std::string bomb = std::string("\x89PNG\r\n\x1a\n", 8) + test::png_chunk("IHDR", header) +
                           test::png_chunk("IDAT", zlib_stored(std::string(64, '\0'))) + test::png_chunk("IEND", "");
  const std::string message = limited_error(bomb, 50'000'000);
  test::expect_mentions(message, "big: PNG header claims 60000×60000 pixels");
  test::expect_mentions(message, "limit of 50000000");
}

TEST(DecodeImageLimits, ImagesAtTheLimitDecodeAndOneMorePixelIsRefused) {
  const std::string four_by_three = png(4, 3, 8, 0, std::vector<uint8_t>(12, 7));
  EXPECT_EQ(decode_limited(four_by_three, 12).width, 4);
  test::expect_mentions(limited_error(four_by_three, 11), "PNG header claims 4×3 pixels");
  // A JPEG's start-of-frame segment gives the same size the decoder does.
  const std::string jpeg = test::read_bytes(test::data_path("images/exif_orientation6.jpg"));
  const Image decoded = decode_limited(jpeg, std::numeric_limits<uint64_t>::max());
  const uint64_t pixels = uint64_t(decoded.width) * uint64_t(decoded.height);
  EXPECT_EQ(decode_limited(jpeg, pixels).height, decoded.height);
  test::expect_mentions(limited_error(jpeg, pixels - 1), "JPEG header claims " + std::to_string(decoded.width) + "×" +
                                                       std::to_string(decoded.height));
}

TEST(DecodeImageLimits, HeadersOfTheOtherFormatsAreReadToo) {
  // Headers alone, each claiming a size far over the limit: refused by the claim, never handed to a decoder.
  const std::string bmp =
      "BM" + le32(0) + le32(0) + le32(54) + le32(40) + le32(70000) + le32(static_cast<uint32_t>(-70000));
  const std::string tiff = std::string("II*\0", 4) + le32(8) + le16(2) + le16(256) + le16(4) + le32(1) + le32(50000) +
                           le16(257) + le16(3) + le32(1) + le16(40000) + le16(0) + le32(0);
  const std::string pnm = "P6\n# a comment\n70000 70001\n255\n";
  // VP8X: 60000 x 40000, stored minus one, in 24 bits.
  const std::string webp = "RIFF" + le32(30) + "WEBPVP8X" + le32(10) + le32(0) +
                           std::string{0x5F, static_cast<char>(0xEA), 0} + std::string{0x3F, static_cast<char>(0x9C), 0};
  const std::string j2k = std::string("\xff\x4f\xff\x51", 4) + test::be32(0x00290000) + test::be32(80000) + test::be32(90000) +
                          test::be32(0) + test::be32(0);
  const std::pair<std::string, std::string> cases[] = {{bmp, "BMP header claims 70000×70000"},
                                                       {tiff, "TIFF header claims 50000×40000"},
                                                       {pnm, "PNM header claims 70000×70001"},
                                                       {webp, "WebP header claims 60000×40000"},
                                                       {j2k, "JPEG 2000 header claims 80000×90000"}};
  for (const auto& [bytes, expected] : cases) test::expect_mentions(limited_error(bytes, 1'000'000), expected);
}

TEST(DecodeImage, RgbPngKeepsChannelOrder) {
  const Image img = decode(png(2, 1, 8, 2, {10, 20, 30, 40, 50, 60}));
  EXPECT_EQ(img.width, 2);
  EXPECT_EQ(img.height, 1);
  EXPECT_EQ(img.rgb, (std::vector<uint8_t>{10, 20, 30, 40, 50, 60}));
}

TEST(DecodeImage, GrayscaleIsReplicated) {
  const Image img = decode(png(2, 2, 8, 0, {0, 7, 128, 255}));
  EXPECT_EQ(img.rgb, (std::vector<uint8_t>{0, 0, 0, 7, 7, 7, 128, 128, 128, 255, 255, 255}));
}

TEST(DecodeImage, GrayAlphaDropsAlpha) {
  const Image img = decode(png(2, 1, 8, 4, {90, 0, 200, 255}));
  EXPECT_EQ(img.rgb, (std::vector<uint8_t>{90, 90, 90, 200, 200, 200}));
}

TEST(DecodeImage, RgbaDropsAlphaWithoutCompositing) {
  // A fully transparent pixel keeps its colour, as PIL's convert("RGB") does.
  const Image img = decode(png(2, 1, 8, 6, {1, 2, 3, 0, 250, 251, 252, 128}));
  EXPECT_EQ(img.rgb, (std::vector<uint8_t>{1, 2, 3, 250, 251, 252}));
}

TEST(DecodeImage, SixteenBitKeepsTheHighByte) {
  // Pillow's "RGB;16B" unpacking: 0x12FF -> 0x12, 0xFFFF -> 0xFF, 0x00FF -> 0x00, 0x8000 -> 0x80.
  const Image rgb = decode(png(1, 1, 16, 2, {0x12, 0xFF, 0xFF, 0xFF, 0x00, 0xFF}));
  EXPECT_EQ(rgb.rgb, (std::vector<uint8_t>{0x12, 0xFF, 0x00}));
  const Image rgba = decode(png(1, 1, 16, 6, {0x80, 0x00, 0x01, 0x00, 0x00, 0x00, 0x12, 0x34}));
  EXPECT_EQ(rgba.rgb, (std::vector<uint8_t>{0x80, 0x01, 0x00}));
  const Image gray = decode(png(2, 1, 16, 0, {0xAB, 0xCD, 0x01, 0x02}));
  EXPECT_EQ(gray.rgb, (std::vector<uint8_t>{0xAB, 0xAB, 0xAB, 0x01, 0x01, 0x01}));
}

TEST(DecodeImage, PaletteIsExpandedEvenWithTransparency) {
  const std::string palette = test::png_chunk("PLTE", std::string{10, 20, 30, 40, 50, 60});
  const std::string transparency = test::png_chunk("tRNS", std::string{0, static_cast<char>(255)});
  const std::vector<uint8_t> indices{1, 0, 1};
  EXPECT_EQ(decode(png(3, 1, 8, 3, indices, palette)).rgb, (std::vector<uint8_t>{40, 50, 60, 10, 20, 30, 40, 50, 60}));
  EXPECT_EQ(decode(png(3, 1, 8, 3, indices, palette + transparency)).rgb,
            (std::vector<uint8_t>{40, 50, 60, 10, 20, 30, 40, 50, 60}));
}

TEST(DecodeImage, JpegIsRgbAndIgnoresExifOrientation) {
  // 16×8, left half red, right half blue, EXIF Orientation = 6 (see tests/data/images/README.md).
  const Image img = decode_image(test::data_path("images/exif_orientation6.jpg"));
  ASSERT_EQ(img.width, 16);
  ASSERT_EQ(img.height, 8);
  const uint8_t* left = img.pixel(2, 4);
  const uint8_t* right = img.pixel(13, 4);
  EXPECT_GT(left[0], 200);
  EXPECT_LT(left[2], 60);
  EXPECT_LT(right[0], 60);
  EXPECT_GT(right[2], 200);
}

TEST(DecodeImage, FileAndBytesAgreeOnAFixture) {
  const fs::path path = test::data_path("openclip/images/img_402x300.png");
  const Image from_file = decode_image(path);
  const std::string bytes = test::read_bytes(path);
  const Image from_bytes = decode(bytes);
  EXPECT_EQ(from_file.width, 402);
  EXPECT_EQ(from_file.height, 300);
  EXPECT_EQ(from_file.rgb, from_bytes.rgb);
}

TEST(DecodeImageErrors, MissingFileAndDirectory) {
  test::TempDir tmp;
  const std::string missing = decode_error(tmp / "nope.png");
  test::expect_mentions(missing, "nope.png");
  test::expect_mentions(missing, "no such file");
  const std::string dir = decode_error(tmp.path());
  test::expect_mentions(dir, tmp.path().string());
  test::expect_mentions(dir, "directory");
}

TEST(DecodeImageErrors, EmptyFile) {
  test::TempDir tmp;
  test::write_bytes(tmp / "empty.png", "");
  const std::string message = decode_error(tmp / "empty.png");
  test::expect_mentions(message, "empty.png");
  test::expect_mentions(message, "empty file");
}

TEST(DecodeImageErrors, TruncatedAndCorruptPng) {
  test::TempDir tmp;
  const std::string good = test::read_bytes(test::data_path("openclip/images/img_150x191.png"));
  test::write_bytes(tmp / "truncated.png", good.substr(0, good.size() / 2));
  std::string corrupt = good;
  corrupt[good.size() / 2] = static_cast<char>(corrupt[good.size() / 2] ^ 0x5A);  // inside the IDAT chunk
  test::write_bytes(tmp / "corrupt.png", corrupt);
  // Chunks intact, but the compressed pixel data is garbage: only the decoder can tell.
  test::write_bytes(tmp / "garbage.png", std::string("\x89PNG\r\n\x1a\n", 8) +
                                             test::png_chunk("IHDR", test::be32(1) + test::be32(1) + std::string{8, 2, 0, 0, 0}) +
                                             test::png_chunk("IDAT", "not deflate data") + test::png_chunk("IEND", ""));
  const std::pair<const char*, const char*> cases[] = {
      {"truncated.png", "truncated PNG data"},
      {"corrupt.png", "CRC mismatch in chunk IDAT"},
      {"garbage.png", "corrupt or truncated PNG data"},
  };
  for (const auto& [name, problem] : cases) {
    const std::string message = decode_error(tmp / name);
    test::expect_mentions(message, name);
    test::expect_mentions(message, problem);
  }
}

TEST(DecodeImageErrors, TruncatedJpeg) {
  // OpenCV alone would return the truncated JPEG with its missing part filled gray.
  test::TempDir tmp;
  const std::string good = test::read_bytes(test::data_path("images/exif_orientation6.jpg"));
  test::write_bytes(tmp / "cut.jpg", good.substr(0, good.size() - 40));
  const std::string message = decode_error(tmp / "cut.jpg");
  test::expect_mentions(message, "cut.jpg");
  test::expect_mentions(message, "truncated JPEG data");
}

TEST(DecodeImageErrors, TextFileNamedPng) {
  test::TempDir tmp;
  test::write_bytes(tmp / "notes.png", "these are notes, not pixels\n");
  const std::string message = decode_error(tmp / "notes.png");
  test::expect_mentions(message, "notes.png");
  test::expect_mentions(message, "not an image");
}

// A 1×1 uncompressed little-endian TIFF whose one sample is a 32-bit IEEE float, which OpenCV decodes to CV_32FC1.
std::string float_tiff() {
  const auto u16 = [](uint16_t v) { return std::string{static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)}; };
  const auto u32 = [&](uint32_t v) { return u16(static_cast<uint16_t>(v & 0xFFFF)) + u16(static_cast<uint16_t>(v >> 16)); };
  // tag, type (3 SHORT, 4 LONG), value; ascending tags as TIFF requires.
  const std::vector<std::tuple<uint16_t, uint16_t, uint32_t>> entries = {
      {256, 4, 1}, {257, 4, 1}, {258, 3, 32}, {259, 3, 1}, {262, 3, 1}, {273, 4, 0}, {277, 3, 1},
      {278, 4, 1}, {279, 4, 4}, {339, 3, 3}};
  const uint32_t data_offset = 8 + 2 + 12 * static_cast<uint32_t>(entries.size()) + 4;
  std::string tiff = "II*" + std::string(1, '\0') + u32(8) + u16(static_cast<uint16_t>(entries.size()));
  for (const auto& [tag, type, value] : entries)
    tiff += u16(tag) + u16(type) + u32(1) + (type == 3 ? u16(static_cast<uint16_t>(value)) + u16(0)
                                                        : u32(tag == 273 ? data_offset : value));
  tiff += u32(0);  // no next IFD
  const float sample = 0.5f;
  tiff.append(reinterpret_cast<const char*>(&sample), sizeof sample);
  return tiff;
}

TEST(DecodeImageErrors, FloatImagesAreRefused) {
  test::TempDir tmp;
  test::write_bytes(tmp / "float.tif", float_tiff());
  const std::string message = decode_error(tmp / "float.tif");
  test::expect_mentions(message, "float.tif");
  test::expect_mentions(message, "unsupported sample type");
}

// Each file (name, bytes) is refused with an error naming it and mentioning `problem`.
void expect_decode_refuses(std::initializer_list<std::pair<const char*, std::string>> files, const std::string& problem) {
  test::TempDir tmp;
  for (const auto& [name, bytes] : files) {
    test::write_bytes(tmp / name, bytes);
    const std::string message = decode_error(tmp / name);
    test::expect_mentions(message, name);
    test::expect_mentions(message, problem);
  }
}

TEST(DecodeImageErrors, FormatsOutsideTheSupportedOnesNeverReachOpenCv) {
  // OpenCV would decode each of these (PFM, PAM, Radiance HDR, Sun raster), and hands DICOM to GDCM, which
  // aborts the process on a malformed file (tests/data/fuzz-regressions/ground_truth): all are refused unread.
  std::string pfm = "PF\n1 1\n-1.0\n";
  const float rgb[3] = {0.25f, 0.5f, 1.0f};
  pfm.append(reinterpret_cast<const char*>(rgb), sizeof rgb);
  expect_decode_refuses({
      {"float.pfm", pfm},
      {"tuple.pam", "P7\nWIDTH 1\nHEIGHT 1\nDEPTH 1\nMAXVAL 255\nTUPLTYPE GRAYSCALE\nENDHDR\n" + std::string(1, '\x80')},
      {"radiance.hdr", "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 1\n" + std::string(4, '\x80')},
      {"scan.png", std::string(128, '\0') + "DICM" + std::string(64, '\0')},
  }, "not an image: the data matches no supported image format");
}

TEST(DecodeImageErrors, DicomSignatureInAFileOfOurFormatsIsRefused) {
  // A JPEG 2000 codestream or a WebP file with "DICM" at byte 128: OpenCV's DICOM decoder comes first in its
  // list and claims them (found by fuzz_ground_truth, tests/data/fuzz-regressions/ground_truth).
  std::string j2k = std::string("\xff\x4f\xff\x51", 4) + std::string(124, '\x8f') + "DICM" + std::string(64, '\x8f');
  std::string webp = "RIFF" + std::string("\x40\0\0\0", 4) + "WEBPVP8 " + std::string(112, '\0') + "DICM" +
                     std::string(64, '\0');
  expect_decode_refuses({{"codestream.j2k", j2k}, {"picture.webp", webp}}, "DICOM data (\"DICM\" at byte 128)");
}

TEST(DecodeImageErrors, PnmNumbersAreReadAsOpenCvReadsThemSoTheirClaimIsChecked) {
  // Width 996000 ended by a byte that is not whitespace, which OpenCV's reader skips all the same: 992 million
  // 16-bit RGB pixels (6 GB) unless the header check reads the number as OpenCV does (found by fuzz_image).
  test::TempDir tmp;
  test::write_bytes(tmp / "claim.ppm", std::string("P6\n000000996000\xeb" "996\n0996\n") + std::string(16, '\x01'));
  const std::string message = decode_error(tmp / "claim.ppm");
  test::expect_mentions(message, "claim.ppm");
  test::expect_mentions(message, "PNM header claims 996000×996 pixels, more than the limit");
}

TEST(ImageHeaderDimensions, JpegStuffedZeroBeforeTheFrameIsSkippedAsLibjpegSkipsIt) {
  // SOI, then FF 00 (not a marker) and two bytes that would read as a segment length of 256, then the frame
  // header: 8 rows of 16 (found by fuzz_image: the claim must be what libjpeg decodes).
  const std::string jpeg = std::string("\xff\xd8\xff\x00\x01\x00", 6) +
                           std::string("\xff\xc0\x00\x11\x08\x00\x08\x00\x10\x03", 10) + std::string(300, '\0');
  const auto dims = image_header_dimensions({reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size()}, "JPEG");
  ASSERT_TRUE(dims.has_value());
  EXPECT_EQ(dims->width, 16);
  EXPECT_EQ(dims->height, 8);
}

TEST(ImageHeaderDimensions, TiffRepeatedTagCountsItsFirstValueAsLibtiffDoes) {
  // Little-endian, IFD at 8 with ImageWidth 88, ImageLength 5, ImageWidth 18 again (found by fuzz_image).
  const auto entry = [](uint16_t tag, uint16_t value) {
    return std::string{static_cast<char>(tag & 0xFF), static_cast<char>(tag >> 8), 3, 0, 1, 0, 0, 0,
                       static_cast<char>(value & 0xFF), static_cast<char>(value >> 8), 0, 0};
  };
  const std::string tiff = std::string("II*\0\x08\0\0\0\x03\0", 10) + entry(256, 88) + entry(257, 5) + entry(256, 18) +
                           std::string(4, '\0');
  const auto dims = image_header_dimensions({reinterpret_cast<const uint8_t*>(tiff.data()), tiff.size()}, "TIFF");
  ASSERT_TRUE(dims.has_value());
  EXPECT_EQ(dims->width, 88);
  EXPECT_EQ(dims->height, 5);
}

TEST(ImageExtension, KnownExtensionsAnyCase) {
  for (const char* name : {"a.png", "b.PNG", "c.JpG", "d.jpeg", "e.bmp", "f.tif", "g.tiff", "h.webp", "x.tar.png"})
    EXPECT_TRUE(has_image_extension(name)) << name;
  for (const char* name : {"a.txt", "b.npy", "png", ".png", "c.png.bak", "d"})
    EXPECT_FALSE(has_image_extension(name)) << name;
}

TEST(CollectImages, FilesInOrderThenSortedDirectoryWalk) {
  test::TempDir tmp;
  const fs::path root = tmp / "root";
  for (const char* dir : {"b", "a/sub", ".hidden"}) fs::create_directories(root / dir);
  for (const char* file : {"b/2.png", "a/sub/0.PNG", "a/1.jpg", "c.png", "notes.txt", ".hidden/x.png", "._y.png",
                           "a-b.png"})
    test::write_bytes(root / file, "x");
  test::write_bytes(tmp / "z.png", "x");
  test::write_bytes(tmp / "explicit.txt", "x");

  const std::vector<fs::path> got =
      collect_images({(tmp / "z.png").string(), root.string(), (tmp / "explicit.txt").string()});
  // Component-wise path order: "a" < "a-b.png" < "b" < "c.png"; hidden entries and non-images skipped;
  // explicitly named files kept whatever their extension.
  const std::vector<fs::path> expected = {tmp / "z.png",     root / "a/1.jpg", root / "a/sub/0.PNG", root / "a-b.png",
                                          root / "b/2.png",  root / "c.png",   tmp / "explicit.txt"};
  EXPECT_EQ(got, expected);
}

TEST(CollectImages, MissingPathAndImagelessDirectoryAreErrors) {
  test::TempDir tmp;
  fs::create_directories(tmp / "empty");
  test::write_bytes(tmp / "empty/readme.txt", "x");
  try {
    collect_images({(tmp / "missing").string()});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    test::expect_mentions(e.what(), "missing");
    test::expect_mentions(e.what(), "no such file");
  }
  try {
    collect_images({(tmp / "empty").string()});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    test::expect_mentions(e.what(), "empty");
    test::expect_mentions(e.what(), "no image files");
  }
}

TEST(Image, HeaderClaimingMorePixelsThanTheLimitIsRefusedBeforeDecoding) {
  const std::string png = test::read_bytes(test::data_path("winclip/images/test_0_good.png"));
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(png.data()), png.size());
  const Image decoded = decode_image_bytes(bytes, "good.png");
  const uint64_t pixels = static_cast<uint64_t>(decoded.width) * static_cast<uint64_t>(decoded.height);
  EXPECT_NO_THROW(decode_image_bytes(bytes, "good.png", DecodeLimits{.max_pixels = pixels}));
  try {
    decode_image_bytes(bytes, "good.png", DecodeLimits{.max_pixels = pixels - 1});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string expected = "good.png: PNG header claims " + std::to_string(decoded.width) + "×" +
                                 std::to_string(decoded.height) + " pixels, more than the limit of " +
                                 std::to_string(pixels - 1);
    EXPECT_EQ(std::string(e.what()).find(expected), 0u) << e.what();
  }
  // A BMP's header: 54 bytes of headers for 70000 × -70000 (top-down) pixels, no pixel data.
  std::string bmp = "BM" + std::string(12, '\0');
  auto le32 = [&](uint32_t v) { for (int i = 0; i < 4; ++i) bmp += static_cast<char>((v >> (8 * i)) & 0xff); };
  le32(40);
  le32(70000);
  le32(static_cast<uint32_t>(-70000));
  bmp += std::string(28, '\0');
  const std::span<const uint8_t> bmp_bytes(reinterpret_cast<const uint8_t*>(bmp.data()), bmp.size());
  try {
    decode_image_bytes(bmp_bytes, "huge.bmp");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("huge.bmp: BMP header claims 70000×70000 pixels"), std::string::npos)
        << e.what();
  }
}
