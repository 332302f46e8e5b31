// `winclip bank build` (prototypes + reference banks of k normal images in one file) and `winclip bank info`.
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "detector_args.hpp"
#include "winclip/error.hpp"

namespace winclip::app {
namespace {

struct BankArgs {
  ModelArgs model;
  DetectorArgs detector;
  std::string out;
  std::vector<std::string> images;
  std::string info_path;
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

int bank_info(const std::string& path) {
  const BankFile file = load_bank_file(path);
  nlohmann::json info = {{"architecture", file.architecture}, {"model_fingerprint", file.model_fingerprint},
                         {"class", file.class_name},          {"object_name", file.object_name},
                         {"templates", template_set_name(file.templates)},
                         {"resize", file.resize_mode},        {"shots", file.bank.shots},
                         {"scales", file.bank.scales}};
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
      CLI::App* info = sub.add_subcommand("info", "Print what a bank file holds");
      info->add_option("bank", args->info_path, "bank file")->required();
      return std::function<int()>([args, build] { return build->parsed() ? build_bank(*args) : bank_info(args->info_path); });
    }}};

}  // namespace
}  // namespace winclip::app
