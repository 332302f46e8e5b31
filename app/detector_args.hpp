#pragma once
// Options shared by the subcommands that build a Detector (detect, bank build, eval).
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "model_args.hpp"
#include "winclip/detector.hpp"

namespace winclip::app {

struct DetectorArgs {
  std::string class_name;
  bool raw_class_name = false;
  std::string templates = "paper";
  std::string resize = "squash";
  std::vector<int> scales = {2, 3};
  int batch_size = 2;
  bool no_prototype_cache = false;

  // `with_class`: add --class (eval takes its classes from the dataset instead).
  void add_to(CLI::App& sub, bool with_class);
  DetectorOptions options(const ModelArgs& model) const;
};

}  // namespace winclip::app
