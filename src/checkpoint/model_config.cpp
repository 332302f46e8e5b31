// open_clip configs: model_cfg (open_clip v2.24 CLIP / CLIPVisionCfg / CLIPTextCfg) and preprocess_cfg.
// Only the standard ViT CLIP is implemented, so every setting that selects another variant is refused.
#include <charconv>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "checkpoint/strict_json_object.hpp"
#include "core/atomic_file.hpp"
#include "winclip/error.hpp"
#include "winclip/model_config.hpp"

namespace winclip {
namespace {

using nlohmann::json;
using detail::StrictJsonObject;

// The BPE vocabulary shipped in assets/ has exactly this many ids; another size means another tokenizer.
constexpr int kBpeVocabSize = 49408;

using Defaults = std::vector<std::pair<const char*, json>>;

// Far above every published CLIP (ViT-bigG-14: width 1664, 48 layers; 448-pixel inputs) and low enough that
// no size derived from them overflows or asks for an absurd allocation before the weights are checked.
constexpr int kMaxWidth = 16384;
constexpr int kMaxLayers = 256;
constexpr int kMaxImageSize = 4096;
constexpr int kMaxContextLength = 4096;
constexpr double kMaxMlpRatio = 16;

template <typename Number>
void require_at_most(const StrictJsonObject& cfg, const char* key, Number value, Number limit) {
  if (value > limit)
    cfg.fail(key, json(value).dump() + " is larger than " + json(limit).dump() + ", the largest this program accepts");
}

// open_clip v2.24 CLIPVisionCfg settings that select variants winclip does not implement, with the default
// value (the variant it does implement).
const Defaults& vision_variant_defaults() {
  static const Defaults defaults = {
      {"in_chans", 3}, {"ls_init_value", nullptr}, {"attentional_pool", false}, {"attn_pooler_queries", 256},
      {"attn_pooler_heads", 8}, {"no_ln_pre", false}, {"pos_embed_type", "learnable"},
      {"final_ln_after_pool", false}, {"pool_type", "tok"}, {"output_tokens", false}, {"act_kwargs", nullptr},
      {"norm_kwargs", nullptr}, {"timm_model_pretrained", false}, {"timm_pool", "avg"}, {"timm_proj", "linear"},
      {"timm_proj_bias", false}, {"timm_drop", 0}, {"timm_drop_path", nullptr}};
  return defaults;
}

// The same for CLIPTextCfg.
const Defaults& text_variant_defaults() {
  static const Defaults defaults = {
      {"tokenizer_kwargs", nullptr}, {"ls_init_value", nullptr}, {"embed_cls", false}, {"pad_id", 0},
      {"no_causal_mask", false}, {"final_ln_after_pool", false}, {"pool_type", "argmax"}, {"proj_bias", false},
      {"output_tokens", false}, {"act_kwargs", nullptr}, {"norm_kwargs", nullptr}, {"hf_model_pretrained", true},
      {"hf_proj_type", "mlp"}, {"hf_pooler_type", "mean_pooler"}};
  return defaults;
}

VisionConfig parse_vision_cfg(const json& object, const std::string& where) {
  StrictJsonObject cfg(object, "vision_cfg", where);
  cfg.require_default("timm_model_name", nullptr);
  if (const json* layers = cfg.child("layers"); layers && layers->is_array())
    cfg.fail("layers", layers->dump() + " is a ResNet tower (a list of stage depths); only ViT towers are supported");
  VisionConfig v;
  v.layers = cfg.positive_int("layers", v.layers);
  v.width = cfg.positive_int("width", v.width);
  v.head_width = cfg.positive_int("head_width", v.head_width);
  v.mlp_ratio = cfg.positive_number("mlp_ratio", v.mlp_ratio);
  v.patch_size = cfg.square_size("patch_size", v.patch_size);
  v.image_size = cfg.square_size("image_size", v.image_size);
  for (const auto& [key, value] : vision_variant_defaults()) cfg.require_default(key, value);
  cfg.ignore("patch_dropout");  // training-time token dropout; an identity at inference
  cfg.finish();
  require_at_most(cfg, "layers", v.layers, kMaxLayers);
  require_at_most(cfg, "width", v.width, kMaxWidth);
  require_at_most(cfg, "mlp_ratio", v.mlp_ratio, kMaxMlpRatio);
  require_at_most(cfg, "image_size", v.image_size, kMaxImageSize);
  if (v.width % v.head_width != 0)
    cfg.fail("width", std::to_string(v.width) + " is not a multiple of head_width " + std::to_string(v.head_width));
  if (v.image_size % v.patch_size != 0)
    cfg.fail("image_size", std::to_string(v.image_size) + " is not a multiple of patch_size " +
                               std::to_string(v.patch_size));
  return v;
}

TextConfig parse_text_cfg(const json& object, const std::string& where) {
  StrictJsonObject cfg(object, "text_cfg", where);
  cfg.require_default("hf_model_name", nullptr);
  cfg.require_default("hf_tokenizer_name", nullptr);
  TextConfig t;
  t.context_length = cfg.positive_int("context_length", t.context_length);
  t.vocab_size = cfg.positive_int("vocab_size", t.vocab_size);
  t.width = cfg.positive_int("width", t.width);
  t.heads = cfg.positive_int("heads", t.heads);
  t.layers = cfg.positive_int("layers", t.layers);
  t.mlp_ratio = cfg.positive_number("mlp_ratio", t.mlp_ratio);
  for (const auto& [key, value] : text_variant_defaults()) cfg.require_default(key, value);
  cfg.finish();
  require_at_most(cfg, "context_length", t.context_length, kMaxContextLength);
  require_at_most(cfg, "width", t.width, kMaxWidth);
  require_at_most(cfg, "layers", t.layers, kMaxLayers);
  require_at_most(cfg, "mlp_ratio", t.mlp_ratio, kMaxMlpRatio);
  if (t.vocab_size != kBpeVocabSize)
    cfg.fail("vocab_size", std::to_string(t.vocab_size) + " does not match the OpenAI BPE tokenizer's " +
                               std::to_string(kBpeVocabSize) + " ids");
  if (t.width % t.heads != 0)
    cfg.fail("width", std::to_string(t.width) + " is not divisible by heads " + std::to_string(t.heads));
  return t;
}

std::array<float, 3> rgb_triple(StrictJsonObject& cfg, const char* key, std::array<float, 3> fallback,
                                bool positive) {
  const json* value = cfg.child(key);
  if (!value) return fallback;
  if (!value->is_array() || value->size() != 3) cfg.fail(key, "must be 3 numbers (R, G, B), got " + value->dump());
  std::array<float, 3> rgb{};
  for (size_t c = 0; c < 3; ++c) {
    const json& x = (*value)[c];
    if (!x.is_number() || (positive && !(x.get<double>() > 0)))
      cfg.fail(key, "must be 3 " + std::string(positive ? "positive " : "") + "numbers, got " + value->dump());
    rgb[c] = static_cast<float>(x.get<double>());
  }
  return rgb;
}

PreprocessConfig parse_preprocess_cfg(const json& object, int image_size, const std::string& where) {
  StrictJsonObject cfg(object, "preprocess_cfg", where);
  PreprocessConfig p;
  p.mean = rgb_triple(cfg, "mean", p.mean, false);
  p.std = rgb_triple(cfg, "std", p.std, true);
  p.interpolation = cfg.one_of("interpolation", {"bicubic", "bilinear"});
  p.resize_mode = cfg.one_of("resize_mode", {"shortest", "longest", "squash"});
  if (const int size = cfg.square_size("size", image_size); size != image_size)
    cfg.fail("size", std::to_string(size) + " differs from the model's image_size " + std::to_string(image_size));
  cfg.require_default("mode", "RGB");
  cfg.require_default("fill_color", 0);
  cfg.finish();
  return p;
}

json parse_config_json(std::string_view text, const std::string& where) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    throw Error(where, std::string("not valid JSON: ") + e.what());
  }
}

json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string(), "cannot open the config file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(path.string(), "cannot read the config file");
  return parse_config_json(text.str(), path.string());
}

// A Hugging Face open_clip_config.json; like open_clip, any other top-level keys are ignored.
ModelConfig open_clip_config_from_json(const json& doc, const std::string& name, const std::string& where) {
  if (!doc.is_object() || !doc.contains("model_cfg")) throw Error(where, "no \"model_cfg\" in the config");
  ModelConfig cfg = parse_model_cfg(doc["model_cfg"], name, where);
  if (doc.contains("preprocess_cfg"))
    cfg.preprocess = parse_preprocess_cfg(doc["preprocess_cfg"], cfg.vision.image_size, where);
  return cfg;
}

// The shortest decimal that reads back as the same float: 0.48145467 rather than its double expansion
// 0.48145467042922974 (the float nearest open_clip's 0.48145466).
double short_decimal(float value) {
  char text[32];
  const auto written = std::to_chars(text, text + sizeof(text), value).ptr;
  double parsed = 0;
  std::from_chars(text, written, parsed);
  return parsed;
}

nlohmann::ordered_json rgb_json(const std::array<float, 3>& rgb) {
  return {short_decimal(rgb[0]), short_decimal(rgb[1]), short_decimal(rgb[2])};
}

}  // namespace

ModelConfig parse_model_cfg(const json& model_cfg, const std::string& name, const std::string& where) {
  StrictJsonObject cfg(model_cfg, "model_cfg", where);
  ModelConfig m;
  m.name = name;
  m.embed_dim = cfg.positive_int("embed_dim");
  require_at_most(cfg, "embed_dim", m.embed_dim, kMaxWidth);
  m.quick_gelu = cfg.boolean("quick_gelu", false);
  const json* vision = cfg.child("vision_cfg");
  const json* text = cfg.child("text_cfg");
  if (!vision) cfg.fail("vision_cfg", "missing");
  if (!text) cfg.fail("text_cfg", "missing");
  cfg.require_default("custom_text", false);      // moves the text tower under "text." (another key layout)
  cfg.require_default("init_logit_bias", nullptr);  // SigLIP's extra logit_bias parameter
  cfg.require_default("multimodal_cfg", nullptr);   // CoCa's text decoder
  cfg.ignore("init_logit_scale");                   // only the initial value; the checkpoint holds logit_scale
  cfg.finish();
  m.vision = parse_vision_cfg(*vision, where);
  m.text = parse_text_cfg(*text, where);
  return m;
}

ModelConfig read_open_clip_config(const std::filesystem::path& path) {
  // Hugging Face configs carry no architecture name; the repository directory is the closest thing.
  const std::string directory = path.parent_path().filename().string();
  return open_clip_config_from_json(read_json_file(path), directory.empty() ? path.stem().string() : directory,
                                    path.string());
}

ModelConfig parse_open_clip_config(std::string_view json_text, const std::string& name, const std::string& where) {
  return open_clip_config_from_json(parse_config_json(json_text, where), name, where);
}

ModelConfig model_config_for(const std::string& arch) {
  const std::filesystem::path path(arch);
  if (path.extension() != ".json" && arch.find('/') == std::string::npos) return builtin_config(arch);
  const json doc = read_json_file(path);
  if (doc.is_object() && doc.contains("model_cfg")) return read_open_clip_config(path);
  return parse_model_cfg(doc, path.stem().string(), path.string());  // open_clip's model_configs/<name>.json
}

void write_open_clip_config(const std::filesystem::path& path, const ModelConfig& cfg) {
  const nlohmann::ordered_json doc = {
      {"model_cfg",
       {{"embed_dim", cfg.embed_dim},
        {"quick_gelu", cfg.quick_gelu},
        {"vision_cfg",
         {{"image_size", cfg.vision.image_size},
          {"layers", cfg.vision.layers},
          {"width", cfg.vision.width},
          {"head_width", cfg.vision.head_width},
          {"patch_size", cfg.vision.patch_size},
          {"mlp_ratio", cfg.vision.mlp_ratio}}},
        {"text_cfg",
         {{"context_length", cfg.text.context_length},
          {"vocab_size", cfg.text.vocab_size},
          {"width", cfg.text.width},
          {"heads", cfg.text.heads},
          {"layers", cfg.text.layers},
          {"mlp_ratio", cfg.text.mlp_ratio}}}}},
      {"preprocess_cfg",
       {{"mean", rgb_json(cfg.preprocess.mean)},
        {"std", rgb_json(cfg.preprocess.std)},
        {"interpolation", cfg.preprocess.interpolation},
        {"resize_mode", cfg.preprocess.resize_mode}}}};
  write_file_atomic(path, doc.dump(2) + "\n");
}

}  // namespace winclip
