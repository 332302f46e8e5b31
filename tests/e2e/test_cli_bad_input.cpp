// The bad-input table: every case through the command line gives a clear message naming the file and the
// problem, a non-zero exit, and never a crash (no signal, no sanitizer report).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

struct Checkpoint {
  nlohmann::json header;
  std::string data;
};

Checkpoint read_fixture() {
  const std::string bytes = test::read_bytes(test::model_dir() / "open_clip_model.safetensors");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  return {nlohmann::json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
}

std::string serialize(const Checkpoint& c) {
  std::string header = c.header.dump();
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + c.data;
}

// A model directory whose weights file holds `bytes`.
fs::path model_with(const test::TempDir& tmp, const std::string& name, const std::string& bytes) {
  const fs::path dir = tmp / name;
  fs::create_directories(dir);
  fs::copy_file(test::model_dir() / "open_clip_config.json", dir / "open_clip_config.json");
  test::write_bytes(dir / "open_clip_model.safetensors", bytes);
  return dir;
}

void expect_clear_failure(const std::vector<std::string>& args, const std::vector<std::string>& mentions) {
  const auto r = test::run_cli(args);
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_LT(r.exit_code, 128) << "crashed: " << r.err;
  EXPECT_EQ(r.err.find("Sanitizer"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
  for (const auto& m : mentions) EXPECT_NE(r.err.find(m), std::string::npos) << "expected '" << m << "' in: " << r.err;
}

std::vector<std::string> encode(const fs::path& model, const fs::path& image, const fs::path& out) {
  return {"encode-image", "--model", model.string(), "--out", out.string(), image.string()};
}

const fs::path kImage = test::data_path("winclip/images/test_0_good.png");

}  // namespace

TEST(CliBadInput, CheckpointCases) {
  test::TempDir tmp;
  const Checkpoint good = read_fixture();
  const std::string bytes = serialize(good);
  const fs::path out = tmp / "e.npy";

  // 1. truncated safetensors
  expect_clear_failure(encode(model_with(tmp, "truncated", bytes.substr(0, bytes.size() / 2)), kImage, out),
                       {"open_clip_model.safetensors"});
  // 2. header length past the end of the file
  std::string long_header = bytes;
  long_header[5] = '\x01';
  expect_clear_failure(encode(model_with(tmp, "header", long_header), kImage, out), {"open_clip_model.safetensors", "header"});
  // 3. overlapping offsets
  Checkpoint overlap = good;
  overlap.header["visual.proj"]["data_offsets"] = overlap.header["visual.ln_post.bias"]["data_offsets"];
  overlap.header["visual.proj"]["shape"] = overlap.header["visual.ln_post.bias"]["shape"];
  expect_clear_failure(encode(model_with(tmp, "overlap", serialize(overlap)), kImage, out), {"open_clip_model.safetensors"});
  // 4. wrong dtype
  Checkpoint dtype = good;
  dtype.header["visual.proj"]["dtype"] = "I32";
  expect_clear_failure(encode(model_with(tmp, "dtype", serialize(dtype)), kImage, out), {"visual.proj"});
  // 5. wrong shape (same byte size, another layout)
  Checkpoint shape = good;
  shape.header["visual.proj"]["shape"] = {32, 64};
  expect_clear_failure(encode(model_with(tmp, "shape", serialize(shape)), kImage, out), {"visual.proj", "shape"});
  // 6. missing key
  Checkpoint missing = good;
  missing.header.erase("visual.ln_post.weight");
  expect_clear_failure(encode(model_with(tmp, "missing", serialize(missing)), kImage, out), {"visual.ln_post.weight"});
  // 7. empty file
  expect_clear_failure(encode(model_with(tmp, "empty", ""), kImage, out), {"open_clip_model.safetensors"});
  // 8. a directory instead of a weights file
  const fs::path dir_weights = tmp / "dirweights";
  fs::create_directories(dir_weights / "open_clip_model.safetensors");
  fs::copy_file(test::model_dir() / "open_clip_config.json", dir_weights / "open_clip_config.json");
  expect_clear_failure(encode(dir_weights, kImage, out), {"open_clip_model.safetensors"});
  // 9. unknown architecture for a bare weights file
  expect_clear_failure({"encode-image", "--model", (test::model_dir() / "open_clip_model.safetensors").string(),
                        "--arch", "ViT-Nope-99", "--out", out.string(), kImage.string()},
                       {"ViT-Nope-99"});
  // 10. a checkpoint of another architecture
  expect_clear_failure({"encode-image", "--model", (test::model_dir() / "open_clip_model.safetensors").string(),
                        "--arch", "ViT-B-16", "--out", out.string(), kImage.string()},
                       {"open_clip_model.safetensors"});
}

TEST(CliBadInput, ImageAndTextCases) {
  test::TempDir tmp;
  const fs::path out = tmp / "e.npy";
  // 11. corrupt PNG: a valid signature and header, then garbage
  std::string png = test::read_bytes(kImage);
  for (size_t i = 100; i < png.size(); i += 7) png[i] = static_cast<char>(png[i] ^ 0x5a);
  test::write_bytes(tmp / "corrupt.png", png);
  expect_clear_failure(encode(test::model_dir(), tmp / "corrupt.png", out), {"corrupt.png"});
  // 12. non-image file with an image name
  test::write_bytes(tmp / "notes.png", "these are notes, not pixels\n");
  expect_clear_failure(encode(test::model_dir(), tmp / "notes.png", out), {"notes.png"});
  // 13. empty image file
  test::write_bytes(tmp / "empty.jpg", "");
  expect_clear_failure(encode(test::model_dir(), tmp / "empty.jpg", out), {"empty.jpg"});
  // 14. a directory given as an image
  fs::create_directories(tmp / "folder.png");
  expect_clear_failure(encode(test::model_dir(), tmp / "folder.png", out), {"folder.png"});
  // 15. missing image
  expect_clear_failure(encode(test::model_dir(), tmp / "nowhere.png", out), {"nowhere.png"});
  // 16. text with invalid UTF-8
  expect_clear_failure({"tokenize", std::string("bad \xff\xfe text")}, {"UTF-8"});
  expect_clear_failure({"encode-text", "--model", test::model_dir().string(), "--out", out.string(),
                        std::string("caf\xc3")},
                       {"UTF-8"});
  EXPECT_FALSE(fs::exists(out));
}

TEST(CliBadInput, DetectKeepsGoingPastABadImage) {
  test::TempDir tmp;
  test::write_bytes(tmp / "broken.png", "\x89PNG\r\n\x1a\nnot really");
  const auto r = test::run_cli({"detect", "--model", test::model_dir().string(), "--class", "metal_nut", "--out",
                                (tmp / "out").string(), kImage.string(), (tmp / "broken.png").string(),
                                test::data_path("winclip/images/test_1_crack.png").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto results = nlohmann::json::parse(test::read_bytes(tmp / "out" / "results.json"));
  ASSERT_EQ(results["images"].size(), 3u);
  EXPECT_TRUE(results["images"][0]["score"].is_number());
  EXPECT_TRUE(results["images"][1]["score"].is_null());
  EXPECT_NE(results["images"][1]["error"].get<std::string>().find("broken.png"), std::string::npos);
  EXPECT_TRUE(results["images"][2]["score"].is_number());
  EXPECT_TRUE(fs::exists(tmp / "out" / "maps" / "test_1_crack.npy"));
}

TEST(CliBadInput, DetectWithoutImagesOrClassFails) {
  test::TempDir tmp;
  fs::create_directories(tmp / "empty");
  expect_clear_failure({"detect", "--model", test::model_dir().string(), "--class", "bottle", "--out",
                        (tmp / "o").string(), (tmp / "empty").string()},
                       {"empty"});
  expect_clear_failure({"detect", "--model", test::model_dir().string(), "--out", (tmp / "o").string(), kImage.string()},
                       {"--class"});
}
