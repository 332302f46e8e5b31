#include <gtest/gtest.h>

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

// A header may claim any shape; it is checked against the file before anything is allocated for it.
TEST(Npy, ShapeLargerThanTheFileIsRefusedBeforeAllocating) {
  test::TempDir tmp;
  for (const auto& [name, shape] : {std::pair{"huge.npy", "(100000, 100000, 100000)"},
                                    std::pair{"overflow.npy", "(4294967296, 4294967296, 4294967296)"},
                                    std::pair{"digits.npy", "(1000000000000000000000000,)"}}) {
    const std::string header = std::string("{'descr': '<f4', 'fortran_order': False, 'shape': ") + shape + ", }\n";
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
    bytes += static_cast<char>(header.size() & 0xff);
    bytes += static_cast<char>(header.size() >> 8);
    test::write_bytes(tmp / name, bytes + header + std::string(40, '\0'));
    try {
      read_npy(tmp / name);
      ADD_FAILURE() << name << ": expected an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}
