// winclip make-random-model --arch NAME --seed S --out DIR: a CLIP with random weights in the Hugging Face
// open_clip layout, for tests and benchmarks without pretrained checkpoints.
#include <iostream>
#include <memory>

#include "command.hpp"
#include "winclip/model_config.hpp"
#include "winclip/random_model.hpp"

namespace {

struct Options {
  std::string arch;
  uint64_t seed = 0;
  std::string out;
};

const winclip::app::RegisterCommand make_random_model_command{{
    "make-random-model",
    "Write a CLIP with random weights (open_clip_config.json + open_clip_model.safetensors)",
    [](CLI::App& sub) {
      auto options = std::make_shared<Options>();
      sub.add_option("--arch", options->arch,
                     "built-in architecture (e.g. ViT-B-16-plus-240), or the path of an open_clip model-config "
                     "JSON or open_clip_config.json (for small test models)")
          ->required();
      sub.add_option("--seed", options->seed, "random seed; the same seed gives byte-identical files")
          ->capture_default_str();
      sub.add_option("--out", options->out, "output directory (created if missing)")->required();
      return std::function<int()>([options] {
        const winclip::ModelConfig cfg = winclip::model_config_for(options->arch);
        winclip::write_random_model(cfg, options->seed, options->out);
        int64_t parameters = 0;
        const auto tensors = winclip::expected_clip_tensors(cfg);
        for (const auto& [name, shape] : tensors) parameters += winclip::shape_numel(shape);
        std::cout << "wrote " << options->out << ": random " << cfg.name << " (" << tensors.size() << " tensors, "
                  << parameters << " parameters, seed " << options->seed << ")\n";
        return 0;
      });
    }}};

}  // namespace
