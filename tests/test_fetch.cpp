// fetch_model against a local stand-in for the Hugging Face hub serving the tiny model (tests/data): the
// cached bytes must equal the fixture files, and every failure must leave nothing half-done in the cache.
#include <gtest/gtest.h>

#include "support/fake_hub.hpp"
#include "support/scoped_env.hpp"
#include "test_support.hpp"
#include "winclip/model_config.hpp"
#include "winclip/model_store.hpp"

namespace winclip {
namespace {

namespace fs = std::filesystem;
using test::FakeHub;

constexpr const char* kTinyRepo = "test/tiny-clip";
constexpr const char* kTinyReference = "hf-hub:test/tiny-clip";
constexpr const char* kDefaultRepo = "timm/vit_base_patch16_plus_clip_240.laion400m_e31";
// Digest of tests/data/model/open_clip_model.safetensors, as recorded by the fixture generator.
constexpr const char* kTinySafetensorsSha256 = "2e1aef2c0b8de479ca569ebe568e3be589d7c6a6e5cc79c4628356a67a3163e6";

class Fetch : public ::testing::Test {
 protected:
  FetchOptions options(const std::string& model, const std::string& base_url) const {
    FetchOptions o;
    o.model = model;
    o.cache_dir = cache_.path();
    o.base_url = base_url;
    o.progress = false;
    return o;
  }
  fs::path tiny_dir() const { return cache_.path() / "hf-hub" / "test" / "tiny-clip"; }
  fs::path default_dir() const { return cache_.path() / "ViT-B-16-plus-240" / "laion400m_e31"; }

  // Files in `dir` whose names end with `suffix` (".part", ".sha256", ...).
  static int count_with_suffix(const fs::path& dir, const std::string& suffix) {
    int count = 0;
    for (const auto& entry : fs::directory_iterator(dir)) count += entry.path().string().ends_with(suffix);
    return count;
  }

  static void expect_same_bytes(const fs::path& actual, const fs::path& expected) {
    ASSERT_TRUE(fs::exists(actual)) << actual;
    EXPECT_TRUE(test::read_bytes(actual) == test::read_bytes(expected)) << actual << " differs from " << expected;
  }

  test::TempDir cache_;
  test::ScopedEnv no_proxy_{"NO_PROXY", "127.0.0.1,localhost"};
};

TEST_F(Fetch, DownloadsConfigAndSafetensorsIntoTheCache) {
  FakeHub hub(kTinyRepo, test::tiny_repo_files());
  const fs::path dir = fetch_model(options(kTinyReference, hub.url()));
  EXPECT_EQ(dir, tiny_dir());
  expect_same_bytes(dir / kOpenClipConfigFile, test::data_path("model/open_clip_config.json"));
  expect_same_bytes(dir / kSafetensorsWeightsFile, test::data_path("model/open_clip_model.safetensors"));
  EXPECT_FALSE(fs::exists(dir / kPytorchWeightsFile));
  EXPECT_EQ(count_with_suffix(dir, ".part"), 0);
  EXPECT_EQ(test::read_bytes(dir / "open_clip_model.safetensors.sha256"),
            std::string(kTinySafetensorsSha256) + "  open_clip_model.safetensors\n");
  EXPECT_EQ(resolve_model(kTinyReference, cache_.path()), dir);
}

TEST_F(Fetch, CachedModelIsVerifiedWithoutTheNetwork) {
  {
    FakeHub hub(kTinyRepo, test::tiny_repo_files());
    fetch_model(options(kTinyReference, hub.url()));
  }
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(test::closed_port());
  EXPECT_EQ(fetch_model(options(kTinyReference, nowhere)), tiny_dir());
}

TEST_F(Fetch, InterruptedTransferResumesWithARangeRequest) {
  FakeHub hub(kTinyRepo, test::tiny_repo_files(), {"--cut", "open_clip_model.safetensors:100000"});
  fetch_model(options(kTinyReference, hub.url()));
  EXPECT_EQ(hub.ranges_requested(kSafetensorsWeightsFile), (std::vector<std::string>{"", "bytes=100000-"}));
  expect_same_bytes(tiny_dir() / kSafetensorsWeightsFile, test::data_path("model/open_clip_model.safetensors"));
}

TEST_F(Fetch, PartFileOfAnEarlierRunIsResumed) {
  const std::string weights = test::read_bytes(test::data_path("model/open_clip_model.safetensors"));
  fs::create_directories(tiny_dir());
  test::write_bytes(tiny_dir() / "open_clip_model.safetensors.part", weights.substr(0, 3'000'000));
  FakeHub hub(kTinyRepo, test::tiny_repo_files());
  fetch_model(options(kTinyReference, hub.url()));
  EXPECT_EQ(hub.ranges_requested(kSafetensorsWeightsFile), std::vector<std::string>{"bytes=3000000-"});
  expect_same_bytes(tiny_dir() / kSafetensorsWeightsFile, test::data_path("model/open_clip_model.safetensors"));
}

TEST_F(Fetch, ServerIgnoringRangeRestartsTheFile) {
  fs::create_directories(tiny_dir());
  test::write_bytes(tiny_dir() / "open_clip_model.safetensors.part", std::string(5000, 'x'));
  FakeHub hub(kTinyRepo, test::tiny_repo_files(), {"--ignore-range"});
  fetch_model(options(kTinyReference, hub.url()));
  EXPECT_EQ(hub.ranges_requested(kSafetensorsWeightsFile), std::vector<std::string>{"bytes=5000-"});
  expect_same_bytes(tiny_dir() / kSafetensorsWeightsFile, test::data_path("model/open_clip_model.safetensors"));
}

TEST_F(Fetch, PartFileLongerThanTheFileIsDiscarded) {
  fs::create_directories(tiny_dir());
  test::write_bytes(tiny_dir() / "open_clip_model.safetensors.part", std::string(8'000'000, 'x'));
  FakeHub hub(kTinyRepo, test::tiny_repo_files());
  fetch_model(options(kTinyReference, hub.url()));  // 416 for the range, then the whole file
  EXPECT_EQ(hub.ranges_requested(kSafetensorsWeightsFile), (std::vector<std::string>{"bytes=8000000-", ""}));
  expect_same_bytes(tiny_dir() / kSafetensorsWeightsFile, test::data_path("model/open_clip_model.safetensors"));
}

TEST_F(Fetch, CorruptedTransferFailsTheChecksumAndLeavesNoFile) {
  FakeHub hub(kTinyRepo, test::tiny_repo_files(), {"--corrupt", "open_clip_model.safetensors"});
  try {
    fetch_model(options(kTinyReference, hub.url()));
    FAIL() << "expected a FetchError";
  } catch (const FetchError& e) {
    EXPECT_FALSE(e.offline());
    EXPECT_NE(std::string(e.what()).find("does not match " + std::string(kTinySafetensorsSha256)), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(tiny_dir() / kSafetensorsWeightsFile));
  EXPECT_EQ(count_with_suffix(tiny_dir(), ".part"), 0);
  EXPECT_THROW(resolve_model(kTinyReference, cache_.path()), Error);
}

TEST_F(Fetch, KnownDigestOfTheDefaultBinIsEnforced) {
  // The tiny .bin stands in for the real one, so the sha256 the project pins (assets/known_models.json) must reject it.
  FakeHub hub(kDefaultRepo, test::tiny_repo_files(), {"--not-found", "open_clip_model.safetensors"});
  try {
    fetch_model(options("", hub.url()));
    FAIL() << "expected a FetchError";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("fa8eec9aff58e9215b9b44a977038179712694d3fc3a73eba62546bcff13deb3"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(default_dir() / kPytorchWeightsFile));
  EXPECT_EQ(count_with_suffix(default_dir(), ".part"), 0);
}

TEST_F(Fetch, MissingSafetensorsFallsBackToTheBin) {
  FakeHub hub(kTinyRepo, test::tiny_repo_files(), {"--not-found", "open_clip_model.safetensors"});
  const fs::path dir = fetch_model(options(kTinyReference, hub.url()));
  expect_same_bytes(dir / kPytorchWeightsFile, test::data_path("torch/open_clip_pytorch_model.bin"));
  EXPECT_FALSE(fs::exists(dir / kSafetensorsWeightsFile));
  EXPECT_EQ(find_weights_file(dir), dir / kPytorchWeightsFile);
  bool asked_for_safetensors = false;
  for (const auto& request : hub.requests())
    asked_for_safetensors |= request["path"] == "/test/tiny-clip/resolve/main/open_clip_model.safetensors";
  EXPECT_TRUE(asked_for_safetensors);
}

TEST_F(Fetch, DigestRecordedAtFirstDownloadCatchesLaterDamage) {
  FakeHub hub(kTinyRepo, test::tiny_repo_files(), {"--no-linked-etag"});
  const fs::path dir = fetch_model(options(kTinyReference, hub.url()));
  EXPECT_EQ(test::read_bytes(dir / "open_clip_model.safetensors.sha256").substr(0, 64), kTinySafetensorsSha256);

  std::string damaged = test::read_bytes(dir / kSafetensorsWeightsFile);
  damaged[1000] ^= 0x01;
  test::write_bytes(dir / kSafetensorsWeightsFile, damaged);
  fetch_model(options(kTinyReference, hub.url()));
  expect_same_bytes(dir / kSafetensorsWeightsFile, test::data_path("model/open_clip_model.safetensors"));
  EXPECT_EQ(hub.ranges_requested(kSafetensorsWeightsFile).size(), 2u);
}

TEST_F(Fetch, UnreachableHubGivesOfflineAdvice) {
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(test::closed_port());
  try {
    fetch_model(options("", nowhere));
    FAIL() << "expected a FetchError";
  } catch (const FetchError& e) {
    EXPECT_TRUE(e.offline());
    const std::string message = e.what();
    const std::string repo_url = nowhere + "/" + kDefaultRepo + "/resolve/main/";
    for (const char* file : {kOpenClipConfigFile, kSafetensorsWeightsFile, kPytorchWeightsFile})
      EXPECT_NE(message.find(repo_url + file), std::string::npos) << message;
    EXPECT_NE(message.find(default_dir().string()), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one paragraph";
  }
}

TEST_F(Fetch, HfEndpointSelectsTheMirror) {
  FakeHub hub(kTinyRepo, test::tiny_repo_files());
  test::ScopedEnv endpoint("HF_ENDPOINT", hub.url() + "/");
  EXPECT_EQ(fetch_model(options(kTinyReference, "")), tiny_dir());
}

TEST_F(Fetch, KnownModelWithoutConfigGetsTheBuiltInOne) {
  FakeHub hub(kDefaultRepo, test::tiny_repo_files(), {"--not-found", "open_clip_config.json"});
  const fs::path dir = fetch_model(options("ViT-B-16-plus-240", hub.url()));
  const ModelConfig config = read_open_clip_config(dir / kOpenClipConfigFile);
  // ViT-B-16-plus-240 as docs/winclip.md (The model) gives it, not the tiny model the weights came from.
  EXPECT_EQ(config.embed_dim, 640);
  EXPECT_EQ(config.vision.width, 896);
  EXPECT_EQ(config.vision.image_size, 240);
  EXPECT_EQ(config.text.width, 640);
}

TEST_F(Fetch, RepositoryWithoutConfigOrWeightsIsAnError) {
  {
    FakeHub hub(kTinyRepo, test::tiny_repo_files(), {"--not-found", "open_clip_config.json"});
    try {
      fetch_model(options(kTinyReference, hub.url()));
      FAIL() << "expected a FetchError";
    } catch (const FetchError& e) {
      EXPECT_FALSE(e.offline());
      EXPECT_NE(std::string(e.what()).find("open_clip_config.json"), std::string::npos) << e.what();
    }
  }
  FakeHub hub(kTinyRepo, {{"open_clip_config.json", test::data_path("model/open_clip_config.json")}});
  try {
    fetch_model(options(kTinyReference, hub.url()));
    FAIL() << "expected a FetchError";
  } catch (const FetchError& e) {
    EXPECT_NE(std::string(e.what()).find("neither"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace winclip
