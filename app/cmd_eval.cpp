// `winclip eval`: benchmark WinCLIP / WinCLIP+ on MVTec-AD, VisA or a folder dataset and write
// metrics.json, table.md, table.csv (and with --save-maps scores.csv and the maps).
#include <atomic>
#include <csignal>
#include <cstdio>

#include <unistd.h>

#include "command.hpp"
#include "detector_args.hpp"
#include "winclip/error.hpp"
#include "winclip/eval.hpp"

namespace winclip::app {
namespace {

struct EvalArgs {
  ModelArgs model;
  DetectorArgs detector;
  std::string dataset;
  std::string root, normal, abnormal, masks, train;
  std::vector<std::string> categories;
  int shots = 0;
  std::vector<uint64_t> seeds = {0, 1, 2, 3, 4};
  bool seeds_given = false;
  int calibrate = 0;
  double calibrate_fpr = 0.1;
  int limit = 0;
  bool save_maps = false;
  bool no_pixel_metrics = false;
  std::string aupr = "step";
  bool fresh = false;
  std::string out;
};

DatasetSource dataset_source(const EvalArgs& args) {
  DatasetSource source{.kind = parse_dataset_kind(args.dataset)};
  const bool folder = source.kind == DatasetKind::Folder;
  if (folder) {
    if (!args.root.empty())
      throw Error("--root is for mvtec and visa; the folder dataset takes --normal and --abnormal");
    if (args.normal.empty() || args.abnormal.empty())
      throw Error("--dataset folder needs --normal DIR and --abnormal DIR");
    if (args.categories.size() > 1) throw Error("--dataset folder holds one category; give --category at most once");
    if (args.shots > 0 && args.train.empty())
      throw Error("few-shot evaluation of a folder dataset needs --train DIR (normal images)");
    source.normal = args.normal;
    source.abnormal = args.abnormal;
    source.masks = args.masks;
    source.train = args.train;
    if (!args.categories.empty()) source.folder_category = args.categories[0];
  } else {
    if (args.root.empty()) throw Error("--dataset " + args.dataset + " needs --root DIR");
    if (!args.normal.empty() || !args.abnormal.empty() || !args.masks.empty() || !args.train.empty())
      throw Error("--normal, --abnormal, --masks and --train are for --dataset folder");
    source.root = args.root;
  }
  return source;
}

EvalOptions eval_options(const EvalArgs& args) {
  EvalOptions o;
  o.dataset = dataset_source(args);
  if (o.dataset.kind != DatasetKind::Folder) o.categories = args.categories;
  o.shots = args.shots;
  o.seeds = args.seeds;
  o.limit = args.limit;
  o.pixel_metrics = !args.no_pixel_metrics;
  o.aupr = args.aupr == "trapezoid" ? AuprMethod::trapezoid : AuprMethod::step;
  o.save_maps = args.save_maps;
  o.fresh = args.fresh;
  o.calibrate = args.calibrate;
  o.calibrate_fpr = args.calibrate_fpr;
  o.detector = args.detector.options(args.model);
  o.out = args.out;
  return o;
}

// The first Ctrl-C (or SIGTERM) asks the run to stop before its next batch, so that every file it writes
// is complete and no temporary file is left; a second one ends the process at once, which is still safe
// (every file appears atomically). Only async-signal-safe calls here; lock-free atomics are.
std::atomic<bool> stop_requested{false};
volatile std::sig_atomic_t stop_signal = 0;
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_stop_signal(int signal) {
  if (stop_requested.exchange(true)) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  stop_signal = signal;
  constexpr char kMessage[] = "\nwinclip: stopping after the images in progress (again to stop at once)\n";
  [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
}

int run(const EvalArgs& args) {
  EvalOptions options = eval_options(args);
  if (args.shots == 0 && args.seeds_given)
    std::fprintf(stderr, "winclip: note: --seeds has no effect with zero-shot (--shots 0)\n");
  options.stop = &stop_requested;
  for (int signal : {SIGINT, SIGTERM})
    if (std::signal(signal, on_stop_signal) == SIG_IGN) std::signal(signal, SIG_IGN);  // e.g. under nohup

  EvalResult result;
  try {
    result = run_eval(args.model.load(), options);
  } catch (const EvalInterrupted&) {
    std::fprintf(stderr,
                 "winclip: interrupted; finished images are kept in %s/cache, and running the same command "
                 "again resumes from them\n",
                 args.out.c_str());
    return 128 + stop_signal;  // what a shell reports for a process the signal ended
  }
  write_eval_report(result, options.out, options.save_maps);
  for (const auto& warning : result.warnings) std::fprintf(stderr, "winclip: warning: %s\n", warning.c_str());
  std::fputs(format_eval_table(result).c_str(), stdout);
  std::fprintf(stderr, "results: %s/metrics.json, table.md, table.csv%s\n", args.out.c_str(),
               options.save_maps ? ", scores.csv, maps/, masks/" : "");
  return 0;
}

const RegisterCommand eval_command{
    {"eval", "Evaluate on MVTec-AD, VisA or a folder dataset: image and pixel AUROC, AP, F1-max, AUPRO",
     [](CLI::App& sub) {
       auto args = std::make_shared<EvalArgs>();
       args->model.add_to(sub);
       args->detector.add_to(sub, false);
       sub.add_option("--dataset", args->dataset, "dataset layout: mvtec, visa or folder")
           ->required()
           ->check(CLI::IsMember({"mvtec", "visa", "folder"}));
       sub.add_option("--root", args->root, "dataset root (mvtec, visa)");
       one_value_per_occurrence(
           sub.add_option("--category", args->categories, "category to evaluate (repeatable; default: all)"));
       sub.add_option("--normal", args->normal, "folder dataset: normal test images");
       sub.add_option("--abnormal", args->abnormal,
                      "folder dataset: anomalous test images (sub-folders = defect types)");
       sub.add_option("--masks", args->masks, "folder dataset: ground-truth masks (<stem>_mask.png or <stem>.png)");
       sub.add_option("--train", args->train, "folder dataset: normal images to draw few-shot references from");
       sub.add_option("--shots", args->shots, "normal reference images per draw (WinCLIP+); 0 = zero-shot")
           ->check(CLI::Range(0, 1024));
       CLI::Option* seeds = one_value_per_occurrence(
           sub.add_option("--seeds", args->seeds, "seeds of the reference draws (default 0,1,2,3,4)")->delimiter(','));
       seeds->check(CLI::NonNegativeNumber);
       sub.add_option("--calibrate", args->calibrate,
                      "calibrate an image threshold on K normal training images that are not references and report "
                      "its realised FPR, TPR, precision and F1")
           ->check(CLI::NonNegativeNumber);
       sub.add_option("--calibrate-fpr", args->calibrate_fpr, "target false-positive rate of --calibrate (default 0.1)")
           ->check(CLI::Range(0.0, 1.0));
       sub.add_option("--limit", args->limit, "only the first N test images of each defect type")
           ->check(CLI::PositiveNumber);
       sub.add_flag("--save-maps", args->save_maps,
                    "also write scores.csv, maps/<category>/<seed>/<defect>/<stem>.npy and the masks they were "
                    "compared with, masks/<category>/<defect>/<stem>.png");
       sub.add_flag("--no-pixel-metrics", args->no_pixel_metrics, "image metrics only (no masks needed)");
       sub.add_option("--aupr", args->aupr,
                      "image AP: step (sklearn average_precision_score, default) or trapezoid (auc(recall, precision))")
           ->check(CLI::IsMember({"step", "trapezoid"}));
       sub.add_flag("--fresh", args->fresh, "discard cached per-image results in the output directory first");
       sub.add_option("--out", args->out, "output directory")->required();
       return std::function<int()>([args, seeds] {
         args->seeds_given = seeds->count() > 0;
         return run(*args);
       });
     }}};

}  // namespace
}  // namespace winclip::app
