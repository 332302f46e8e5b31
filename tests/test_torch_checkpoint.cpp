// WeightFile on torch.save archives: the fixtures written by PyTorch (tests/data/torch/make_fixtures.py
// says what each holds) and hand-made archives for what PyTorch would never write.
#include <gtest/gtest.h>

#include <cstring>

#include "test_support.hpp"
#include "torch_file_builder.hpp"
#include "checkpoint/checkpoint.hpp"
#include "winclip/error.hpp"

using namespace winclip;
using test::TensorSpec;

namespace {

std::vector<std::string> names_of(const WeightFile& file) {
  std::vector<std::string> names;
  for (const TensorEntry& entry : file.entries()) names.push_back(entry.name);
  return names;
}

std::vector<float> arange(size_t n, float scale = 1.0f, float shift = 0.0f) {
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i) values[i] = static_cast<float>(i) * scale + shift;
  return values;
}

// The Error message of opening `path`, or "" if it opened.
std::string open_error(const std::filesystem::path& path) {
  try {
    WeightFile::open(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The open error of a hand-made archive holding tensor "w" as `spec` and the given storages (key, bytes).
std::string one_tensor_error(const TensorSpec& spec, const std::vector<std::pair<std::string, std::string>>& storages) {
  test::TempDir tmp;
  std::string pickle = test::state_dict_pickle({{"w", test::tensor_pickle(spec)}});
  test::write_bytes(tmp / "w.pt", test::torch_archive(pickle, storages));
  return open_error(tmp / "w.pt");
}

}  // namespace

TEST(TorchCheckpoint, FixtureBinHoldsExactlyTheSafetensorsFixtureTensors) {
  WeightFile bin = WeightFile::open(test::data_path("torch/open_clip_pytorch_model.bin"));
  WeightFile reference = WeightFile::open(test::data_path("model/open_clip_model.safetensors"));
  ASSERT_EQ(bin.entries().size(), reference.entries().size());
  for (const TensorEntry& expected : reference.entries()) {
    const TensorEntry* entry = bin.find(expected.name);
    ASSERT_NE(entry, nullptr) << expected.name;
    EXPECT_EQ(entry->dtype, expected.dtype) << expected.name;
    EXPECT_EQ(entry->shape, expected.shape) << expected.name;
    ASSERT_EQ(entry->nbytes, expected.nbytes) << expected.name;
    EXPECT_EQ(std::memcmp(entry->data, expected.data, expected.nbytes), 0) << expected.name;
  }
}

TEST(TorchCheckpoint, TrainingCheckpointUsesItsStateDictWithoutModulePrefix) {
  WeightFile file = WeightFile::open(test::data_path("torch/training_checkpoint.pt"));
  // The optimizer's tensors (exp_avg, step, ...) and the epoch are not weights of the model.
  EXPECT_EQ(names_of(file), (std::vector<std::string>{"proj.weight", "proj.bias", "logit_scale"}));
  EXPECT_EQ(file.load_f32("proj.weight", {4, 3}), arange(12, 0.5f, -1.0f));
  EXPECT_EQ(file.load_f32("proj.bias", {4}), arange(4, 1.0f, -2.0f));
  EXPECT_EQ(file.load_f32("logit_scale", {}), std::vector<float>{4.5f});
}

TEST(TorchCheckpoint, ReadsSixteenBitStoragesAndOffsetViews) {
  WeightFile file = WeightFile::open(test::data_path("torch/half_and_views.pt"));
  EXPECT_EQ(names_of(file), (std::vector<std::string>{"half", "bfloat", "big", "rows", "empty"}));  // no int buffer
  EXPECT_EQ(file.find("half")->dtype, DType::F16);
  EXPECT_EQ(file.load_f32("half", {2, 3}), arange(6, 0.25f));
  EXPECT_EQ(file.find("bfloat")->dtype, DType::BF16);
  EXPECT_EQ(file.load_f32("bfloat", {4}), arange(4, 1.0f, -1.5f));
  // rows = big[2:4] shares big's storage from element 8 on; entries are views into the file.
  EXPECT_EQ(file.load_f32("rows", {2, 4}), arange(8, 1.0f, 8.0f));
  EXPECT_EQ(file.find("rows")->data, file.find("big")->data + 8 * sizeof(float));
  EXPECT_EQ(file.load_f32("empty", {0, 3}), std::vector<float>{});
}

TEST(TorchCheckpoint, ReadsProtocol4AndParameters) {
  WeightFile file = WeightFile::open(test::data_path("torch/protocol4_parameters.pt"));
  EXPECT_EQ(file.load_f32("weight", {2, 3}), arange(6));
  EXPECT_EQ(file.load_f32("bias", {2}), (std::vector<float>{1.5f, -2.0f}));
}

TEST(TorchCheckpoint, UnalignedStorageStillLoads) {
  test::TempDir tmp;
  // No alignment padding: the storage starts wherever the names leave it.
  std::string archive = test::torch_archive(
      test::state_dict_pickle({{"w", test::tensor_pickle({"FloatStorage", "0", 3, 0, {3}, {1}})}}),
      {{"0", test::float_bytes({1.0f, -2.0f, 3.5f})}});
  test::write_bytes(tmp / "w.pt", archive);
  WeightFile file = WeightFile::open(tmp / "w.pt");
  ASSERT_NE(reinterpret_cast<uintptr_t>(file.find("w")->data) % alignof(float), 0u) << "test needs an odd offset";
  EXPECT_EQ(file.load_f32("w", {3}), (std::vector<float>{1.0f, -2.0f, 3.5f}));
}

TEST(TorchCheckpoint, NonContiguousTensorIsRefused) {
  std::string message = open_error(test::data_path("torch/transposed.pt"));
  EXPECT_NE(message.find("tensor 'w' is not contiguous (stride [1, 3] for shape [3, 2])"), std::string::npos)
      << message;
}

TEST(TorchCheckpoint, Float64IsRefused) {
  std::string message = open_error(test::data_path("torch/float64.pt"));
  EXPECT_NE(message.find("float64.pt: tensor 'w' has torch.DoubleStorage elements"), std::string::npos) << message;
}

TEST(TorchCheckpoint, MaliciousCheckpointFromTorchSaveRunsNothing) {
  // The payload of the fixture (see make_fixtures.py): os.system("touch <marker>").
  const std::filesystem::path marker = "/tmp/winclip_checkpoint_pwned";
  std::filesystem::remove(marker);
  std::string message = open_error(test::data_path("torch/malicious_os_system.pt"));
  EXPECT_NE(message.find("refusing global 'posix.system'"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(marker));
}

class MaliciousGlobal : public testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(MaliciousGlobal, IsRefusedAndRunsNothing) {
  const auto& [module, name] = GetParam();
  test::TempDir tmp;
  const std::string command = "touch " + (tmp / "marker").string();
  const std::string argument = name == "eval" ? "__import__('os').system('" + command + "')" : command;
  std::string pickle = test::pickle_op::kProto2 + test::pickle_op::global(module, name) +
                       test::pickle_op::str(argument) + "\x85R.";
  test::write_bytes(tmp / "evil.pt", test::torch_archive(pickle, {}));
  std::string message = open_error(tmp / "evil.pt");
  EXPECT_NE(message.find("refusing global '" + module + "." + name + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("evil.pt"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(tmp / "marker"));
}

INSTANTIATE_TEST_SUITE_P(Payloads, MaliciousGlobal,
                         testing::Values(std::pair{"os", "system"}, std::pair{"posix", "system"},
                                         std::pair{"builtins", "eval"}, std::pair{"subprocess", "getoutput"}));

TEST(TorchCheckpoint, MissingStorageMemberIsNamed) {
  std::string message = one_tensor_error({"FloatStorage", "1", 2, 0, {2}, {1}}, {{"0", test::float_bytes({1, 2})}});
  EXPECT_NE(message.find("tensor 'w': zip member 'archive/data/1' is missing"), std::string::npos) << message;
}

TEST(TorchCheckpoint, TensorPastTheStorageEndIsRefused) {
  std::string message = one_tensor_error({"FloatStorage", "0", 4, 2, {3}, {1}}, {{"0", test::float_bytes(arange(4))}});
  EXPECT_NE(message.find("tensor 'w' of shape [3] at offset 2 extends past the end of its storage of 4 elements"),
            std::string::npos) << message;
  // Shapes whose element count overflows 64 bits must not wrap around into range.
  const int32_t huge = 2147483647;
  message = one_tensor_error({"FloatStorage", "0", 4, 0, {huge, huge, huge}, {1, 1, 1}},
                             {{"0", test::float_bytes(arange(4))}});
  EXPECT_NE(message.find("extends past the end"), std::string::npos) << message;
  message = one_tensor_error({"FloatStorage", "0", 4, -1, {1}, {1}}, {{"0", test::float_bytes(arange(4))}});
  EXPECT_NE(message.find("extends past the end"), std::string::npos) << message;
}

TEST(TorchCheckpoint, StorageSizeMustMatchItsMember) {
  std::string message = one_tensor_error({"FloatStorage", "0", 5, 0, {4}, {1}}, {{"0", test::float_bytes(arange(4))}});
  EXPECT_NE(message.find("tensor 'w' has storage '0' of 16 bytes, not 5 FloatStorage elements"), std::string::npos)
      << message;
}

TEST(TorchCheckpoint, DuplicateNameAfterPrefixRemovalIsRefused) {
  test::TempDir tmp;
  std::string tensor = test::tensor_pickle({"FloatStorage", "0", 1, 0, {1}, {1}});
  test::write_bytes(tmp / "d.pt", test::torch_archive(test::state_dict_pickle({{"module.a", tensor}, {"a", tensor}}),
                                                      {{"0", test::float_bytes({1})}}));
  EXPECT_NE(open_error(tmp / "d.pt").find("d.pt: tensor 'a' appears twice"), std::string::npos);
}

TEST(TorchCheckpoint, ArchiveWithoutWeightsIsRefused) {
  test::TempDir tmp;
  using namespace test::pickle_op;
  test::write_bytes(tmp / "a.pt", test::torch_archive(kProto2 + "}(" + str("epoch") + integer(3) + "u.", {}));
  EXPECT_NE(open_error(tmp / "a.pt").find("holds no weight tensors (keys: epoch)"), std::string::npos);
  test::write_bytes(tmp / "b.pt", test::torch_archive(kProto2 + "](" + integer(3) + "e.", {}));
  EXPECT_NE(open_error(tmp / "b.pt").find("the saved object is not a dict"), std::string::npos);
  test::write_bytes(tmp / "c.pt", test::zip_archive({{"archive/version", "3\n"}}));
  EXPECT_NE(open_error(tmp / "c.pt").find("zip member 'archive/data.pkl' is missing"), std::string::npos);
}

TEST(TorchCheckpoint, TorchScriptArchiveIsRefusedWithAHint) {
  test::TempDir tmp;
  test::write_bytes(tmp / "jit.pt", test::zip_archive({{"jit/data.pkl", "\x80\x02N."}, {"jit/constants.pkl", ""}}));
  EXPECT_NE(open_error(tmp / "jit.pt").find("TorchScript"), std::string::npos);
}

TEST(TorchCheckpoint, LegacyPickleCheckpointIsRefusedWithAHint) {
  // The start of every torch.save file before torch 1.6: pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
  // (the legacy magic number), then the pickled protocol version 1001.
  const std::string legacy("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e\x80\x02\x4d\xe9\x03\x2e", 21);
  test::TempDir tmp;
  test::write_bytes(tmp / "old.pt", legacy);
  const std::string message = open_error(tmp / "old.pt");
  EXPECT_EQ(message.find((tmp / "old.pt").string() + ": legacy PyTorch checkpoint"), 0u) << message;
  EXPECT_NE(message.find("torch >= 1.6"), std::string::npos) << message;
  EXPECT_NE(message.find("safetensors"), std::string::npos) << message;
  // Any bare pickle stream (here protocol 4, holding None) gets the same hint, not a safetensors error.
  test::write_bytes(tmp / "p4.pkl", std::string("\x80\x04N."));
  EXPECT_NE(open_error(tmp / "p4.pkl").find("legacy PyTorch checkpoint"), std::string::npos);
}

TEST(TorchCheckpoint, BigEndianArchiveIsRefused) {
  test::TempDir tmp;
  std::string pickle = test::state_dict_pickle({{"w", test::tensor_pickle({"FloatStorage", "0", 1, 0, {1}, {1}})}});
  test::write_bytes(tmp / "be.pt", test::zip_archive({{"archive/data.pkl", pickle}, {"archive/byteorder", "big"},
                                                      {"archive/data/0", std::string(4, '\0')}}));
  EXPECT_NE(open_error(tmp / "be.pt").find("big-endian"), std::string::npos);
}

TEST(TorchCheckpoint, DamagedFixtureArchivesAreRefusedNamingTheFile) {
  test::TempDir tmp;
  std::string bin = test::read_bytes(test::data_path("torch/open_clip_pytorch_model.bin"));
  test::write_bytes(tmp / "truncated.bin", bin.substr(0, bin.size() / 2));
  std::string message = open_error(tmp / "truncated.bin");
  EXPECT_NE(message.find("truncated.bin: not a zip archive or truncated"), std::string::npos) << message;

  // Mark the first storage as deflated in its central directory entry (method at +10).
  std::string deflated = bin;
  size_t entry = deflated.find("PK\x01\x02");
  entry = deflated.find("PK\x01\x02", entry + 4);
  deflated[entry + 10] = 8;
  test::write_bytes(tmp / "deflated.bin", deflated);
  message = open_error(tmp / "deflated.bin");
  EXPECT_NE(message.find("deflated.bin: zip member 'open_clip_pytorch_model/data/0' is compressed"),
            std::string::npos) << message;
}
