// --model resolution (a path, a known name, nothing) and the default cache location.
#include <gtest/gtest.h>

#include <functional>

#include "support/scoped_env.hpp"
#include "test_support.hpp"
#include "winclip/model_store.hpp"

namespace winclip {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an Error";
  return "";
}

class ResolveModel : public ::testing::Test {
 protected:
  fs::path default_dir() const { return cache_.path() / "ViT-B-16-plus-240" / "laion400m_e31"; }
  // A cached model as fetch leaves it; the contents do not matter to resolution.
  void populate(const fs::path& dir, const char* weights) const {
    fs::create_directories(dir);
    test::write_bytes(dir / kOpenClipConfigFile, "{}");
    test::write_bytes(dir / weights, "weights");
  }

  test::TempDir cache_;
};

TEST_F(ResolveModel, ExistingPathIsTakenAsItIs) {
  EXPECT_EQ(resolve_model(test::model_dir().string(), cache_.path()), test::model_dir());
  const auto file = test::data_path("torch/open_clip_pytorch_model.bin");
  EXPECT_EQ(resolve_model(file.string(), cache_.path()), file);
}

TEST_F(ResolveModel, NameTagAndNothingAllFindTheCachedDefault) {
  populate(default_dir(), kSafetensorsWeightsFile);
  EXPECT_EQ(resolve_model("", cache_.path()), default_dir());
  EXPECT_EQ(resolve_model("ViT-B-16-plus-240", cache_.path()), default_dir());
  EXPECT_EQ(resolve_model("ViT-B-16-plus-240:laion400m_e31", cache_.path()), default_dir());
}

TEST_F(ResolveModel, BinAloneIsEnoughWeights) {
  populate(default_dir(), kPytorchWeightsFile);
  EXPECT_EQ(resolve_model("", cache_.path()), default_dir());
  EXPECT_EQ(find_weights_file(default_dir()), default_dir() / kPytorchWeightsFile);
}

TEST_F(ResolveModel, SafetensorsIsPreferredOverTheBin) {
  populate(default_dir(), kPytorchWeightsFile);
  test::write_bytes(default_dir() / kSafetensorsWeightsFile, "weights");
  EXPECT_EQ(find_weights_file(default_dir()), default_dir() / kSafetensorsWeightsFile);
}

TEST_F(ResolveModel, MissingModelSuggestsFetch) {
  const std::string message = error_of([&] { resolve_model("", cache_.path()); });
  EXPECT_NE(message.find("not in the cache (" + default_dir().string() + ")"), std::string::npos) << message;
  EXPECT_NE(message.find("`winclip fetch --cache-dir " + cache_.path().string() + "`"), std::string::npos) << message;
}

TEST_F(ResolveModel, ConfigWithoutWeightsIsNotAModel) {
  fs::create_directories(default_dir());
  test::write_bytes(default_dir() / kOpenClipConfigFile, "{}");
  test::write_bytes(default_dir() / "open_clip_model.safetensors.part", "half");
  EXPECT_NE(error_of([&] { resolve_model("ViT-B-16-plus-240", cache_.path()); }).find("not in the cache"),
            std::string::npos);
}

TEST_F(ResolveModel, HubReferenceSuggestsFetchingIt) {
  const std::string message = error_of([&] { resolve_model("hf-hub:org/some-clip", cache_.path()); });
  EXPECT_NE(message.find((cache_.path() / "hf-hub" / "org" / "some-clip").string()), std::string::npos) << message;
  EXPECT_NE(message.find("winclip fetch --model hf-hub:org/some-clip"), std::string::npos) << message;
  populate(cache_.path() / "hf-hub" / "org" / "some-clip", kSafetensorsWeightsFile);
  EXPECT_EQ(resolve_model("hf-hub:org/some-clip", cache_.path()), cache_.path() / "hf-hub" / "org" / "some-clip");
}

TEST_F(ResolveModel, UnknownNamesListTheKnownOnes) {
  const std::string message = error_of([&] { resolve_model("ViT-Q-99", cache_.path()); });
  EXPECT_NE(message.find("no such file or directory"), std::string::npos) << message;
  EXPECT_NE(message.find("ViT-B-16-plus-240 (tags: laion400m_e31)"), std::string::npos) << message;
  EXPECT_NE(error_of([&] { resolve_model("ViT-B-16-plus-240:laion2b", cache_.path()); }).find("no tag 'laion2b'"),
            std::string::npos);
}

TEST_F(ResolveModel, HubReferencesCannotLeaveTheCache) {
  for (const char* bad : {"hf-hub:../etc", "hf-hub:org/..", "hf-hub:org/a/b", "hf-hub:org"})
    EXPECT_NE(error_of([&] { resolve_model(bad, cache_.path()); }).find("expected hf-hub:ORG/REPO"), std::string::npos)
        << bad;
}

TEST(DefaultCacheDir, FollowsXdgThenHome) {
  test::ScopedEnv home("HOME", "/home/someone");
  {
    test::ScopedEnv xdg("XDG_CACHE_HOME", "/var/cache/me");
    EXPECT_EQ(default_cache_dir(), fs::path("/var/cache/me/winclip"));
  }
  {
    test::ScopedEnv xdg("XDG_CACHE_HOME", "relative/cache");  // invalid per the XDG spec: ignored
    EXPECT_EQ(default_cache_dir(), fs::path("/home/someone/.cache/winclip"));
  }
  test::ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt);
  EXPECT_EQ(default_cache_dir(), fs::path("/home/someone/.cache/winclip"));
  test::ScopedEnv no_home("HOME", std::nullopt);
  EXPECT_THROW(default_cache_dir(), Error);
}

TEST(DefaultCacheDir, UsedWhenNoCacheDirIsGiven) {
  test::TempDir cache;
  test::ScopedEnv xdg("XDG_CACHE_HOME", cache.path().string());
  const auto dir = cache.path() / "winclip" / "ViT-B-16-plus-240" / "laion400m_e31";
  fs::create_directories(dir);
  test::write_bytes(dir / kOpenClipConfigFile, "{}");
  test::write_bytes(dir / kSafetensorsWeightsFile, "weights");
  EXPECT_EQ(resolve_model(""), dir);
}

}  // namespace
}  // namespace winclip
