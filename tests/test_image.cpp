// Image decoding (channel layouts, bit depths, bad files) and image discovery on disk.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>

#include "test_support.hpp"
#include "winclip/error.hpp"
#include "winclip/image.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

// A minimal PNG writer (one stored, uncompressed deflate block), so that every test image is spelled out
// next to the pixels it must decode to.
std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

uint32_t crc32(const std::string& bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

std::string chunk(const std::string& type, const std::string& data) {
  return be32(static_cast<uint32_t>(data.size())) + type + data + be32(crc32(type + data));
}

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
  return out + raw + be32((b << 16) | a);
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
  const std::string header = be32(width) + be32(height) +
                             std::string{static_cast<char>(bit_depth), static_cast<char>(color_type), 0, 0, 0};
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", header) + extra_chunks + chunk("IDAT", zlib_stored(raw)) +
         chunk("IEND", "");
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

void expect_mentions(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << "'" << message << "' lacks '" << part << "'";
}


// The header's claimed size, checked against a limit before anything is decoded or allocated.
Image decode_limited(const std::string& bytes, int64_t max_pixels) {
  return decode_image_bytes({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, "big", max_pixels);
}

std::string limited_error(const std::string& bytes, int64_t max_pixels) {
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
  const std::string header = be32(60000) + be32(60000) + std::string{8, 2, 0, 0, 0};
  const std::string bomb = std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", header) +
                           chunk("IDAT", zlib_stored(std::string(64, '\0'))) + chunk("IEND", "");
  const std::string message = limited_error(bomb, 50'000'000);
  expect_mentions(message, "big: PNG image of 60000x60000 pixels");
  expect_mentions(message, "limit of 50000000");
}

TEST(DecodeImageLimits, ImagesAtTheLimitDecodeAndOneMorePixelIsRefused) {
  const std::string four_by_three = png(4, 3, 8, 0, std::vector<uint8_t>(12, 7));
  EXPECT_EQ(decode_limited(four_by_three, 12).width, 4);
  expect_mentions(limited_error(four_by_three, 11), "PNG image of 4x3 pixels");
  // A JPEG's start-of-frame segment gives the same size the decoder does.
  const std::string jpeg = test::read_bytes(test::data_path("images/exif_orientation6.jpg"));
  const Image decoded = decode_limited(jpeg, 0);
  const int64_t pixels = int64_t{decoded.width} * decoded.height;
  EXPECT_EQ(decode_limited(jpeg, pixels).height, decoded.height);
  expect_mentions(limited_error(jpeg, pixels - 1), "JPEG image of " + std::to_string(decoded.width) + "x" +
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
  const std::string j2k = std::string("\xff\x4f\xff\x51", 4) + be32(0x00290000) + be32(80000) + be32(90000) +
                          be32(0) + be32(0);
  const std::pair<std::string, std::string> cases[] = {{bmp, "BMP image of 70000x70000"},
                                                       {tiff, "TIFF image of 50000x40000"},
                                                       {pnm, "PNM image of 70000x70001"},
                                                       {webp, "WebP image of 60000x40000"},
                                                       {j2k, "JPEG 2000 image of 80000x90000"}};
  for (const auto& [bytes, expected] : cases) expect_mentions(limited_error(bytes, 1'000'000), expected);
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
  const std::string palette = chunk("PLTE", std::string{10, 20, 30, 40, 50, 60});
  const std::string transparency = chunk("tRNS", std::string{0, static_cast<char>(255)});
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
  expect_mentions(missing, "nope.png");
  expect_mentions(missing, "no such file");
  const std::string dir = decode_error(tmp.path());
  expect_mentions(dir, tmp.path().string());
  expect_mentions(dir, "directory");
}

TEST(DecodeImageErrors, EmptyFile) {
  test::TempDir tmp;
  test::write_bytes(tmp / "empty.png", "");
  const std::string message = decode_error(tmp / "empty.png");
  expect_mentions(message, "empty.png");
  expect_mentions(message, "empty file");
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
                                             chunk("IHDR", be32(1) + be32(1) + std::string{8, 2, 0, 0, 0}) +
                                             chunk("IDAT", "not deflate data") + chunk("IEND", ""));
  const std::pair<const char*, const char*> cases[] = {
      {"truncated.png", "truncated PNG data"},
      {"corrupt.png", "CRC mismatch in chunk IDAT"},
      {"garbage.png", "corrupt or truncated PNG data"},
  };
  for (const auto& [name, problem] : cases) {
    const std::string message = decode_error(tmp / name);
    expect_mentions(message, name);
    expect_mentions(message, problem);
  }
}

TEST(DecodeImageErrors, TruncatedJpeg) {
  // OpenCV alone would return the truncated JPEG with its missing part filled gray.
  test::TempDir tmp;
  const std::string good = test::read_bytes(test::data_path("images/exif_orientation6.jpg"));
  test::write_bytes(tmp / "cut.jpg", good.substr(0, good.size() - 40));
  const std::string message = decode_error(tmp / "cut.jpg");
  expect_mentions(message, "cut.jpg");
  expect_mentions(message, "truncated JPEG data");
}

TEST(DecodeImageErrors, TextFileNamedPng) {
  test::TempDir tmp;
  test::write_bytes(tmp / "notes.png", "these are notes, not pixels\n");
  const std::string message = decode_error(tmp / "notes.png");
  expect_mentions(message, "notes.png");
  expect_mentions(message, "not an image");
}

TEST(DecodeImageErrors, FloatImagesAreRefused) {
  // A 1×1 little-endian PFM (32-bit float RGB), which OpenCV decodes to CV_32FC3.
  test::TempDir tmp;
  std::string pfm = "PF\n1 1\n-1.0\n";
  const float rgb[3] = {0.25f, 0.5f, 1.0f};
  pfm.append(reinterpret_cast<const char*>(rgb), sizeof rgb);
  test::write_bytes(tmp / "float.pfm", pfm);
  const std::string message = decode_error(tmp / "float.pfm");
  expect_mentions(message, "float.pfm");
  expect_mentions(message, "unsupported sample type");
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
    expect_mentions(e.what(), "missing");
    expect_mentions(e.what(), "no such file");
  }
  try {
    collect_images({(tmp / "empty").string()});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    expect_mentions(e.what(), "empty");
    expect_mentions(e.what(), "no image files");
  }
}
