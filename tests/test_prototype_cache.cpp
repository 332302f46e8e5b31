// The on-disk prototype cache: a second detector for the same model and class takes the prototypes from
// disk and never loads the text tower; another class, template set or a weights file rewritten in place
// misses; a damaged entry is a miss, not an error.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "test_support.hpp"
#include "winclip/detector.hpp"
#include "detection/prototypes.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const ClipModel> load(const fs::path& dir) { return ClipModel::load(dir); }

DetectorOptions cached(const fs::path& cache, const std::string& class_name) {
  DetectorOptions options;
  options.class_name = class_name;
  options.prototype_cache = cache;
  return options;
}

}  // namespace

TEST(PrototypeCache, SecondDetectorNeverLoadsTheTextTower) {
  test::TempDir cache;
  const auto first_model = load(test::model_dir());
  const Detector first(first_model, cached(cache.path(), "bottle"));
  EXPECT_TRUE(first_model->text_loaded());

  const auto second_model = load(test::model_dir());
  const Detector second(second_model, cached(cache.path(), "bottle"));
  EXPECT_FALSE(second_model->text_loaded());
  EXPECT_EQ(test::max_abs_diff(first.prototypes(), second.prototypes()), 0.0);

  const auto other_class = load(test::model_dir());
  const Detector third(other_class, cached(cache.path(), "carpet"));
  EXPECT_TRUE(other_class->text_loaded());
  EXPECT_GT(test::max_abs_diff(first.prototypes(), third.prototypes()), 0.0);

  auto anomalib = cached(cache.path(), "bottle");
  anomalib.templates = TemplateSet::Anomalib;
  const auto other_templates = load(test::model_dir());
  const Detector fourth(other_templates, anomalib);
  EXPECT_TRUE(other_templates->text_loaded());
}

TEST(PrototypeCache, WeightsRewrittenInPlaceMiss) {
  test::TempDir cache, model;
  for (const auto& f : fs::directory_iterator(test::model_dir())) fs::copy(f.path(), model / f.path().filename().string());
  { const Detector first(load(model.path()), cached(cache.path(), "bottle")); }
  // Same bytes, so the same sampled fingerprint; only the modification time says the file was rewritten.
  const fs::path weights = model / "open_clip_model.safetensors";
  fs::last_write_time(weights, fs::last_write_time(weights) + std::chrono::hours(1));
  const auto rewritten = load(model.path());
  const Detector second(rewritten, cached(cache.path(), "bottle"));
  EXPECT_TRUE(rewritten->text_loaded());
}

TEST(PrototypeCache, DamagedEntryIsAMiss) {
  test::TempDir cache;
  const PrototypeKey key{"model", "bottle", TemplateSet::Paper};
  const PrototypeCache store(cache.path());
  Tensor prototypes({2, 4});
  for (size_t i = 0; i < prototypes.data.size(); ++i) prototypes.data[i] = static_cast<float>(i) * 0.5f;
  store.store(key, prototypes);
  const auto found = store.find(key);
  ASSERT_TRUE(found);
  EXPECT_EQ(test::max_abs_diff(*found, prototypes), 0.0);
  EXPECT_FALSE(store.find({"model", "carpet", TemplateSet::Paper}));
  test::write_bytes(store.entry_path(key), "not a safetensors file");
  EXPECT_FALSE(store.find(key));
}
