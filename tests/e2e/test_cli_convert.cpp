#include <gtest/gtest.h>

#include <cstring>

#include "test_support.hpp"
#include "checkpoint/checkpoint.hpp"

using namespace winclip;

TEST(CliConvert, TorchBinBecomesTheReferenceSafetensors) {
  test::TempDir tmp;
  auto result = test::run_cli({"convert", test::data_path("torch/open_clip_pytorch_model.bin").string(),
                               (tmp / "model.safetensors").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("converted 62 tensors"), std::string::npos) << result.out;

  WeightFile converted = WeightFile::open(tmp / "model.safetensors");
  WeightFile reference = WeightFile::open(test::data_path("model/open_clip_model.safetensors"));
  ASSERT_EQ(converted.entries().size(), reference.entries().size());
  for (const TensorEntry& expected : reference.entries()) {
    const TensorEntry* entry = converted.find(expected.name);
    ASSERT_NE(entry, nullptr) << expected.name;
    EXPECT_EQ(entry->dtype, DType::F32);
    EXPECT_EQ(entry->shape, expected.shape) << expected.name;
    ASSERT_EQ(entry->nbytes, expected.nbytes) << expected.name;
    EXPECT_EQ(std::memcmp(entry->data, expected.data, expected.nbytes), 0) << expected.name;
  }
}

TEST(CliConvert, SixteenBitTensorsAreWidenedExactly) {
  test::TempDir tmp;
  auto result = test::run_cli({"convert", test::data_path("torch/half_and_views.pt").string(),
                               (tmp / "out.safetensors").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  WeightFile converted = WeightFile::open(tmp / "out.safetensors");
  EXPECT_EQ(converted.find("half")->dtype, DType::F32);
  EXPECT_EQ(converted.load_f32("half", {2, 3}), (std::vector<float>{0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 1.25f}));
  EXPECT_EQ(converted.load_f32("bfloat", {4}), (std::vector<float>{-1.5f, -0.5f, 0.5f, 1.5f}));
}

TEST(CliConvert, MaliciousCheckpointFailsAndWritesNothing) {
  test::TempDir tmp;
  auto result = test::run_cli({"convert", test::data_path("torch/malicious_os_system.pt").string(),
                               (tmp / "out.safetensors").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("winclip: error: "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("refusing global 'posix.system'"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(tmp / "out.safetensors"));
}

TEST(CliConvert, OutputMustBeSafetensors) {
  test::TempDir tmp;
  auto result =
      test::run_cli({"convert", test::data_path("torch/half_and_views.pt").string(), (tmp / "out.bin").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("must be a .safetensors file"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(tmp / "out.bin"));
}
