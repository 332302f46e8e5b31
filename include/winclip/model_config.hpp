#pragma once
// open_clip model configurations: the architecture (model_cfg) and the preprocessing (preprocess_cfg).
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "winclip/tensor.hpp"

namespace winclip {

struct VisionConfig {
  int image_size = 224;
  int patch_size = 16;
  int width = 768;
  int layers = 12;
  int head_width = 64;
  double mlp_ratio = 4.0;

  int grid() const { return image_size / patch_size; }
  int heads() const { return width / head_width; }
  int mlp_width() const { return static_cast<int>(width * mlp_ratio); }
};

struct TextConfig {
  int context_length = 77;
  int vocab_size = 49408;
  int width = 512;
  int heads = 8;
  int layers = 12;
  double mlp_ratio = 4.0;

  int mlp_width() const { return static_cast<int>(width * mlp_ratio); }
};

struct PreprocessConfig {
  std::array<float, 3> mean = {0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> std = {0.26862954f, 0.26130258f, 0.27577711f};
  std::string interpolation = "bicubic";
  std::string resize_mode = "shortest";
};

struct ModelConfig {
  std::string name;  // architecture name, e.g. "ViT-B-16-plus-240"
  int embed_dim = 512;
  bool quick_gelu = false;
  VisionConfig vision;
  TextConfig text;
  PreprocessConfig preprocess;
};

// Parses an open_clip model config ({"embed_dim", "vision_cfg", "text_cfg", "quick_gelu"?}).
// `where` names the source in errors. Unsupported features (e.g. a ResNet tower, attentional pooling) are
// refused with an Error.
ModelConfig parse_model_cfg(const nlohmann::json& model_cfg, const std::string& name, const std::string& where);

// Reads a Hugging Face open_clip_config.json ({"model_cfg": ..., "preprocess_cfg": ...}).
ModelConfig read_open_clip_config(const std::filesystem::path& path);
// The same for the config's text in memory: `name` becomes ModelConfig::name, `where` names the source in errors.
ModelConfig parse_open_clip_config(std::string_view json_text, const std::string& name, const std::string& where);

// Built-in architectures shipped as data in assets/models/<name>.json.
std::vector<std::string> builtin_architectures();
ModelConfig builtin_config(const std::string& name);  // throws Error listing the known names
// The built-in architecture with exactly these shapes, if any: names a model read from a Hugging Face
// directory, whose config carries no name.
std::optional<std::string> builtin_architecture_of(const ModelConfig& cfg);

// Resolves an --arch value: a built-in architecture name, or the path of a JSON file holding either an open_clip
// model config ({"embed_dim", "vision_cfg", "text_cfg"}, with OpenAI preprocessing) or a Hugging Face
// open_clip_config.json. A value ending in ".json" or containing a '/' is taken as a path.
ModelConfig model_config_for(const std::string& arch);

// Writes `cfg` as a Hugging Face open_clip_config.json ({"model_cfg", "preprocess_cfg"}), atomically.
void write_open_clip_config(const std::filesystem::path& path, const ModelConfig& cfg);

// The open_clip state dict of a CLIP with this config: every tensor's name and shape, in open_clip's
// state_dict() order (302 tensors for ViT-B-16-plus-240). No attn_mask: open_clip does not save it.
std::vector<std::pair<std::string, Shape>> expected_clip_tensors(const ModelConfig& cfg);

}  // namespace winclip
