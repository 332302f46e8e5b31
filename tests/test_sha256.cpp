// SHA-256 against the FIPS 180-4 / NIST CSRC example vectors and against digests computed by Python's hashlib
// for the fixture files (tests/data, recorded in shared/fixtures/tiny_random_clip.keys.json).
#include <gtest/gtest.h>

#include <string>

#include "core/sha256.hpp"
#include "test_support.hpp"
#include "winclip/error.hpp"

namespace winclip {
namespace {

std::string digest_of(std::string_view message) {
  Sha256 hash;
  hash.update(message);
  return hash.hex_digest();
}

TEST(Sha256, NistShortMessages) {
  EXPECT_EQ(digest_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(digest_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, NistTwoBlockMessages) {
  // 448 bits: the length field no longer fits in the first block, so padding spills into a second one.
  EXPECT_EQ(digest_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(digest_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                      "mnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, MillionTimesA) {
  Sha256 hash;
  const std::string thousand(1000, 'a');
  for (int i = 0; i < 1000; ++i) hash.update(thousand);
  EXPECT_EQ(hash.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, ChunkingDoesNotChangeTheDigest) {
  std::string message;
  for (int i = 0; i < 1000; ++i) message += static_cast<char>((i * 131 + 7) % 256);
  const std::string whole = digest_of(message);
  for (size_t chunk : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 127u, 999u}) {
    Sha256 hash;
    for (size_t at = 0; at < message.size(); at += chunk) hash.update(std::string_view(message).substr(at, chunk));
    EXPECT_EQ(hash.hex_digest(), whole) << "chunk " << chunk;
  }
}

TEST(Sha256, FilesMatchTheFixtureDigests) {
  EXPECT_EQ(sha256_file(test::data_path("model/open_clip_model.safetensors")),
            "2e1aef2c0b8de479ca569ebe568e3be589d7c6a6e5cc79c4628356a67a3163e6");
  EXPECT_EQ(sha256_file(test::data_path("torch/open_clip_pytorch_model.bin")),
            "df99f0431b37c96e0ecc09be00d13d792cd81e69418c4ca3c2d09e1687cbcf40");
}

TEST(Sha256, MissingFileNamesIt) {
  try {
    sha256_file("/nonexistent/weights.bin");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/weights.bin"), std::string::npos);
  }
}

TEST(Sha256, RecognisesHexDigests) {
  EXPECT_TRUE(is_sha256_hex("FA8EEC9AFF58E9215B9B44A977038179712694d3fc3a73eba62546bcff13deb3"));
  EXPECT_FALSE(is_sha256_hex("fa8eec9aff58e9215b9b44a977038179712694d3fc3a73eba62546bcff13deb"));   // 63 digits
  EXPECT_FALSE(is_sha256_hex("ga8eec9aff58e9215b9b44a977038179712694d3fc3a73eba62546bcff13deb3"));  // not hex
  EXPECT_FALSE(is_sha256_hex("\"fa8eec9aff58e9215b9b44a977038179712694d3fc3a73eba62546bcff13de\""));
}

}  // namespace
}  // namespace winclip
