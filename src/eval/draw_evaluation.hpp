#pragma once
// One category under one reference draw: its test images scored (or read back from the cache) batch by
// batch, and the metrics of docs/eval.md (Metrics) computed from exactly the scores and maps that were stored.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eval/result_cache.hpp"
#include "winclip/datasets.hpp"
#include "winclip/detector.hpp"
#include "winclip/eval.hpp"
#include "eval/ground_truth.hpp"
#include "winclip/progress.hpp"

namespace winclip::eval {

// The detector of one category, built only when an image of a draw actually needs scoring: a resumed run
// whose results are all cached runs neither the text tower nor the reference images.
class DrawDetector {
 public:
  DrawDetector(std::shared_ptr<const ClipModel> model, DetectorOptions options);
  const Detector& get(uint64_t seed, const std::vector<std::filesystem::path>& references);

 private:
  std::shared_ptr<const ClipModel> model_;
  DetectorOptions options_;
  std::optional<Tensor> prototypes_;  // shared by the draws: they differ only in references
  std::optional<Detector> detector_;
  std::optional<uint64_t> seed_;
};

// What the draws of one category share.
struct CategoryContext {
  const EvalOptions& options;
  const ResultCache& cache;
  const Category& category;
  const std::vector<GroundTruth>& masks;  // per test image; empty without pixel metrics
  DrawDetector& detector;
  int map_size = 0;
  ProgressBar* progress = nullptr;  // may be null
};

// The reference images of a draw: draw_references over the sorted training list.
std::vector<std::filesystem::path> draw_reference_paths(const Category& category, int shots, uint64_t seed);

// True when every image of test[begin, end) is cached: such a batch is read back, any other is recomputed
// whole, so images are always scored in the same batches as in an uninterrupted run.
bool batch_cached(const ResultCache& cache, const Category& category, uint64_t seed, size_t begin, size_t end);

// Scores, stores and measures one draw; `warnings` gets the metrics' warnings prefixed by the category.
SeedResult evaluate_draw(const CategoryContext& context, uint64_t seed, std::vector<std::string>& warnings);

}  // namespace winclip::eval
