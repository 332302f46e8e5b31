#pragma once
// Benchmark evaluation (`winclip eval`): WinCLIP / WinCLIP+ over the test images of each dataset category,
// the metrics of docs/eval.md per category and reference draw, the macro average, and the files a run leaves.
//
// Protocol. Zero-shot (shots 0) runs once; its results are filed as seed 0 and have no spread. Few-shot
// runs once per seed with the references of draw_references(seed); a category reports the mean over seeds
// and the population standard deviation (ddof 0, numpy's np.std) when there are several. The dataset mean is
// the macro average over categories, taken per seed; its spread is the standard deviation of those per-seed
// averages (the paper's "mean ± std over five draws"). A metric the data cannot define is empty (null in
// metrics.json) and averages skip it, with a warning.
//
// Resumable. Each image's score and [S, S] map are written to OUT/cache/<run id>/<category>/<seed>/ as soon
// as they are computed (atomically). The run id hashes everything that changes a result (model weights and
// the weights file's path, size and modification time, precision, templates, class-name mode, scales,
// resize, temperature, batch size, shots, limit, dataset location), so a rerun with the same arguments
// reads back what is finished and computes the rest in the same batches, giving identical metrics; other
// arguments get their own cache.
#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "winclip/datasets.hpp"
#include "winclip/detector.hpp"
#include "winclip/error.hpp"
#include "winclip/metrics.hpp"
#include "winclip/model.hpp"

namespace winclip {

struct EvalOptions {
  DatasetSource dataset;
  std::vector<std::string> categories;            // empty: every category of the dataset
  int shots = 0;                                  // K references per draw; 0 = zero-shot
  std::vector<uint64_t> seeds = {0, 1, 2, 3, 4};  // one draw each; unused with shots 0
  int limit = 0;                                  // first `limit` test images per defect type; 0 = all
  bool pixel_metrics = true;                      // off: masks are not needed, pixel metrics are null
  AuprMethod aupr = AuprMethod::step;             // how image_ap is computed (it reads the cached scores)
  bool save_maps = false;                         // OUT/maps/<category>/<seed>/<defect>/<stem>.npy, OUT/masks
  bool fresh = false;                             // discard OUT/cache first
  // > 0: per category and seed, calibrate an image threshold for `calibrate_fpr` on this many normal training
  // images that are not the draw's references (the next ones of its shuffle), and report the realised rates.
  int calibrate = 0;
  double calibrate_fpr = 0.1;
  bool show_progress = true;                      // the progress bar (drawn on a terminal only)
  DetectorOptions detector;                       // class_name is set to each category's name
  std::filesystem::path out;
  // Not owned; may be null. Once it reads true (a signal handler sets it), the run stops before scoring its
  // next batch and run_eval throws EvalInterrupted; what was computed stays in the cache.
  const std::atomic<bool>* stop = nullptr;
};

// run_eval was stopped through EvalOptions::stop.
class EvalInterrupted : public Error {
 public:
  using Error::Error;
};

// The six numbers of one evaluation, as fractions in [0, 1].
struct Metrics {
  std::optional<double> image_auroc, image_ap, image_f1max;
  std::optional<double> pixel_auroc, pixel_aupro, pixel_f1max;
};

// The metrics in report order: their metrics.json name and table heading.
struct MetricField {
  const char* name;
  const char* heading;
  std::optional<double> Metrics::*value;
};
const std::array<MetricField, 6>& metric_fields();

struct ImageScore {
  std::filesystem::path image;
  bool anomalous = false;
  float score = 0;  // the image score the metrics saw
};

// What a decision rule does to the test images: image FPR, TPR, precision and F1; empty where the test set
// cannot define one (as averages: the mean of the defined values, empty where none is).
struct RealisedRates {
  std::optional<double> fpr, tpr, precision, f1;
};

// The rates in report order: their name in metrics.json's "calibrated", table heading and table.csv column.
struct RateField {
  const char* name;
  const char* heading;
  const char* column;
  std::optional<double> RealisedRates::*value;
};
const std::array<RateField, 4>& rate_fields();

// Mean of each rate over `values`, skipping empty ones.
RealisedRates average_rates(const std::vector<RealisedRates>& values);

// The calibrated decision rule (docs/eval.md, Calibrated thresholds) applied to the test images: an image is
// flagged when its score is above the threshold.
struct CalibratedRates {
  double threshold = 0;
  int64_t calibration_images = 0, rank = 0;
  double target_fpr = 0;
  RealisedRates realised;
};

struct SeedResult {
  uint64_t seed = 0;
  Metrics metrics;
  std::optional<CalibratedRates> calibrated;  // with EvalOptions::calibrate
  std::vector<ImageScore> scores;  // per test image, in test order
  std::vector<CurvePoint> pro_curve;  // with pixel metrics: PixelMetrics::pro_curve (FPR up to 0.3, PRO)
};

// A test image of report.html's gallery: a thumbnail of its heat-map overlay with the ground-truth contour.
struct GalleryImage {
  std::filesystem::path image;
  bool anomalous = false;
  float score = 0;
  std::string png;  // the thumbnail, PNG bytes
};

// The worst-ranked test images of a category's first draw: the defective ones with the lowest scores and the
// good ones with the highest, at most three each; with a calibrated threshold only those on the wrong side of
// it (false negatives: score at or below it; false positives: above it).
struct Gallery {
  uint64_t seed = 0;
  std::optional<double> threshold;  // the calibrated threshold the images were chosen by
  float range_min = 0, range_max = 0;  // the heat maps' shared colour range
  std::vector<GalleryImage> worst_defective, worst_good;
};

// Mean over seeds (or categories), and the spread when there are several seeds.
struct MetricSummary {
  Metrics mean;
  std::optional<Metrics> std;
};

struct CategoryResult {
  std::string name;
  int n_images = 0;
  std::vector<SeedResult> seeds;
  MetricSummary summary;
  std::optional<RealisedRates> calibrated;  // with EvalOptions::calibrate: the mean over seeds
  Gallery gallery;
};

struct EvalResult {
  nlohmann::json settings;      // dataset, shots, model, templates, ...: what the run was made with
  std::vector<uint64_t> seeds;  // the seeds run: {0} for zero-shot
  std::vector<CategoryResult> categories;
  std::vector<Metrics> mean_per_seed;  // macro average over categories, one per seed
  MetricSummary mean;
  std::optional<RealisedRates> calibrated;  // with EvalOptions::calibrate: the mean over categories
  std::vector<std::string> warnings;  // undefined metrics, means over fewer categories
};

// Runs the evaluation, reading finished images from OUT/cache and writing new ones there. With save_maps,
// as each category is done, replaces its OUT/maps/<category> and OUT/masks/<category>: the maps and the S×S
// ground truth (PNG, 0/255) its pixel metrics were computed from. Throws Error for an unknown category, a
// missing mask (with pixel metrics), too few training images for `shots`, an unreadable image, or bad
// options; EvalInterrupted when stopped.
EvalResult run_eval(std::shared_ptr<const ClipModel> model, const EvalOptions& options);

// Mean of each metric over `values`, skipping empty ones; then a warning names the skipped `names` (of
// `what`: "categories", "seeds"). Empty when no value is defined.
Metrics average_metrics(const std::vector<Metrics>& values, const std::vector<std::string>& names,
                        const std::string& what, std::vector<std::string>& warnings);
// Population standard deviation (ddof 0) of each metric over its defined values.
Metrics metric_spread(const std::vector<Metrics>& values);

// OUT/report.html: the summary table (the numbers of metrics.json, in percent, the calibrated rates included),
// per category and seed the image ROC and PR curves (drawn through the very sweep points the metrics use), the
// pixel PRO curve to FPR 0.3 (whose drawn area is the AUPRO), a histogram of good vs defective scores with the
// calibrated threshold marked, and per category the gallery; self-contained (inline SVG and PNG data URIs, no
// scripts or fonts).
std::string format_eval_html(const EvalResult& result);

// OUT/metrics.json, OUT/report.html, OUT/table.md, OUT/table.csv, and with `with_scores` OUT/scores.csv (category, seed,
// image, label, score with %.9g: the float32 score exactly). All written atomically.
void write_eval_report(const EvalResult& result, const std::filesystem::path& out, bool with_scores);

// The paper-style table: one row per category, then the mean; percent with one decimal, "mean ± std"
// with several seeds, "–" for an undefined metric; with calibrated rates, their means in four more columns.
// Markdown, padded so it also reads as plain text.
std::string format_eval_table(const EvalResult& result);

}  // namespace winclip
