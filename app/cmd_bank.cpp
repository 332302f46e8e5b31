// `winclip bank build` (prototypes + reference banks of k normal images in one file), `winclip bank calibrate`
// (decision thresholds from other normal images, stored in the bank) and `winclip bank info`.
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "detector_args.hpp"
#include "winclip/error.hpp"
#include "winclip/threshold_calibration.hpp"

namespace winclip::app {
namespace {

struct BankArgs {
  ModelArgs model;
  DetectorArgs detector;
  std::string out;
  std::vector<std::string> images;
  std::string info_path;
  std::string calibrate_path;
  double target_fpr = 0;
  std::optional<double> pixel_target_fpr;
  std::vector<std::string> normals;
};

int build_bank(const BankArgs& args) {
  if (args.detector.class_name.empty()) throw Error("--class is required");
  const auto paths = collect_images(args.images);
  if (paths.empty()) throw Error("no reference images: give normal images or folders that hold them");
  std::vector<Image> refs;
  for (const auto& path : paths) refs.push_back(decode_image(path));
  Detector detector(args.model.load(), args.detector.options(args.model));
  detector.add_references(refs);
  save_bank_file(args.out, detector.bank_file());
  std::cerr << "wrote " << args.out << ": class '" << detector.options().class_name << "', " << detector.shots()
            << " reference image(s), model " << detector.model().config().name << "\n";
  return 0;
}

int calibrate_bank(const BankArgs& args) {
  BankFile file = load_bank_file(args.calibrate_path);
  const auto paths = collect_images(args.normals);
  if (paths.empty()) throw Error("no calibration images: give normal images (not the bank's references) or folders");
  std::vector<Image> normals;
  for (const auto& path : paths) normals.push_back(decode_image(path));
  // The bank decides how images are scored: its scales and its resize mode.
  DetectorOptions options;
  options.scales = file.bank.scales.empty() ? options.scales : file.bank.scales;
  options.resize = parse_resize_mode(file.resize_mode);
  options.batch_size = args.detector.batch_size;
  Detector detector = detector_from_bank(args.model.load(), file, options, args.calibrate_path);
  file.calibration = calibrate_detector(detector, normals, args.target_fpr, args.pixel_target_fpr.value_or(args.target_fpr),
                                        std::to_string(normals.size()) + " normal images given to `winclip bank calibrate`");
  save_bank_file(args.calibrate_path, file);
  const BankCalibration& c = *file.calibration;
  std::cerr << "calibrated " << args.calibrate_path << " on " << c.images << " normal image(s): image threshold "
            << c.image_threshold << " (FPR " << c.image_target_fpr << ", " << c.image_rank
            << "-th largest score), pixel threshold " << c.pixel_threshold << " (FPR " << c.pixel_target_fpr << ")\n";
  return 0;
}

int bank_info(const std::string& path) {
  const BankFile file = load_bank_file(path);
  nlohmann::json info = {{"architecture", file.architecture}, {"model_fingerprint", file.model_fingerprint},
                         {"class", file.class_name},          {"object_name", file.object_name},
                         {"templates", template_set_name(file.templates)},
                         {"resize", file.resize_mode},        {"shots", file.bank.shots},
                         {"scales", file.bank.scales}};
  if (const auto& c = file.calibration)
    info["calibration"] = {{"image_threshold", c->image_threshold}, {"pixel_threshold", c->pixel_threshold},
                           {"target_fpr", c->image_target_fpr},     {"pixel_target_fpr", c->pixel_target_fpr},
                           {"images", c->images},                   {"pixels", c->pixels},
                           {"image_rank", c->image_rank},           {"pixel_rank", c->pixel_rank},
                           {"confidence", kCalibrationConfidence},  {"selection", c->selection}};
  else
    info["calibration"] = nullptr;
  std::cout << info.dump(1) << "\n";
  return 0;
}

const RegisterCommand bank_command{{
    "bank", "Build or inspect WinCLIP+ reference banks",
    [](CLI::App& sub) {
      auto args = std::make_shared<BankArgs>();
      sub.require_subcommand(1);
      CLI::App* build = sub.add_subcommand("build", "Encode normal reference images into a bank file");
      args->model.add_to(*build);
      args->detector.add_to(*build, true);
      build->add_option("--out", args->out, "bank file to write")->required();
      build->add_option("images", args->images, "normal reference images or folders")->required();
      CLI::App* calibrate =
          sub.add_subcommand("calibrate", "Store decision thresholds calibrated on other normal images in a bank file");
      args->model.add_to(*calibrate);
      calibrate->add_option("--batch-size", args->detector.batch_size, "images per forward pass")->check(CLI::Range(1, 64));
      calibrate->add_option("bank", args->calibrate_path, "bank file (rewritten in place)")->required();
      calibrate->add_option("--target-fpr", args->target_fpr, "image false-positive rate not to exceed (95 % confidence)")
          ->required()->check(CLI::Range(0.0, 1.0));
      calibrate->add_option("--pixel-target-fpr", args->pixel_target_fpr, "pixel false-positive rate (default: --target-fpr)")
          ->check(CLI::Range(0.0, 1.0));
      calibrate->add_option("images", args->normals, "normal images or folders, not the bank's references")->required();
      CLI::App* info = sub.add_subcommand("info", "Print what a bank file holds");
      info->add_option("bank", args->info_path, "bank file")->required();
      return std::function<int()>([args, build, calibrate] {
        if (build->parsed()) return build_bank(*args);
        if (calibrate->parsed()) return calibrate_bank(*args);
        return bank_info(args->info_path);
      });
    }}};

}  // namespace
}  // namespace winclip::app
