// CLIP preprocessing against open_clip v2.24 / Pillow 9.4 outputs (tests/data/openclip, made by the Python
// reference) and against hand-computed values.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "preprocess/resize_bicubic_reference.hpp"
#include "test_support.hpp"
#include "winclip/error.hpp"
#include "winclip/npy.hpp"
#include "winclip/preprocess.hpp"

using namespace winclip;

namespace {

struct FixtureImage {
  std::string stem;
  ResizeGeometry shortest;  // from golden.json: resized_wh, crop_left_top
};

const FixtureImage kFixtures[] = {
    {"img_402x300", {321, 240, 40, 0}},
    {"img_150x191", {240, 305, 0, 32}},  // an upscale
    {"img_250x333", {240, 319, 0, 40}},
};

Image fixture_image(const std::string& stem) { return decode_image(test::data_path("openclip/images/" + stem + ".png")); }

// Number of samples that differ from a uint8 HWC .npy (read as floats); fails on a shape mismatch.
int64_t mismatches(const Image& img, const std::string& npy, std::string* first = nullptr) {
  const Tensor expected = read_npy(test::data_path(npy));
  EXPECT_EQ(expected.shape, (Shape{img.height, img.width, 3})) << npy;
  if (expected.numel() != static_cast<int64_t>(img.rgb.size())) return expected.numel();
  int64_t count = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    if (expected.data[i] == static_cast<float>(img.rgb[i])) continue;
    if (count++ == 0 && first)
      *first = "sample " + std::to_string(i) + ": got " + std::to_string(img.rgb[i]) + ", Pillow " +
               std::to_string(expected.data[i]);
  }
  return count;
}

Image random_image(int width, int height, std::mt19937& rng) {
  Image img{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  // Half the images are pure black/white noise, whose overshoot exercises the clamping.
  const bool extremes = rng() % 2 == 0;
  for (uint8_t& v : img.rgb) v = extremes ? (rng() % 2 ? 255 : 0) : static_cast<uint8_t>(rng());
  return img;
}

}  // namespace

TEST(PreprocessGeometry, ShortestMatchesTorchvisionOnFixtureSizes) {
  for (const FixtureImage& f : kFixtures) {
    const Image img = fixture_image(f.stem);
    const ResizeGeometry g = resize_geometry(img.width, img.height, 240, ResizeMode::Shortest);
    EXPECT_EQ(g.resized_width, f.shortest.resized_width) << f.stem;
    EXPECT_EQ(g.resized_height, f.shortest.resized_height) << f.stem;
    EXPECT_EQ(g.crop_left, f.shortest.crop_left) << f.stem;
    EXPECT_EQ(g.crop_top, f.shortest.crop_top) << f.stem;
  }
}

TEST(PreprocessGeometry, HandComputedCases) {
  // 1000×300 → int(240·1000/300) = int(800.0) = 800; excess 560 → left 280.
  ResizeGeometry g = resize_geometry(1000, 300, 240, ResizeMode::Shortest);
  EXPECT_EQ(g.resized_width, 800);
  EXPECT_EQ(g.crop_left, 280);
  // 100×301 → int(240·301/100) = int(722.4) = 722 (truncated); excess 482 → top 241.
  g = resize_geometry(100, 301, 240, ResizeMode::Shortest);
  EXPECT_EQ(g.resized_height, 722);
  EXPECT_EQ(g.crop_top, 241);
  // Square sources need no crop; squash ignores the aspect ratio.
  g = resize_geometry(512, 512, 240, ResizeMode::Shortest);
  EXPECT_EQ(g.resized_width, 240);
  EXPECT_EQ(g.crop_left + g.crop_top, 0);
  g = resize_geometry(402, 300, 240, ResizeMode::Squash);
  EXPECT_EQ(g.resized_width, 240);
  EXPECT_EQ(g.resized_height, 240);
}

TEST(PreprocessPillowParity, ShortestSideAndCropIsBitExact) {
  for (const FixtureImage& f : kFixtures) {
    std::string first;
    const Image out = resize_for_model(fixture_image(f.stem), 240, ResizeMode::Shortest);
    EXPECT_EQ(mismatches(out, "openclip/preprocess/" + f.stem + ".resized_cropped_uint8.npy", &first), 0)
        << f.stem << ": " << first;
  }
}

TEST(PreprocessPillowParity, SquashIsBitExact) {
  for (const FixtureImage& f : kFixtures) {
    std::string first;
    const Image out = resize_for_model(fixture_image(f.stem), 240, ResizeMode::Squash);
    EXPECT_EQ(mismatches(out, "openclip/preprocess_squash/" + f.stem + ".resized_uint8.npy", &first), 0)
        << f.stem << ": " << first;
  }
}

TEST(PreprocessPillowParity, ReferenceResamplerIsBitExactToo) {
  std::string first;
  const Image out = resize_bicubic_reference(fixture_image("img_150x191"), 240, 240);
  EXPECT_EQ(mismatches(out, "openclip/preprocess_squash/img_150x191.resized_uint8.npy", &first), 0) << first;
}

TEST(PreprocessPillowParity, NormalisedTensorMatchesOpenClip) {
  const Tensor expected = read_npy(test::data_path("openclip/preprocess/img_402x300.tensor.npy"));
  const Tensor got = preprocess(fixture_image("img_402x300"), 240, ResizeMode::Shortest, PreprocessConfig{});
  ASSERT_EQ(got.shape, (Shape{3, 240, 240}));
  // Same float32 operations in the same order as torch: expected to be exact, required within 1e-5.
  EXPECT_LE(test::max_abs_diff(got, expected), 1e-5);
  EXPECT_EQ(got.data, expected.data);
}

TEST(Normalize, HandComputedValuesInChannelMajorOrder) {
  // 2×1 image: pixel 0 = (0, 128, 255), pixel 1 = (255, 0, 51).
  const Image img{2, 1, {0, 128, 255, 255, 0, 51}};
  PreprocessConfig cfg;
  cfg.mean = {0.5f, 0.25f, 0.0f};
  cfg.std = {0.5f, 0.25f, 2.0f};
  const Tensor t = to_normalized_chw(img, cfg);
  ASSERT_EQ(t.shape, (Shape{3, 1, 2}));
  EXPECT_FLOAT_EQ(t.data[0], -1.0f);                           // (0 - 0.5) / 0.5
  EXPECT_FLOAT_EQ(t.data[1], 1.0f);                            // (1 - 0.5) / 0.5
  EXPECT_FLOAT_EQ(t.data[2], (128.0f / 255.0f - 0.25f) * 4);  // green of pixel 0
  EXPECT_FLOAT_EQ(t.data[3], -1.0f);                           // (0 - 0.25) / 0.25
  EXPECT_FLOAT_EQ(t.data[4], 0.5f);                            // 1 / 2
  EXPECT_FLOAT_EQ(t.data[5], 0.1f);                            // 0.2 / 2
}

TEST(Normalize, RejectsNonPositiveStd) {
  PreprocessConfig cfg;
  cfg.std[1] = 0.0f;
  EXPECT_THROW(to_normalized_chw(Image{1, 1, {1, 2, 3}}, cfg), Error);
}

TEST(ResizeBicubic, TwoToOneAveragesWithRounding) {
  // Downscale by 2: both taps sit at ±0.25 of the stretched kernel, so each weighs exactly 1/2 and the
  // output is (1/2 + (a + b)/2) rounded down: (10 + 21 + 1) / 2 = 16, (0 + 255 + 1) / 2 = 128.
  const Image out = resize_bicubic(Image{2, 1, {10, 0, 7, 21, 255, 8}}, 1, 1);
  EXPECT_EQ(out.rgb, (std::vector<uint8_t>{16, 128, 8}));
}

TEST(ResizeBicubic, UpscalingOnePixelReplicatesIt) {
  const Image out = resize_bicubic(Image{1, 1, {3, 140, 250}}, 3, 2);
  ASSERT_EQ(out.rgb.size(), 18u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(out.rgb[i * 3 + 1], 140) << "pixel " << i;
}

TEST(ResizeBicubic, FastMatchesReferenceOnOddSizes) {
  struct Case {
    int in_w, in_h, out_w, out_h;
  };
  const Case cases[] = {
      {1, 1, 1, 1},     {1, 1, 5, 3},    {7, 300, 3, 17},  {7, 300, 240, 240}, {333, 17, 29, 240},
      {333, 17, 1, 1},  {1000, 1, 13, 5}, {1000, 1, 1, 1}, {17, 333, 1000, 2}, {50, 40, 50, 40},
      {50, 40, 50, 13}, {50, 40, 97, 40}, {2, 3, 401, 1},  {400, 90, 240, 240},
  };
  std::mt19937 rng(20240611);
  for (const Case& c : cases) {
    const Image src = random_image(c.in_w, c.in_h, rng);
    const Image fast = resize_bicubic(src, c.out_w, c.out_h);
    const Image reference = resize_bicubic_reference(src, c.out_w, c.out_h);
    const std::string label = std::to_string(c.in_w) + "x" + std::to_string(c.in_h) + " -> " +
                              std::to_string(c.out_w) + "x" + std::to_string(c.out_h);
    EXPECT_EQ(fast.width, c.out_w) << label;
    EXPECT_EQ(fast.height, c.out_h) << label;
    EXPECT_EQ(fast.rgb, reference.rgb) << label;
  }
}

TEST(ResizeBicubic, BadArgumentsAreErrors) {
  EXPECT_THROW(resize_bicubic(Image{}, 4, 4), Error);
  EXPECT_THROW(resize_bicubic(Image{2, 2, {1, 2, 3}}, 4, 4), Error);  // buffer too small for 2×2
  EXPECT_THROW(resize_bicubic(Image{1, 1, {1, 2, 3}}, 0, 4), Error);
  EXPECT_THROW(resize_bicubic_reference(Image{1, 1, {1, 2, 3}}, 4, -1), Error);
  EXPECT_THROW(resize_for_model(Image{1, 1, {1, 2, 3}}, 0, ResizeMode::Squash), Error);
}

TEST(Crop, CopiesTheWindowAndRejectsOutOfBounds) {
  // 3×2 image whose red channel numbers the pixels.
  const Image img{3, 2, {0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0, 0}};
  const Image window = crop(img, 1, 0, 2, 2);
  EXPECT_EQ(window.rgb, (std::vector<uint8_t>{1, 0, 0, 2, 0, 0, 4, 0, 0, 5, 0, 0}));
  EXPECT_THROW(crop(img, 2, 0, 2, 1), Error);
  EXPECT_THROW(crop(img, -1, 0, 1, 1), Error);
}

TEST(ResizeMode, ParsesTheTwoNamesOnly) {
  EXPECT_EQ(parse_resize_mode("squash"), ResizeMode::Squash);
  EXPECT_EQ(parse_resize_mode("shortest"), ResizeMode::Shortest);
  try {
    parse_resize_mode("longest");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("longest"), std::string::npos);
  }
}
