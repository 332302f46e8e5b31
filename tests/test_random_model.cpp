// Random CLIPs: deterministic, loadable, and scaled like open_clip's initialisation.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>

#include "test_support.hpp"
#include "checkpoint/checkpoint.hpp"
#include "winclip/model_config.hpp"
#include "winclip/random_model.hpp"
#include "core/splitmix64.hpp"

using namespace winclip;

namespace {

ModelConfig tiny_config() { return read_open_clip_config(test::model_dir() / "open_clip_config.json"); }

std::string weight_bytes(const std::filesystem::path& dir) {
  return test::read_bytes(dir / "open_clip_model.safetensors");
}

struct Moments {
  double mean = 0;
  double std = 0;
  double max_abs_deviation = 0;
};

Moments moments(const std::vector<float>& values) {
  Moments m;
  for (float v : values) m.mean += v;
  m.mean /= static_cast<double>(values.size());
  for (float v : values) {
    m.std += (v - m.mean) * (v - m.mean);
    m.max_abs_deviation = std::max(m.max_abs_deviation, std::fabs(v - m.mean));
  }
  m.std = std::sqrt(m.std / static_cast<double>(values.size()));
  return m;
}

}  // namespace

TEST(RandomModel, SameSeedGivesIdenticalFilesAndOtherSeedsDiffer) {
  test::TempDir tmp;
  write_random_model(tiny_config(), 11, tmp / "a");
  write_random_model(tiny_config(), 11, tmp / "b");
  write_random_model(tiny_config(), 12, tmp / "c");
  EXPECT_EQ(weight_bytes(tmp / "a"), weight_bytes(tmp / "b"));
  EXPECT_NE(weight_bytes(tmp / "a"), weight_bytes(tmp / "c"));
  EXPECT_EQ(weight_bytes(tmp / "a").size(), weight_bytes(tmp / "c").size());
}

// The random models draw value i of a stream s as splitmix64(s + i·γ): the i-th output of the sequential
// generator seeded with s, whose sequence for seed 0 starts as in Vigna's splitmix64.c.
TEST(RandomModel, CounterStreamIsTheSplitMix64Sequence) {
  EXPECT_EQ(splitmix64(0), 0xE220A8397B1DCDAFull);
  for (uint64_t stream : {0ull, 7ull, 0xFFFFFFFFFFFFFFF0ull}) {
    SplitMix64 sequence(stream);
    for (uint64_t i = 0; i < 5; ++i) EXPECT_EQ(splitmix64(stream + i * kSplitMix64Gamma), sequence.next()) << i;
  }
}

TEST(RandomModel, BytesDoNotDependOnTheThreadCount) {
  test::TempDir tmp;
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  write_random_model(tiny_config(), 3, tmp / "serial");
  omp_set_num_threads(3);
  write_random_model(tiny_config(), 3, tmp / "parallel");
  omp_set_num_threads(threads);
  EXPECT_EQ(weight_bytes(tmp / "serial"), weight_bytes(tmp / "parallel"));
}

TEST(RandomModel, LoadsAsTheConfiguredArchitecture) {
  test::TempDir tmp;
  const ModelConfig cfg = tiny_config();
  write_random_model(cfg, 1, tmp / "model");
  const ModelConfig back = read_open_clip_config(tmp / "model" / "open_clip_config.json");
  EXPECT_EQ(back.vision.head_width, cfg.vision.head_width);
  EXPECT_EQ(back.text.heads, cfg.text.heads);
  EXPECT_EQ(back.embed_dim, cfg.embed_dim);
  const WeightFile weights = WeightFile::open(tmp / "model" / "open_clip_model.safetensors");
  EXPECT_EQ(weights.metadata().at("winclip_random_seed"), "1");
  const auto expected = expected_clip_tensors(cfg);
  ASSERT_EQ(weights.entries().size(), expected.size());
  for (const auto& [name, shape] : expected) EXPECT_EQ(weights.load_f32(name, shape).size(), shape_numel(shape));
}

TEST(RandomModel, WeightsFollowOpenClipInitialisationScales) {
  test::TempDir tmp;
  write_random_model(tiny_config(), 7, tmp / "model");
  const WeightFile w = WeightFile::open(tmp / "model" / "open_clip_model.safetensors");
  auto stats = [&](const std::string& name) {
    const TensorEntry* e = w.find(name);
    EXPECT_NE(e, nullptr) << name;
    return moments(w.load_f32(name, e->shape));
  };
  EXPECT_EQ(w.load_f32("logit_scale", {}), std::vector<float>{static_cast<float>(std::log(1 / 0.07))});

  struct Scale {
    std::string name;
    double mean, std, tolerance;  // relative tolerance on std, from the sample size
  };
  // Vision width 64 with 2 layers, text width 32 with 2 layers, patch 16.
  for (const Scale& s : std::vector<Scale>{
           {"token_embedding.weight", 0, 0.02, 0.01},
           {"positional_embedding", 0, 0.01, 0.05},
           {"visual.conv1.weight", 0, 1 / std::sqrt(3.0 * 16 * 16), 0.02},
           {"visual.positional_embedding", 0, 1 / 8.0, 0.02},
           {"visual.transformer.resblocks.0.attn.in_proj_weight", 0, 1 / 8.0, 0.02},
           {"visual.transformer.resblocks.1.mlp.c_proj.weight", 0, 1 / 8.0 / 2, 0.02},
           {"visual.transformer.resblocks.1.mlp.c_fc.weight", 0, 1 / std::sqrt(128.0), 0.02},
           {"transformer.resblocks.0.attn.out_proj.weight", 0, 1 / std::sqrt(32.0) / 2, 0.05},
           {"text_projection", 0, 1 / std::sqrt(32.0), 0.05},
           {"visual.transformer.resblocks.0.mlp.c_fc.bias", 0, 0.02, 0.1},
           {"visual.ln_pre.weight", 1, 0.02, 0.25},
           {"ln_final.weight", 1, 0.02, 0.3}}) {
    SCOPED_TRACE(s.name);
    const Moments m = stats(s.name);
    EXPECT_NEAR(m.std, s.std, s.tolerance * s.std);
    EXPECT_NEAR(m.mean, s.mean, 4 * s.std / std::sqrt(16.0));  // at least 16 values per tensor
    EXPECT_LE(m.max_abs_deviation, 2 * std::sqrt(3.0) * s.std * 1.05);  // Irwin-Hall(4) is bounded by ±2√3 σ
  }
}
