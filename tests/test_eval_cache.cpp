// The per-image cache of run_eval: resuming computes only what is missing and gives identical metrics,
// other settings (or another model, or the same file rewritten) never reuse its results, a stop request
// ends a run between batches, and saved maps are this run's only.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>

#include "support/eval_runs.hpp"
#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"
#include "winclip/error.hpp"
#include "winclip/eval.hpp"
#include "winclip/model_config.hpp"
#include "winclip/npy.hpp"
#include "winclip/random_model.hpp"
#include "eval/reference_draw.hpp"

using namespace winclip;
using test::tiny_model;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> cached_scores(const fs::path& out) {
  std::vector<fs::path> scores;
  for (const auto& f : fs::recursive_directory_iterator(out / "cache"))
    if (f.path().extension() == ".score") scores.push_back(f.path());
  std::sort(scores.begin(), scores.end());
  return scores;
}

ino_t inode(const fs::path& path) {
  struct stat s{};
  EXPECT_EQ(::stat(path.c_str(), &s), 0) << path;
  return s.st_ino;
}

std::map<fs::path, ino_t> inodes(const std::vector<fs::path>& files) {
  std::map<fs::path, ino_t> found;
  for (const auto& file : files) found[file] = inode(file);
  return found;
}

long run_count(const fs::path& out) {
  return std::distance(fs::directory_iterator(out / "cache"), fs::directory_iterator());
}

std::vector<float> image_scores(const EvalResult& r) {
  std::vector<float> scores;
  for (const auto& s : r.categories.at(0).seeds.at(0).scores) scores.push_back(s.score);
  return scores;
}

// Rewrites a model's weights in place the way a fine-tune of its middle layers would: every float between
// the first and the last MiB changes sign. Those two MiB and the size, all that the model fingerprint
// reads, stay as they were.
void negate_middle_weights(const fs::path& file) {
  std::string bytes = test::read_bytes(file);
  uint64_t header = 0;
  std::memcpy(&header, bytes.data(), sizeof header);
  const size_t data_start = 8 + header, mib = size_t{1} << 20;
  for (size_t p = mib; p + mib < bytes.size(); ++p)
    if ((p - data_start) % 4 == 3) bytes[p] = static_cast<char>(bytes[p] ^ 0x80);  // sign bit of an F32
  test::write_bytes(file, bytes);
}

// A category of 4 test images (batches of 2) at `root`, evaluated into `out` with its maps saved; the options.
EvalOptions first_run_with_maps(const fs::path& root, const fs::path& out) {
  test::make_mvtec_category(root, "bottle", test::kEvalSpec);
  EvalOptions o = test::eval_options_for(root, out);
  o.save_maps = true;
  write_eval_report(run_eval(tiny_model(), o), out, false);
  return o;
}

}  // namespace

TEST(EvalCache, ResumeComputesOnlyUnfinishedBatchesToIdenticalMetrics) {
  test::TempDir root, out;
  const EvalOptions o = first_run_with_maps(root.path(), out.path());
  const std::string first_metrics = test::read_bytes(out / "metrics.json");

  // As if killed while the second batch was being written: one of its images has no score yet.
  const std::vector<fs::path> scores = cached_scores(out.path());
  ASSERT_EQ(scores.size(), 4u);
  const std::map<fs::path, ino_t> before = inodes(scores);
  fs::remove(scores[3]);
  write_eval_report(run_eval(tiny_model(), o), out.path(), false);
  EXPECT_EQ(test::read_bytes(out / "metrics.json"), first_metrics);
  EXPECT_EQ(inode(scores[0]), before.at(scores[0])) << "a finished batch was computed again";
  EXPECT_EQ(inode(scores[1]), before.at(scores[1])) << "a finished batch was computed again";
  EXPECT_NE(inode(scores[2]), before.at(scores[2])) << "the unfinished batch is computed whole, as in the first run";
  EXPECT_TRUE(fs::exists(scores[3]));

  // A cached map replaced by another (valid .npy, stale digest) is noticed and computed again.
  const fs::path cached_map = fs::path(scores[0]).replace_extension(".npy");
  const fs::path saved = out / "maps/bottle/0" / cached_map.parent_path().filename() / cached_map.filename();
  const std::string original_map = test::read_bytes(saved);
  write_npy(cached_map, Tensor({240, 240}));
  run_eval(tiny_model(), o);
  EXPECT_EQ(test::read_bytes(saved), original_map);
}

// What a crash of the machine or a full disk can leave (renames make a killed process leave no such file):
// a map cut short, an empty score file, a stray temporary. Each damaged entry's batch is computed again,
// the others are read back, and the results are those of the first run.
TEST(EvalCache, DamagedEntriesAreComputedAgain) {
  test::TempDir root, out;
  const EvalOptions o = first_run_with_maps(root.path(), out.path());
  const std::string first_metrics = test::read_bytes(out / "metrics.json");
  std::map<fs::path, std::string> first_maps;
  for (const auto& f : fs::recursive_directory_iterator(out / "maps"))
    if (f.is_regular_file()) first_maps[f.path()] = test::read_bytes(f.path());
  ASSERT_EQ(first_maps.size(), 4u);

  const std::vector<fs::path> scores = cached_scores(out.path());
  ASSERT_EQ(scores.size(), 4u);
  const std::map<fs::path, ino_t> before = inodes(scores);
  const fs::path cut_map = fs::path(scores[0]).replace_extension(".npy");
  const std::string map_bytes = test::read_bytes(cut_map);
  test::write_bytes(cut_map, map_bytes.substr(0, map_bytes.size() / 2));
  test::write_bytes(scores[1], "");
  const fs::path stray = cut_map.string() + ".tmp.12345.678";
  test::write_bytes(stray, map_bytes.substr(0, 100));

  write_eval_report(run_eval(tiny_model(), o), out.path(), false);
  EXPECT_EQ(test::read_bytes(out / "metrics.json"), first_metrics);
  for (const auto& [path, bytes] : first_maps) EXPECT_EQ(test::read_bytes(path), bytes) << path;
  EXPECT_NE(inode(scores[0]), before.at(scores[0])) << "a map cut short was read back";
  EXPECT_NE(inode(scores[1]), before.at(scores[1])) << "an empty score file was read back";
  EXPECT_EQ(inode(scores[2]), before.at(scores[2])) << "an intact batch was computed again";
  EXPECT_EQ(inode(scores[3]), before.at(scores[3])) << "an intact batch was computed again";
  EXPECT_FALSE(fs::exists(stray)) << "a killed run's temporary file was left";
}

TEST(EvalCache, OtherSettingsOrModelsGetTheirOwnCacheAndFreshDiscardsIt) {
  test::TempDir root, out, models;
  test::SyntheticSpec small = test::kEvalSpec;
  small.defects = {"hole"};
  test::make_mvtec_category(root.path(), "bottle", small);
  EvalOptions o = test::eval_options_for(root.path(), out.path());
  o.pixel_metrics = false;
  const EvalResult paper = run_eval(tiny_model(), o);
  o.detector.templates = TemplateSet::Anomalib;
  const EvalResult anomalib = run_eval(tiny_model(), o);
  EXPECT_EQ(run_count(out.path()), 2);
  EXPECT_NE(image_scores(paper), image_scores(anomalib));
  o.shots = 1;
  o.seeds = {0};
  run_eval(tiny_model(), o);
  EXPECT_EQ(run_count(out.path()), 3);

  // Another model; then that model's file rewritten in place with the same fingerprint.
  o.shots = 0;
  write_random_model(read_open_clip_config(test::model_dir() / "open_clip_config.json"), 5, models / "other");
  const EvalResult other = run_eval(ClipModel::load(models / "other"), o);
  EXPECT_EQ(run_count(out.path()), 4);
  EXPECT_NE(image_scores(other), image_scores(anomalib));
  const fs::path weights = models / "other/open_clip_model.safetensors";
  const auto modified = fs::last_write_time(weights);
  const std::string fingerprint = ClipModel::load(models / "other")->fingerprint();
  negate_middle_weights(weights);
  fs::last_write_time(weights, modified + std::chrono::seconds(1));  // whatever the file system's resolution
  std::shared_ptr<const ClipModel> rewritten = ClipModel::load(models / "other");
  ASSERT_EQ(rewritten->fingerprint(), fingerprint);
  const EvalResult again = run_eval(rewritten, o);
  EXPECT_EQ(run_count(out.path()), 5);
  EXPECT_NE(image_scores(again), image_scores(other));

  o.fresh = true;
  run_eval(tiny_model(), o);
  EXPECT_EQ(run_count(out.path()), 1);
}

TEST(EvalCache, ChangedTrainingImagesAreNotMixedWithCachedDraws) {
  test::TempDir root, out;
  test::SyntheticSpec small = test::kEvalSpec;
  small.defects = {"hole"};
  test::make_mvtec_category(root.path(), "bottle", small);
  EvalOptions o = test::eval_options_for(root.path(), out.path());
  o.shots = 1;
  o.seeds = {0};
  o.pixel_metrics = false;
  run_eval(tiny_model(), o);
  // More training images change which one seed 0 draws.
  for (int i = 3; i < 12; ++i)
    fs::copy_file(root / "bottle/train/good/000.png", root / "bottle/train/good" / (test::numbered(i) + ".png"));
  ASSERT_NE(draw_references(3, 1, 0), draw_references(12, 1, 0));
  try {
    run_eval(tiny_model(), o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--fresh"), std::string::npos) << e.what();
  }
  o.fresh = true;
  EXPECT_NO_THROW(run_eval(tiny_model(), o));
}

TEST(EvalCache, StopRequestEndsTheRunBeforeItsNextUncachedBatch) {
  test::TempDir root, out;
  test::make_mvtec_category(root.path(), "bottle", test::kEvalSpec);
  EvalOptions o = test::eval_options_for(root.path(), out.path());
  const std::atomic<bool> stop{true};
  o.stop = &stop;
  EXPECT_THROW(run_eval(tiny_model(), o), EvalInterrupted);
  EXPECT_TRUE(cached_scores(out.path()).empty());

  o.stop = nullptr;
  const EvalResult whole = run_eval(tiny_model(), o);
  o.stop = &stop;  // with everything cached there is nothing left to stop
  EXPECT_EQ(image_scores(run_eval(tiny_model(), o)), image_scores(whole));
}

TEST(EvalCache, SavedMapsAndMasksAreThisRunsOnly) {
  test::TempDir root, out;
  test::make_mvtec_category(root.path(), "bottle", test::kEvalSpec);
  const fs::path stale_map = out / "maps/bottle/3/hole/017.npy", stale_mask = out / "masks/bottle/crack/000.png";
  for (const fs::path& stale : {stale_map, stale_mask}) {
    fs::create_directories(stale.parent_path());
    test::write_bytes(stale, "from an earlier run");
  }
  EvalOptions o = test::eval_options_for(root.path(), out.path());
  o.save_maps = true;
  run_eval(tiny_model(), o);
  EXPECT_FALSE(fs::exists(stale_map));
  EXPECT_FALSE(fs::exists(stale_mask));
  size_t maps = 0, masks = 0;
  for (const auto& f : fs::recursive_directory_iterator(out / "maps")) maps += f.is_regular_file();
  for (const auto& f : fs::recursive_directory_iterator(out / "masks")) masks += f.is_regular_file();
  EXPECT_EQ(maps, 4u);
  EXPECT_EQ(masks, 4u);
}
