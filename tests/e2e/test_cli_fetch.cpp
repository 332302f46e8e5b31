// `winclip fetch` as a user runs it, against a local stand-in for the hub: the model directory on stdout,
// exit 2 with the by-hand instructions when the hub is unreachable, exit 1 for a failed checksum.
#include <gtest/gtest.h>

#include "support/fake_hub.hpp"
#include "support/scoped_env.hpp"
#include "test_support.hpp"

namespace winclip {
namespace {

namespace fs = std::filesystem;

class CliFetch : public ::testing::Test {
 protected:
  test::TempDir cache_;
  test::ScopedEnv no_proxy_{"NO_PROXY", "127.0.0.1,localhost"};
};

TEST_F(CliFetch, PrintsTheModelDirectory) {
  test::FakeHub hub("test/tiny-clip", test::tiny_repo_files());
  const auto result = test::run_cli({"fetch", "--model", "hf-hub:test/tiny-clip", "--base-url", hub.url(),
                                     "--cache-dir", cache_.path().string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const fs::path dir = cache_.path() / "hf-hub" / "test" / "tiny-clip";
  EXPECT_EQ(result.out, dir.string() + "\n");
  EXPECT_TRUE(test::read_bytes(dir / "open_clip_model.safetensors") ==
              test::read_bytes(test::data_path("model/open_clip_model.safetensors")));
  EXPECT_NE(result.err.find("matches the hub's X-Linked-Etag"), std::string::npos) << result.err;
}

TEST_F(CliFetch, DefaultsToXdgCacheAndHfEndpoint) {
  test::FakeHub hub("test/tiny-clip", test::tiny_repo_files());
  test::ScopedEnv xdg("XDG_CACHE_HOME", cache_.path().string());
  test::ScopedEnv endpoint("HF_ENDPOINT", hub.url());
  const auto result = test::run_cli({"fetch", "--model", "hf-hub:test/tiny-clip", "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, (cache_.path() / "winclip" / "hf-hub" / "test" / "tiny-clip").string() + "\n");
  EXPECT_EQ(result.err, "");
}

TEST_F(CliFetch, UnreachableHubExitsWithTwoAndSaysWhatToDownload) {
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(test::closed_port());
  const auto result = test::run_cli({"fetch", "--base-url", nowhere, "--cache-dir", cache_.path().string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  const std::string weights_url =
      nowhere + "/timm/vit_base_patch16_plus_clip_240.laion400m_e31/resolve/main/open_clip_model.safetensors";
  EXPECT_NE(result.err.find(weights_url), std::string::npos) << result.err;
  EXPECT_NE(result.err.find((cache_.path() / "ViT-B-16-plus-240" / "laion400m_e31").string()), std::string::npos)
      << result.err;
}

TEST_F(CliFetch, FailedChecksumExitsWithOne) {
  test::FakeHub hub("test/tiny-clip", test::tiny_repo_files(), {"--corrupt", "open_clip_model.safetensors"});
  const auto result = test::run_cli({"fetch", "--model", "hf-hub:test/tiny-clip", "--base-url", hub.url(),
                                     "--cache-dir", cache_.path().string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("winclip: error: "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("does not match"), std::string::npos) << result.err;
}

TEST_F(CliFetch, UnknownModelIsAnError) {
  const auto result = test::run_cli({"fetch", "--model", "ViT-Q-99", "--cache-dir", cache_.path().string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("unknown model 'ViT-Q-99'"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace winclip
