#pragma once
// The options every model-using subcommand shares (--model, --arch, --precision, --cache-dir) and the
// one way they turn into a loaded model.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "winclip/model.hpp"

namespace winclip::app {

struct ModelArgs {
  std::string model;  // path, known name, or empty for the default model
  std::string arch;
  std::string precision = "fp32";
  std::string bf16_backend;  // empty: $WINCLIP_MATMUL, else auto
  std::string cache_dir;

  void add_to(CLI::App& sub);
  std::shared_ptr<const ClipModel> load() const;
};

}  // namespace winclip::app
