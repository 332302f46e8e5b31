// run_eval: the categories and draws of an evaluation, the resumable cache, progress, and the averages.
#include <algorithm>
#include <set>

#include "eval/draw_evaluation.hpp"
#include "eval/report_gallery.hpp"
#include "eval/result_cache.hpp"
#include "checkpoint/checkpoint.hpp"
#include "winclip/error.hpp"
#include "winclip/eval.hpp"
#include "winclip/overlay.hpp"
#include "detection/prototypes.hpp"

namespace winclip {

namespace fs = std::filesystem;

namespace {

void validate(const EvalOptions& o) {
  if (o.out.empty()) throw Error("eval: no output directory given");
  if (o.shots < 0) throw Error("eval: --shots must be 0 or more");
  if (o.calibrate < 0) throw Error("eval: --calibrate must be 0 or more");
  if (o.limit < 0) throw Error("eval: --limit must not be negative");
  if (o.detector.batch_size < 1) throw Error("eval: --batch-size must be 1 or more");
  if (o.shots > 0 && o.seeds.empty()) throw Error("eval: few-shot evaluation needs at least one seed");
  if (std::set<uint64_t>(o.seeds.begin(), o.seeds.end()).size() != o.seeds.size())
    throw Error("eval: a seed is listed twice");
  if (std::set<std::string>(o.categories.begin(), o.categories.end()).size() != o.categories.size())
    throw Error("eval: a category is listed twice");
}

std::string absolute_path(const fs::path& path) { return fs::absolute(path).lexically_normal().string(); }

// Everything that changes a stored score or map. Masks, categories, seeds, --aupr and --save-maps do not:
// they select or use results without changing them. Batch size and limit do, through how images are batched.
nlohmann::json result_settings(const ClipModel& model, const EvalOptions& o) {
  const DetectorOptions& d = o.detector;
  nlohmann::json settings = {{"model_fingerprint", model.fingerprint()},
                             {"model_weights", fs::canonical(model.weights_path()).string()},
                             {"precision", precision_name(model.precision())},
                             {"templates", template_set_name(d.templates)},
                             {"raw_class_name", d.raw_class_name},
                             {"scales", d.scales},
                             {"resize", d.resize == ResizeMode::Squash ? "squash" : "shortest"},
                             {"temperature", d.temperature},
                             {"batch_size", d.batch_size},
                             {"shots", o.shots},
                             {"limit", o.limit},
                             {"dataset", dataset_kind_name(o.dataset.kind)}};
  if (o.dataset.kind == DatasetKind::Folder) {
    settings["normal"] = absolute_path(o.dataset.normal);
    settings["abnormal"] = absolute_path(o.dataset.abnormal);
    settings["train"] = o.dataset.train.empty() ? "" : absolute_path(o.dataset.train);
  } else {
    settings["root"] = absolute_path(o.dataset.root);
  }
  return settings;
}

// What identifies the cached results: the settings, and the state of the weights file. The fingerprint
// reads only the first and last MiB of the weights, so a model rewritten in place (or fine-tuned only in
// between) must be told apart by its size and modification time.
nlohmann::json cache_key(const nlohmann::json& settings, const ClipModel& model) {
  nlohmann::json key = settings;
  key["model_weights_state"] = weights_file_state(model.weights_path());
  return key;
}

std::vector<Category> load_categories(const EvalOptions& o) {
  const std::vector<std::string> names = o.categories.empty() ? list_categories(o.dataset) : o.categories;
  std::vector<Category> categories;
  for (const auto& name : names) {
    Category category = load_category(o.dataset, name);
    if (o.limit > 0) limit_test_images(category, o.limit);
    // Checked for every category before any image is scored: a long run must not fail halfway.
    if (o.pixel_metrics) require_masks(category);
    if (o.calibrate > 0 && category.train.size() < static_cast<size_t>(o.shots + o.calibrate))
      throw Error("category '" + name + "': --calibrate " + std::to_string(o.calibrate) + " with " +
                  std::to_string(o.shots) + " shots needs " + std::to_string(o.shots + o.calibrate) +
                  " normal training images, found " + std::to_string(category.train.size()));
    if (category.train.size() < static_cast<size_t>(o.shots))
      throw Error("category '" + name + "': " + std::to_string(o.shots) + "-shot evaluation needs " +
                  std::to_string(o.shots) + " normal training images, found " + std::to_string(category.train.size()));
    categories.push_back(std::move(category));
  }
  return categories;
}

std::vector<GroundTruth> load_masks(const Category& category, int size, ResizeMode mode) {
  std::vector<GroundTruth> masks;
  for (const auto& test : category.test)
    masks.push_back(test.anomalous ? load_ground_truth(test.mask, size, mode)
                                   : GroundTruth{.pixels = std::vector<uint8_t>(static_cast<size_t>(size) * size, 0)});
  return masks;
}

size_t count_cached(const eval::ResultCache& cache, const std::vector<Category>& categories,
                    const std::vector<uint64_t>& seeds, size_t batch) {
  size_t cached = 0;
  for (const auto& category : categories)
    for (uint64_t seed : seeds)
      for (size_t begin = 0; begin < category.test.size(); begin += batch) {
        const size_t end = std::min(category.test.size(), begin + batch);
        if (eval::batch_cached(cache, category, seed, begin, end)) cached += end - begin;
      }
  return cached;
}

MetricSummary summarize_seeds(const std::vector<Metrics>& per_seed, const std::vector<uint64_t>& seeds,
                              std::vector<std::string>& warnings) {
  std::vector<std::string> names;
  for (uint64_t seed : seeds) names.push_back("seed " + std::to_string(seed));
  MetricSummary summary{.mean = average_metrics(per_seed, names, "seeds", warnings)};
  if (per_seed.size() > 1) summary.std = metric_spread(per_seed);
  return summary;
}

// OUT/maps/<category>/<seed>/<key>.npy (links to the cached maps) and OUT/masks/<category>/<key>.png (the
// ground truth at S×S, 0/255), each folder replaced whole: no file of an earlier run with other images or
// seeds stays among them.
void save_maps(const EvalOptions& o, const eval::ResultCache& cache, const Category& category,
               const std::vector<uint64_t>& seeds, const std::vector<GroundTruth>& masks, int size) {
  for (const char* folder : {"maps", "masks"}) {
    std::error_code ec;
    fs::remove_all(o.out / folder / category.name, ec);
    if (ec) throw Error((o.out / folder / category.name).string(), "cannot replace: " + ec.message());
  }
  for (uint64_t seed : seeds)
    for (const auto& test : category.test)
      cache.link_map(category.name, seed, test.key(),
                     o.out / "maps" / category.name / std::to_string(seed) / (test.key() + ".npy"));
  for (size_t i = 0; i < masks.size(); ++i) {
    std::vector<uint8_t> png(masks[i].pixels.size());
    std::transform(masks[i].pixels.begin(), masks[i].pixels.end(), png.begin(), [](uint8_t m) { return m ? 255 : 0; });
    write_png_gray(o.out / "masks" / category.name / (category.test[i].key() + ".png"), size, size, png);
  }
}

// Every draw of one category, and its mean (and spread) over them.
CategoryResult evaluate_category(const eval::CategoryContext& context, const std::vector<uint64_t>& seeds,
                                 std::vector<std::string>& warnings) {
  CategoryResult result{.name = context.category.name, .n_images = static_cast<int>(context.category.test.size())};
  std::vector<Metrics> per_seed;
  std::vector<RealisedRates> rates;
  for (uint64_t seed : seeds) {
    result.seeds.push_back(eval::evaluate_draw(context, seed, warnings));
    per_seed.push_back(result.seeds.back().metrics);
    if (result.seeds.back().calibrated) rates.push_back(result.seeds.back().calibrated->realised);
  }
  result.summary = summarize_seeds(per_seed, seeds, warnings);
  if (!rates.empty()) result.calibrated = average_rates(rates);
  // One draw's gallery: the thumbnails of every draw would multiply the report's size by the seeds.
  result.gallery = eval::worst_images(context, result.seeds.front());
  return result;
}

// The dataset row: per seed the macro average over categories, then those averages over the seeds.
void average_categories(EvalResult& result) {
  std::vector<std::string> names;
  for (const auto& c : result.categories) names.push_back(c.name);
  for (size_t s = 0; s < result.seeds.size(); ++s) {
    std::vector<Metrics> per_category;
    for (const auto& c : result.categories) per_category.push_back(c.seeds[s].metrics);
    result.mean_per_seed.push_back(average_metrics(per_category, names, "categories", result.warnings));
  }
  result.mean = summarize_seeds(result.mean_per_seed, result.seeds, result.warnings);
  std::vector<RealisedRates> rates;
  for (const auto& c : result.categories)
    if (c.calibrated) rates.push_back(*c.calibrated);
  if (!rates.empty()) result.calibrated = average_rates(rates);
}

}  // namespace

EvalResult run_eval(std::shared_ptr<const ClipModel> model, const EvalOptions& options) {
  validate(options);
  const std::vector<Category> categories = load_categories(options);
  EvalResult result;
  result.seeds = options.shots > 0 ? options.seeds : std::vector<uint64_t>{0};
  result.settings = result_settings(*model, options);
  const eval::ResultCache cache(options.out, cache_key(result.settings, *model), options.fresh);
  result.settings["model"] = model->config().name;
  result.settings["pixel_metrics"] = options.pixel_metrics;
  result.settings["aupr"] = options.aupr == AuprMethod::step ? "step" : "trapezoid";
  if (options.calibrate > 0) {
    result.settings["calibrate"] = options.calibrate;
    result.settings["calibrate_fpr"] = options.calibrate_fpr;
  }

  size_t total = 0;
  for (const auto& category : categories) total += category.test.size() * result.seeds.size();
  std::unique_ptr<ProgressBar> progress;
  if (options.show_progress) {
    const size_t cached =
        count_cached(cache, categories, result.seeds, static_cast<size_t>(options.detector.batch_size));
    progress = std::make_unique<ProgressBar>("eval", total, ProgressUnit::Images, cached);
  }

  const int size = model->image_size();
  for (const auto& category : categories) {
    const std::vector<GroundTruth> masks =
        options.pixel_metrics ? load_masks(category, size, options.detector.resize) : std::vector<GroundTruth>{};
    DetectorOptions detector_options = options.detector;
    detector_options.class_name = category.name;
    eval::DrawDetector detector(model, detector_options);
    const eval::CategoryContext context{options, cache, category, masks, detector, size, progress.get()};
    result.categories.push_back(evaluate_category(context, result.seeds, result.warnings));
    if (options.save_maps) save_maps(options, cache, category, result.seeds, masks, size);
  }
  if (progress) progress->finish();
  average_categories(result);
  return result;
}

}  // namespace winclip
