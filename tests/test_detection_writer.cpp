// DetectionWriter: results.json, maps, overlays and masks, and the same entries and PNG bytes in memory.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "winclip/detection_writer.hpp"
#include "winclip/npy.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

Detector tiny_detector() {
  DetectorOptions options;
  options.class_name = "metal_nut";
  return Detector(ClipModel::load(test::model_dir()), options);
}

}  // namespace

TEST(DetectionWriter, FilesHoldTheInMemoryBytesAndResultsListEveryImage) {
  const Detector detector = tiny_detector();
  const fs::path path = test::data_path("winclip/images/test_1_crack.png");
  const Image original = test::fixture_image("test_1_crack");
  const Detection detection = detector.score(original);
  test::TempDir tmp;
  DetectionWriter writer(tmp.path(), detector, 0.5);

  const auto& entry = writer.write(path, original, detection);
  EXPECT_EQ(entry["map"], "maps/test_1_crack.npy");
  EXPECT_EQ(entry["overlay"], "overlays/test_1_crack.png");
  EXPECT_EQ(entry["mask"], "masks/test_1_crack.png");
  EXPECT_EQ(entry["anomalous"], detection.score > 0.5);
  EXPECT_EQ(test::read_bytes(tmp / "overlays/test_1_crack.png"), writer.overlay_png(original, detection));
  EXPECT_EQ(test::read_bytes(tmp / "masks/test_1_crack.png"), writer.mask_png(original, detection));
  EXPECT_EQ(read_npy(tmp / "maps/test_1_crack.npy").data, detection.map.data);

  // The entry a front end builds without files, for the names the writer would give.
  DetectionWriter names(tmp / "unused", detector, 0.5);
  EXPECT_EQ(names.image_entry(path, detection, names.next_files(path)), entry);
  EXPECT_FALSE(fs::exists(tmp / "unused"));

  // Same stem again: its own files. A failure: null score and verdict, and the error.
  writer.write(path, original, detection);
  writer.add_failure("missing.png", "missing.png: cannot open");
  writer.write_results();
  const auto results = nlohmann::ordered_json::parse(test::read_bytes(tmp / "results.json"));
  EXPECT_EQ(results, writer.results());
  EXPECT_EQ(results["class"], "metal_nut");
  EXPECT_EQ(results["shots"], 0);
  EXPECT_EQ(results["threshold"], 0.5);
  ASSERT_EQ(results["images"].size(), 3u);
  EXPECT_EQ(results["images"][1]["map"], "maps/test_1_crack-2.npy");
  EXPECT_TRUE(results["images"][2]["score"].is_null());
  EXPECT_TRUE(results["images"][2]["anomalous"].is_null());
  EXPECT_EQ(results["images"][2]["error"], "missing.png: cannot open");
}

TEST(DetectionWriter, WithoutThresholdNoMaskAndNoVerdict) {
  const Detector detector = tiny_detector();
  const Image original = test::fixture_image("test_0_good");
  const Detection detection = detector.score(original);
  test::TempDir tmp;
  DetectionWriter writer(tmp.path(), detector, std::nullopt);
  const auto& entry = writer.write("test_0_good.png", original, detection);
  EXPECT_FALSE(entry.contains("mask"));
  EXPECT_TRUE(entry["anomalous"].is_null());
  EXPECT_TRUE(writer.mask_png(original, detection).empty());
  EXPECT_FALSE(fs::exists(tmp / "masks"));
  EXPECT_TRUE(writer.results()["threshold"].is_null());
}
