// `winclip detect`: score images for anomalies (zero-shot, or few-shot with --ref/--bank) and write
// results.json, maps, overlays and masks.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "detector_args.hpp"
#include "winclip/detection_writer.hpp"
#include "winclip/error.hpp"
#include "winclip/progress.hpp"

namespace winclip::app {
namespace {

struct DetectArgs {
  ModelArgs model;
  DetectorArgs detector;
  std::vector<std::string> refs;
  std::string bank;
  std::optional<double> threshold;
  std::string out;
  std::vector<std::string> images;
};

// `calibration` gets the bank's thresholds, if it was calibrated.
Detector make_detector(const DetectArgs& args, std::shared_ptr<const ClipModel> model,
                       std::optional<BankCalibration>& calibration) {
  DetectorOptions options = args.detector.options(args.model);
  if (args.bank.empty()) return Detector(std::move(model), options);
  BankFile file = load_bank_file(args.bank);
  calibration = file.calibration;
  Detector detector = detector_from_bank(std::move(model), std::move(file), options, args.bank);
  if (!args.detector.class_name.empty() && args.detector.class_name != detector.options().class_name)
    throw Error(args.bank, "bank was built for class '" + detector.options().class_name + "', not '" +
                               args.detector.class_name + "'");
  return detector;
}

// Folders are walked; anything else is kept as given, so that a missing or unreadable file is reported in
// results.json beside the others' results instead of stopping the run.
std::vector<std::filesystem::path> inputs(const std::vector<std::string>& args) {
  std::vector<std::filesystem::path> paths;
  for (const auto& arg : args) {
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      for (auto& p : collect_images({arg})) paths.push_back(std::move(p));
    } else {
      paths.emplace_back(arg);
    }
  }
  return paths;
}

int detect(const DetectArgs& args) {
  if (args.bank.empty() && args.detector.class_name.empty())
    throw Error("--class is required (or a --bank that names its class)");
  const auto images = inputs(args.images);
  if (images.empty()) throw Error("no images to score: give image files or folders that hold images");
  auto model = args.model.load();
  std::optional<BankCalibration> calibration;
  Detector detector = make_detector(args, model, calibration);
  if (!args.refs.empty() && calibration && !args.threshold)
    throw Error(args.bank, "the bank's thresholds were calibrated for its own references: with --ref, give --threshold");
  if (!args.refs.empty()) {
    std::vector<Image> refs;
    for (const auto& path : collect_images(args.refs)) refs.push_back(decode_image(path));
    detector.add_references(refs);
  }

  // --threshold overrides a calibrated bank's thresholds.
  const DecisionThresholds thresholds = !args.threshold && calibration ? DecisionThresholds::from_bank(*calibration)
                                                                       : DecisionThresholds::from_argument(args.threshold);
  DetectionWriter writer(args.out, detector, thresholds);
  int failures = 0;
  std::unique_ptr<ProgressBar> progress;
  if (images.size() > 1) progress = std::make_unique<ProgressBar>("detect", images.size());
  for (const auto& path : images) {
    try {
      const Image image = decode_image(path);
      writer.write(path, image, detector.score(image));
    } catch (const Error& e) {
      ++failures;
      writer.add_failure(path, e.what());
      std::cerr << "winclip: error: " << e.what() << "\n";
    }
    if (progress) progress->advance();
  }
  if (progress) progress->finish();
  writer.write_results();

  const auto& results = writer.results();
  for (const auto& entry : results["images"]) {
    if (entry["score"].is_null()) {
      // The reason as results.json has it; it names the file itself when it starts with the path.
      const std::string path = entry["path"].get<std::string>(), reason = entry["error"].get<std::string>();
      const std::string line = reason.starts_with(path + ": ") ? reason : path + ": " + reason;
      std::printf("%-10s  %s\n", "error", line.c_str());
      continue;
    }
    const char* verdict = entry["anomalous"].is_null() ? "" : (entry["anomalous"].get<bool>() ? "  ANOMALOUS" : "  ok");
    std::printf("%.6f  %s%s\n", entry["score"].get<double>(), entry["path"].get<std::string>().c_str(), verdict);
  }
  std::fprintf(stderr, "results: %s/results.json; overlays in %s/overlays/\n", args.out.c_str(), args.out.c_str());
  if (failures) std::fprintf(stderr, "winclip: %d of %zu images failed\n", failures, images.size());
  return failures ? 1 : 0;
}

const RegisterCommand detect_command{{
    "detect", "Score images for anomalies and write results.json, maps, overlays and masks",
    [](CLI::App& sub) {
      auto args = std::make_shared<DetectArgs>();
      args->model.add_to(sub);
      args->detector.add_to(sub, true);
      one_value_per_occurrence(
          sub.add_option("--ref", args->refs, "normal reference image or folder (WinCLIP+ few-shot); repeatable"));
      sub.add_option("--bank", args->bank, "reference bank file from `winclip bank build`");
      sub.add_option("--threshold", args->threshold, "anomaly threshold for the verdict, masks and contours (default: a calibrated --bank's thresholds)");
      sub.add_option("--out", args->out, "output directory")->required();
      sub.add_option("images", args->images, "images or folders of images")->required();
      return std::function<int()>([args] { return detect(*args); });
    }}};

}  // namespace
}  // namespace winclip::app
