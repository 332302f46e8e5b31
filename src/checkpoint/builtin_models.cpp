// Built-in architectures are data, not code: assets/models/<name>.json in the Hugging Face open_clip_config
// layout, so adding an architecture means adding a file.
#include <algorithm>
#include <optional>

#include "core/assets.hpp"
#include "winclip/error.hpp"
#include "winclip/model_config.hpp"

namespace winclip {

std::vector<std::string> builtin_architectures() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(asset_path("models")))
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

ModelConfig builtin_config(const std::string& name) {
  const auto known = builtin_architectures();
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw Error("unknown architecture '" + name + "' (built-in: " + list +
                "; or give the path of an open_clip model-config .json)");
  }
  ModelConfig cfg = read_open_clip_config(asset_path("models/" + name + ".json"));
  cfg.name = name;
  return cfg;
}

namespace {

bool same_architecture(const ModelConfig& a, const ModelConfig& b) {
  const auto &av = a.vision, &bv = b.vision;
  const auto &at = a.text, &bt = b.text;
  return a.embed_dim == b.embed_dim && a.quick_gelu == b.quick_gelu && av.image_size == bv.image_size &&
         av.patch_size == bv.patch_size && av.width == bv.width && av.layers == bv.layers &&
         av.head_width == bv.head_width && av.mlp_ratio == bv.mlp_ratio && at.context_length == bt.context_length &&
         at.vocab_size == bt.vocab_size && at.width == bt.width && at.heads == bt.heads && at.layers == bt.layers &&
         at.mlp_ratio == bt.mlp_ratio;
}

}  // namespace

std::optional<std::string> builtin_architecture_of(const ModelConfig& cfg) {
  for (const auto& name : builtin_architectures())
    if (same_architecture(cfg, builtin_config(name))) return name;
  return std::nullopt;
}

}  // namespace winclip
