#include <gtest/gtest.h>

#include <span>

#include "test_support.hpp"
#include "winclip/error.hpp"
#include "winclip/npy.hpp"

using namespace winclip;

TEST(Npy, RoundTripKeepsShapeAndValues) {
  test::TempDir tmp;
  Tensor t({2, 3, 5});
  for (int64_t i = 0; i < t.numel(); ++i) t.data[i] = 0.25f * static_cast<float>(i) - 3.0f;
  write_npy(tmp / "a.npy", t);
  Tensor back = read_npy(tmp / "a.npy");
  EXPECT_EQ(back.shape, t.shape);
  EXPECT_EQ(back.data, t.data);
}

TEST(Npy, OneDimensionalShapeUsesPythonTupleSyntax) {
  test::TempDir tmp;
  write_npy(tmp / "v.npy", Tensor({4}, {1, 2, 3, 4}));
  std::string bytes = test::read_bytes(tmp / "v.npy");
  EXPECT_NE(bytes.find("'shape': (4,)"), std::string::npos);
  EXPECT_EQ((bytes.size() - 4 * 4) % 64, 0u);  // header padded to 64 bytes
}

TEST(Npy, ReadsFixtureInt32AndUint8) {
  Tensor masks = read_npy(test::data_path("winclip/masks_scale2.npy"));
  ASSERT_EQ(masks.shape, (Shape{4, 196}));
  EXPECT_EQ(masks.data[0], 0.0f);    // window 0 starts at patch 0
  EXPECT_EQ(masks.data[196], 1.0f);  // its second patch is patch 1
}

TEST(Npy, TruncatedFileIsAClearError) {
  test::TempDir tmp;
  write_npy(tmp / "a.npy", Tensor({10}));
  std::string bytes = test::read_bytes(tmp / "a.npy");
  test::write_bytes(tmp / "b.npy", bytes.substr(0, bytes.size() - 8));
  try {
    read_npy(tmp / "b.npy");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("b.npy"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos);
  }
}

namespace {

// A version 2.0 file (4-byte header length) with this header dict and 8 zero bytes of data.
std::string npy_with_header(const std::string& dict) {
  std::string header = dict;
  header.append((64 - (12 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string bytes("\x93NUMPY\x02\x00", 8);
  for (int b = 0; b < 4; ++b) bytes += static_cast<char>((header.size() >> (8 * b)) & 0xff);
  return bytes + header + std::string(8, '\0');
}

std::string npy_with_shape(const std::string& shape) {
  return npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }");
}

std::string npy_error(const std::string& bytes) {
  try {
    read_npy_bytes(std::as_bytes(std::span(bytes.data(), bytes.size())), "m.npy");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// Found by fuzzing (tests/data/fuzz-regressions/eval_cache_entry): the shape was allocated before it was
// compared with the data present, so 80 bytes could ask for gigabytes.
TEST(Npy, ShapeLargerThanTheDataIsRefusedBeforeAllocating) {
  EXPECT_EQ(npy_error(npy_with_shape("(2, 123456789, 1000)")),
            "m.npy: truncated .npy data: expected 987654312000 bytes for shape [2, 123456789, 1000]");
  EXPECT_EQ(npy_error(npy_with_shape("(4294967296, 4294967296)")),
            "m.npy: npy shape [4294967296, 4294967296] has too many elements");
  EXPECT_EQ(npy_error(npy_with_shape("(99999999999999999999,)")),
            "m.npy: npy shape dimension 99999999999999999999 is too large");
  const std::string two = npy_with_shape("(2,)");
  EXPECT_EQ(read_npy_bytes(std::as_bytes(std::span(two.data(), two.size())), "m.npy").shape, Shape{2});
}

// std::regex parsed the header and recursed once per character: a header of a few tens of kilobytes (a .npy
// may have up to 1 MiB) overflowed the stack.
TEST(Npy, LongHeadersAreReadWithoutRecursion) {
  const std::string long_descr = npy_with_header("{'descr': '" + std::string(300'000, 'A') +
                                                 "', 'fortran_order': False, 'shape': (1,), }");
  EXPECT_EQ(npy_error(long_descr), "m.npy: unsupported .npy dtype '" + std::string(40, 'A') + "...'");
  std::string dims;
  for (int i = 0; i < 60'000; ++i) dims += "1, ";
  const std::string long_shape = npy_with_shape("(" + dims + ")");
  const Tensor t = read_npy_bytes(std::as_bytes(std::span(long_shape.data(), long_shape.size())), "m.npy");
  EXPECT_EQ(t.shape.size(), 60'000u);
  EXPECT_EQ(t.data.size(), 1u);
}

// Found by fuzzing (tests/data/fuzz-regressions/npy): the product of a shape read from a file overflowed
// int64 before a later zero extent made it empty.
TEST(Npy, ShapeNumelIsZeroForAnyZeroExtentAndRefusesOverflow) {
  EXPECT_EQ(shape_numel({3435973832, 4294967296, 0}), 0);
  EXPECT_EQ(shape_numel({}), 1);
  EXPECT_EQ(shape_numel({2, 3, 4}), 24);
  EXPECT_THROW(shape_numel({3435973832, 4294967296}), Error);
  EXPECT_THROW(shape_numel({-1, 0}), Error);
  const std::string empty = npy_with_shape("(3435973832, 4294967296, 0)");
  EXPECT_EQ(read_npy_bytes(std::as_bytes(std::span(empty.data(), empty.size())), "m.npy").data.size(), 0u);
}
