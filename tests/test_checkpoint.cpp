// Weight files: the tiny random CLIP fixture, the safetensors writer, F16/BF16 widening, malformed files.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

#include "checkpoint/half_float.hpp"
#include "support/bad_weight_files.hpp"
#include "test_support.hpp"
#include "checkpoint/checkpoint.hpp"
#include "winclip/error.hpp"
#include "winclip/model_config.hpp"

using namespace winclip;
using nlohmann::json;
using Metadata = std::map<std::string, std::string>;
using test::raw_bytes;
using test::safetensors_bytes;

namespace {

std::filesystem::path fixture_weights() { return test::model_dir() / "open_clip_model.safetensors"; }

struct SplitFile {
  std::string header;
  std::string data;
};

// The header and data section of a safetensors file, read independently of the code under test.
SplitFile split_safetensors(const std::string& bytes) {
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), sizeof(n));
  return {bytes.substr(8, n), bytes.substr(8 + n)};
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Checkpoint, FixtureHoldsExactlyTheTensorsOfItsConfig) {
  const ModelConfig cfg = read_open_clip_config(test::model_dir() / "open_clip_config.json");
  const WeightFile weights = WeightFile::open(fixture_weights());
  std::map<std::string, Shape> stored;
  for (const auto& e : weights.entries()) stored[e.name] = e.shape;
  const auto expected = expected_clip_tensors(cfg);
  EXPECT_EQ(stored, (std::map<std::string, Shape>(expected.begin(), expected.end())));
  EXPECT_EQ(stored.size(), 62u);
}

TEST(Checkpoint, FixtureMatchesTheRecordedLayoutAndStatistics) {
  std::ifstream in(test::data_path("tiny_random_clip.keys.json"));
  const json keys = json::parse(in);
  const WeightFile weights = WeightFile::open(fixture_weights());
  ASSERT_EQ(weights.entries().size(), keys["tensors"].size());
  EXPECT_EQ(weights.metadata(), keys["metadata"].get<Metadata>());
  const std::byte* data_start = weights.entries().front().data;
  for (const auto& e : weights.entries()) data_start = std::min(data_start, e.data);

  for (const json& recorded : keys["tensors"]) {
    const std::string name = recorded["name"];
    SCOPED_TRACE(name);
    const TensorEntry* entry = weights.find(name);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(dtype_name(entry->dtype), recorded["dtype"].get<std::string>());
    EXPECT_EQ(entry->shape, recorded["shape"].get<Shape>());
    EXPECT_EQ(static_cast<uint64_t>(entry->data - data_start), recorded["data_offsets"][0].get<uint64_t>());
    EXPECT_EQ(entry->nbytes, recorded["data_offsets"][1].get<size_t>() - recorded["data_offsets"][0].get<size_t>());

    const std::vector<float> values = weights.load_f32(name, entry->shape);
    double sum = 0;
    for (float v : values) sum += v;
    const double mean = sum / static_cast<double>(values.size());
    double squares = 0;
    for (float v : values) squares += (v - mean) * (v - mean);
    // torch.std is the unbiased estimate; the recorded numbers are float32.
    const double std = values.size() > 1 ? std::sqrt(squares / static_cast<double>(values.size() - 1)) : 0.0;
    const json& stats = keys["stats"][name];
    EXPECT_NEAR(mean, stats["mean"].get<double>(), 1e-6 * (1 + std::fabs(mean)));
    EXPECT_NEAR(std, stats["std"].get<double>(), 1e-5 * std + 1e-12);
  }
}

TEST(Checkpoint, SaveThenOpenGivesTheSameTensorsBitForBit) {
  test::TempDir tmp;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<NamedTensor> tensors = {
      {"z.matrix", {2, 3}, {1.5f, -0.0f, 3.25f, 1e-40f, -7.0f, nan}},
      {"a.scalar", {}, {2.6592600345611572f}},
      {"m.empty", {0, 4}, {}},
      {"b.vector", {3}, {std::numeric_limits<float>::infinity(), 0.1f, -1e30f}},
  };
  save_safetensors(tmp / "w.safetensors", tensors, {{"format", "pt"}});
  const WeightFile weights = WeightFile::open(tmp / "w.safetensors");
  EXPECT_EQ(weights.metadata(), (Metadata{{"format", "pt"}}));
  ASSERT_EQ(weights.entries().size(), tensors.size());
  for (const auto& t : tensors) {
    SCOPED_TRACE(t.name);
    const std::vector<float> back = weights.load_f32(t.name, t.shape);
    auto same_bits = [](float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); };
    EXPECT_TRUE(std::equal(back.begin(), back.end(), t.values.begin(), t.values.end(), same_bits));
  }

  const SplitFile file = split_safetensors(test::read_bytes(tmp / "w.safetensors"));
  EXPECT_EQ(file.header.size() % 8, 0u);
  EXPECT_EQ(file.data.size(), (6 + 1 + 3) * sizeof(float));
  // Sorted keys, contiguous data: a.scalar, b.vector, m.empty, z.matrix.
  const std::string expected_header =
      R"({"a.scalar":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
      R"("b.vector":{"dtype":"F32","shape":[3],"data_offsets":[4,16]},)"
      R"("m.empty":{"dtype":"F32","shape":[0,4],"data_offsets":[16,16]},)"
      R"("z.matrix":{"dtype":"F32","shape":[2,3],"data_offsets":[16,40]},)"
      R"("__metadata__":{"format":"pt"}})";
  EXPECT_EQ(file.header.substr(0, expected_header.size()), expected_header);
  EXPECT_EQ(file.header.find_first_not_of(' ', expected_header.size()), std::string::npos);
}

TEST(Checkpoint, RewritingTheFixtureReproducesItsLayout) {
  test::TempDir tmp;
  const WeightFile weights = WeightFile::open(fixture_weights());
  const SplitFile original = split_safetensors(test::read_bytes(fixture_weights()));
  const json original_header = json::parse(original.header);
  std::vector<NamedTensor> tensors;
  for (const auto& e : weights.entries()) tensors.push_back({e.name, e.shape, weights.load_f32(e.name, e.shape)});
  save_safetensors(tmp / "copy.safetensors", tensors,
                   original_header["__metadata__"].get<Metadata>());

  const SplitFile copy = split_safetensors(test::read_bytes(tmp / "copy.safetensors"));
  EXPECT_EQ(copy.data, original.data);
  EXPECT_EQ(json::parse(copy.header), original_header);
  EXPECT_EQ(copy.header.size(), original.header.size());
  // Byte-identical up to the metadata, whose keys the writer sorts.
  const size_t metadata_at = original.header.find("\"__metadata__\"");
  ASSERT_NE(metadata_at, std::string::npos);
  EXPECT_EQ(copy.header.substr(0, metadata_at), original.header.substr(0, metadata_at));
}

TEST(Checkpoint, SaveRefusesInconsistentTensors) {
  test::TempDir tmp;
  const auto path = tmp / "bad.safetensors";
  EXPECT_NE(error_of([&] { save_safetensors(path, {{"w", {2}, {1, 2}}, {"w", {1}, {3}}}); }).find("'w' is given twice"),
            std::string::npos);
  const std::string wrong_count = error_of([&] { save_safetensors(path, {{"w", {2, 2}, {1, 2, 3}}}); });
  EXPECT_NE(wrong_count.find("bad.safetensors"), std::string::npos) << wrong_count;
  EXPECT_NE(wrong_count.find("'w' has 3 values for shape [2, 2]"), std::string::npos) << wrong_count;
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Checkpoint, LoadF32NamesTheMissingTensorAndTheShapeMismatch) {
  const WeightFile weights = WeightFile::open(fixture_weights());
  const std::string file = fixture_weights().string();
  EXPECT_EQ(error_of([&] { weights.load_f32("visual.nope", {64}); }), file + ": tensor 'visual.nope' is missing");
  EXPECT_EQ(error_of([&] { weights.load_f32("visual.proj", {64, 16}); }),
            file + ": tensor 'visual.proj' has shape [64, 32], expected [64, 16]");
}

TEST(HalfFloat, EveryF16ValueMatchesTheIeeeDefinition) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const int exponent = static_cast<int>((bits >> 10) & 0x1f);
    const int mantissa = static_cast<int>(bits & 0x3ff);
    const double sign = (bits & 0x8000) ? -1.0 : 1.0;
    const float got = detail::f16_to_f32(static_cast<uint16_t>(bits));
    if (exponent == 31) {
      EXPECT_TRUE(mantissa ? std::isnan(got) : got == static_cast<float>(sign * INFINITY)) << bits;
      continue;
    }
    const double value = exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1024 + mantissa, exponent - 25);
    ASSERT_EQ(got, static_cast<float>(sign * value)) << "bits " << bits;
    ASSERT_EQ(std::signbit(got), sign < 0) << "bits " << bits;  // including -0
  }
}

TEST(HalfFloat, Bf16IsTheUpperHalfOfAFloat32) {
  EXPECT_EQ(detail::bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(detail::bf16_to_f32(0xc049), -3.140625f);
  EXPECT_EQ(detail::bf16_to_f32(0x0001), static_cast<float>(std::ldexp(1.0, -133)));  // smallest subnormal
  EXPECT_EQ(detail::bf16_to_f32(0xff80), -INFINITY);
  EXPECT_TRUE(std::isnan(detail::bf16_to_f32(0x7fc0)));
}

TEST(Checkpoint, WidensF16AndBf16TensorsExactly) {
  test::TempDir tmp;
  const std::string header =
      R"({"half":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},)"
      R"("brain":{"dtype":"BF16","shape":[3],"data_offsets":[12,18]}})";
  const std::string data = raw_bytes<uint16_t>({0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0xfc00}) +
                           raw_bytes<uint16_t>({0x3f80, 0xc049, 0x4780});
  test::write_bytes(tmp / "half.safetensors", safetensors_bytes(header, data));
  const WeightFile weights = WeightFile::open(tmp / "half.safetensors");
  EXPECT_EQ(weights.find("half")->dtype, DType::F16);
  EXPECT_EQ(weights.load_f32("half", {2, 3}),
            (std::vector<float>{1.0f, -2.0f, 65504.0f, 5.9604644775390625e-8f, -0.0f, -INFINITY}));
  EXPECT_EQ(weights.load_f32("brain", {3}), (std::vector<float>{1.0f, -3.140625f, 65536.0f}));
}

TEST(Checkpoint, MalformedFilesAreClearErrors) {
  test::TempDir tmp;
  for (const test::BadFile& bad : test::bad_files()) {
    SCOPED_TRACE(bad.file);
    test::write_bytes(tmp / bad.file, bad.bytes);
    const std::string message = error_of([&] { WeightFile::open(tmp / bad.file); });
    EXPECT_NE(message.find((tmp / bad.file).string()), std::string::npos) << message;
    for (const auto& part : bad.message_parts) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

// A header of 640 bytes makes the file start 0x80 0x02 like a pickle stream (a legacy torch.save file);
// it is still read as safetensors.
TEST(Checkpoint, HeaderLengthThatLooksLikeAPickleStillOpens) {
  std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  header.resize(0x0280, ' ');  // trailing spaces: the padding safetensors writers use
  test::TempDir tmp;
  test::write_bytes(tmp / "w.safetensors", safetensors_bytes(header, raw_bytes<float>({1, 2})));
  ASSERT_EQ(test::read_bytes(tmp / "w.safetensors").substr(0, 2), std::string("\x80\x02", 2));
  const WeightFile file = WeightFile::open(tmp / "w.safetensors");
  EXPECT_EQ(file.load_f32("w", {2}), (std::vector<float>{1, 2}));
}

TEST(Checkpoint, DirectoriesAndMissingFilesAreClearErrors) {
  test::TempDir tmp;
  std::filesystem::create_directory(tmp / "weights.safetensors");
  const std::string directory = error_of([&] { WeightFile::open(tmp / "weights.safetensors"); });
  EXPECT_EQ(directory, (tmp / "weights.safetensors").string() + ": is a directory, expected a weight file");
  const std::string missing = error_of([&] { WeightFile::open(tmp / "nowhere.safetensors"); });
  EXPECT_EQ(missing, (tmp / "nowhere.safetensors").string() + ": cannot open: No such file or directory");
}
