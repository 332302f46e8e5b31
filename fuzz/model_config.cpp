// open_clip_config.json (Hugging Face layout) and open_clip's bare model configs, then what a model does
// first with a config it accepted: its tensor shapes and derived sizes.
// fuzz dictionary: json.dict
#include <nlohmann/json.hpp>

#include "support/fuzz_target.hpp"
#include "winclip/model_config.hpp"

using namespace winclip;

namespace {

void check_derived_sizes(const ModelConfig& cfg) {
  fuzz::check(cfg.vision.grid() > 0 && cfg.vision.heads() > 0 && cfg.vision.mlp_width() > 0,
              "vision tower sizes are not positive");
  fuzz::check(cfg.text.mlp_width() > 0, "text tower MLP width is not positive");
  for (const auto& [name, shape] : expected_clip_tensors(cfg))
    for (int64_t extent : shape) fuzz::check(extent >= 0, "tensor '" + name + "' has a negative extent");
}

}  // namespace

WINCLIP_FUZZ_TARGET(model_config) {
  constexpr std::string_view kName = "open_clip_config.json";
  const std::string_view text = fuzz::as_text(bytes);
  fuzz::read_or_refuse(kName, [&] { check_derived_sizes(parse_open_clip_config(text, "fuzz", std::string(kName))); });
  // The same document as an open_clip model config ({"embed_dim", "vision_cfg", "text_cfg"}), as --arch reads it.
  const nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return;
  fuzz::read_or_refuse(kName, [&] { check_derived_sizes(parse_model_cfg(doc, "fuzz", std::string(kName))); });
}
