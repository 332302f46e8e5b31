#include "eval/draw_evaluation.hpp"

#include <algorithm>
#include <optional>

#include "winclip/error.hpp"
#include "winclip/metrics.hpp"
#include "eval/reference_draw.hpp"
#include "winclip/threshold_calibration.hpp"

namespace winclip::eval {

namespace fs = std::filesystem;

DrawDetector::DrawDetector(std::shared_ptr<const ClipModel> model, DetectorOptions options)
    : model_(std::move(model)), options_(std::move(options)) {}

const Detector& DrawDetector::get(uint64_t seed, const std::vector<fs::path>& references) {
  if (detector_ && seed_ == seed) return *detector_;
  if (prototypes_) {
    detector_.emplace(model_, options_, *prototypes_);
  } else {
    detector_.emplace(model_, options_);
    prototypes_ = detector_->prototypes();
  }
  seed_ = seed;
  if (!references.empty()) {
    std::vector<Image> images;
    for (const auto& path : references) images.push_back(decode_image(path));
    detector_->add_references(images);
  }
  return *detector_;
}

std::vector<fs::path> draw_reference_paths(const Category& category, int shots, uint64_t seed) {
  std::vector<fs::path> paths;
  for (size_t i : draw_references(category.train.size(), static_cast<size_t>(shots), seed))
    paths.push_back(category.train[i]);
  return paths;
}

bool batch_cached(const ResultCache& cache, const Category& category, uint64_t seed, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i)
    if (!cache.contains(category.name, seed, category.test[i].key())) return false;
  return true;
}

namespace {

// A mask of another size than its image would be stretched onto the wrong pixels.
void require_mask_fits(const TestImage& test, const GroundTruth& gt, const Image& image) {
  if (gt.file_width != image.width || gt.file_height != image.height)
    throw Error(test.mask.string(), "ground-truth mask is " + std::to_string(gt.file_width) + "×" +
                                        std::to_string(gt.file_height) + " but its image " + test.image.string() +
                                        " is " + std::to_string(image.width) + "×" + std::to_string(image.height));
}

std::vector<ImageResult> score_batch(const CategoryContext& context, uint64_t seed,
                                     const std::vector<fs::path>& references, size_t begin, size_t end) {
  const Detector& detector = context.detector.get(seed, references);
  std::vector<Image> images;
  for (size_t i = begin; i < end; ++i) {
    const TestImage& test = context.category.test[i];
    images.push_back(decode_image(test.image));
    if (test.anomalous && !context.masks.empty()) require_mask_fits(test, context.masks[i], images.back());
  }
  std::vector<ImageResult> results;
  for (Detection& d : detector.score(images)) results.push_back({static_cast<float>(d.score), std::move(d.map)});
  for (size_t i = begin; i < end; ++i)
    context.cache.write(context.category.name, seed, context.category.test[i].key(), results[i - begin]);
  if (context.progress) context.progress->advance(end - begin);
  return results;
}

// The batch's cached results, or nullopt if any entry turns out damaged: the batch is then computed whole, as
// in an uninterrupted run (a batch's images are scored together).
std::optional<std::vector<ImageResult>> read_batch(const CategoryContext& context, uint64_t seed, size_t begin,
                                                   size_t end) {
  std::vector<ImageResult> results;
  for (size_t i = begin; i < end; ++i) {
    auto result = context.cache.read(context.category.name, seed, context.category.test[i].key(), context.map_size);
    if (!result) return std::nullopt;
    results.push_back(std::move(*result));
  }
  return results;
}

void add_warnings(const std::string& category, const std::vector<std::string>& found,
                  std::vector<std::string>& warnings) {
  for (const auto& w : found) {
    const std::string warning = category + ": " + w;
    if (std::find(warnings.begin(), warnings.end(), warning) == warnings.end()) warnings.push_back(warning);
  }
}

// Calibrates on the `calibrate` training images after the draw's references in its shuffle (never one of
// them), then counts what the threshold does to the test scores.
CalibratedRates calibrated_rates(const CategoryContext& context, uint64_t seed, const std::vector<fs::path>& references,
                                 const std::vector<float>& scores, const std::vector<uint8_t>& labels) {
  const EvalOptions& options = context.options;
  const Category& category = context.category;
  const auto order = draw_references(category.train.size(), static_cast<size_t>(options.shots + options.calibrate), seed);
  const Detector& detector = context.detector.get(seed, references);
  std::vector<double> normal_scores;
  const size_t batch = static_cast<size_t>(options.detector.batch_size);
  for (size_t begin = static_cast<size_t>(options.shots); begin < order.size(); begin += batch) {
    std::vector<Image> images;
    for (size_t i = begin; i < std::min(order.size(), begin + batch); ++i) images.push_back(decode_image(category.train[order[i]]));
    // As float, like the cached test scores the threshold is compared with.
    for (const Detection& d : detector.score(images)) normal_scores.push_back(static_cast<float>(d.score));
  }
  const CalibratedThreshold t = calibrate_threshold(normal_scores, options.calibrate_fpr, category.name + ": --calibrate");
  CalibratedRates rates{.threshold = t.threshold, .calibration_images = t.n, .rank = t.rank, .target_fpr = options.calibrate_fpr};
  int64_t tp = 0, fp = 0, positives = 0, negatives = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool flagged = scores[i] > t.threshold;
    (labels[i] ? positives : negatives)++;
    if (flagged) (labels[i] ? tp : fp)++;
  }
  RealisedRates& r = rates.realised;
  if (negatives) r.fpr = static_cast<double>(fp) / static_cast<double>(negatives);
  if (positives) r.tpr = static_cast<double>(tp) / static_cast<double>(positives);
  if (tp + fp) r.precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
  if (r.tpr && r.precision)
    r.f1 = *r.tpr + *r.precision > 0 ? 2 * *r.tpr * *r.precision / (*r.tpr + *r.precision) : 0.0;
  return rates;
}

}  // namespace

SeedResult evaluate_draw(const CategoryContext& context, uint64_t seed, std::vector<std::string>& warnings) {
  const EvalOptions& options = context.options;
  const Category& category = context.category;
  const std::vector<fs::path> references = draw_reference_paths(category, options.shots, seed);
  context.cache.check_references(category.name, seed, references);

  SeedResult result{.seed = seed};
  PixelMetricsAccumulator pixels;
  std::vector<float> scores;
  std::vector<uint8_t> labels;
  const size_t n = category.test.size(), batch = static_cast<size_t>(options.detector.batch_size);
  for (size_t begin = 0; begin < n; begin += batch) {
    const size_t end = std::min(n, begin + batch);
    std::optional<std::vector<ImageResult>> cached;
    if (batch_cached(context.cache, category, seed, begin, end)) cached = read_batch(context, seed, begin, end);
    if (!cached && options.stop && options.stop->load())
      throw EvalInterrupted("evaluation interrupted; the finished images are kept in " + context.cache.dir().string());
    const std::vector<ImageResult> batch_results =
        cached ? std::move(*cached) : score_batch(context, seed, references, begin, end);
    for (size_t i = begin; i < end; ++i) {
      const TestImage& test = category.test[i];
      const ImageResult& r = batch_results[i - begin];
      if (options.pixel_metrics)
        pixels.add(r.map.data, context.masks[i].pixels, context.map_size, context.map_size, test.image.string());
      scores.push_back(r.score);
      labels.push_back(test.anomalous ? 1 : 0);
      result.scores.push_back({test.image, test.anomalous, r.score});
    }
  }

  const ImageMetrics image = image_metrics(scores, labels, options.aupr);
  result.metrics.image_auroc = image.auroc;
  result.metrics.image_ap = image.aupr;
  result.metrics.image_f1max = image.f1_max;
  add_warnings(category.name, image.warnings, warnings);
  if (options.pixel_metrics) {
    const PixelMetrics pixel = pixels.finish();
    result.metrics.pixel_auroc = pixel.auroc;
    result.metrics.pixel_aupro = pixel.aupro;
    result.metrics.pixel_f1max = pixel.f1_max;
    result.pro_curve = pixel.pro_curve;
    add_warnings(category.name, pixel.warnings, warnings);
  }
  if (options.calibrate > 0) result.calibrated = calibrated_rates(context, seed, references, scores, labels);
  return result;
}

}  // namespace winclip::eval
