// winclip make-random-model: writes a loadable model, reproducibly, and refuses unknown architectures.
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "checkpoint/checkpoint.hpp"
#include "winclip/model_config.hpp"
#include "winclip/random_model.hpp"

using namespace winclip;

TEST(CliMakeRandomModel, WritesTheSameModelAsTheLibrary) {
  test::TempDir tmp;
  const std::string config = test::data_path("tiny_random_clip.config.json").string();
  const auto r =
      test::run_cli({"make-random-model", "--arch", config, "--seed", "42", "--out", (tmp / "cli").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("62 tensors, 1775969 parameters"), std::string::npos) << r.out;

  write_random_model(model_config_for(config), 42, tmp / "lib");
  for (const char* file : {"open_clip_model.safetensors", "open_clip_config.json"})
    EXPECT_EQ(test::read_bytes(tmp / "cli" / file), test::read_bytes(tmp / "lib" / file)) << file;
  const ModelConfig cfg = read_open_clip_config(tmp / "cli" / "open_clip_config.json");
  EXPECT_EQ(WeightFile::open(tmp / "cli" / "open_clip_model.safetensors").entries().size(),
            expected_clip_tensors(cfg).size());
}

TEST(CliMakeRandomModel, UnknownArchitectureIsAnError) {
  test::TempDir tmp;
  const auto r =
      test::run_cli({"make-random-model", "--arch", "ViT-Q-99", "--seed", "1", "--out", (tmp / "m").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("winclip: error: unknown architecture 'ViT-Q-99'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ViT-B-16-plus-240"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp / "m"));
}

TEST(CliMakeRandomModel, OutputDirectoryIsRequired) {
  const auto r = test::run_cli({"make-random-model", "--arch", "ViT-B-32"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--out"), std::string::npos) << r.err;
}
