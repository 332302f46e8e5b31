// Built-in architectures are data, not code: assets/models/<name>.json in the Hugging Face open_clip_config
// layout, so adding an architecture means adding a file.
#include <algorithm>

#include "winclip/assets.hpp"
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

}  // namespace winclip
