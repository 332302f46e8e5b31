// open_clip model configs: the built-in architectures, the state-dict layout, refusing unsupported variants.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "winclip/error.hpp"
#include "winclip/model_config.hpp"

using namespace winclip;
using nlohmann::json;

namespace {

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

int64_t parameter_count(const std::vector<std::pair<std::string, Shape>>& tensors, const std::string& prefix = "") {
  int64_t n = 0;
  for (const auto& [name, shape] : tensors)
    if (name.starts_with(prefix)) n += shape_numel(shape);
  return n;
}

// The tiny fixture's open_clip model config (tests/data/tiny_random_clip.config.json).
json tiny_model_cfg() {
  return json::parse(test::read_bytes(test::data_path("tiny_random_clip.config.json")));
}

void expect_same(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.embed_dim, b.embed_dim);
  EXPECT_EQ(a.quick_gelu, b.quick_gelu);
  EXPECT_EQ(a.vision.image_size, b.vision.image_size);
  EXPECT_EQ(a.vision.patch_size, b.vision.patch_size);
  EXPECT_EQ(a.vision.width, b.vision.width);
  EXPECT_EQ(a.vision.layers, b.vision.layers);
  EXPECT_EQ(a.vision.head_width, b.vision.head_width);
  EXPECT_EQ(a.vision.mlp_ratio, b.vision.mlp_ratio);
  EXPECT_EQ(a.text.context_length, b.text.context_length);
  EXPECT_EQ(a.text.vocab_size, b.text.vocab_size);
  EXPECT_EQ(a.text.width, b.text.width);
  EXPECT_EQ(a.text.heads, b.text.heads);
  EXPECT_EQ(a.text.layers, b.text.layers);
  EXPECT_EQ(a.text.mlp_ratio, b.text.mlp_ratio);
  EXPECT_EQ(a.preprocess.mean, b.preprocess.mean);
  EXPECT_EQ(a.preprocess.std, b.preprocess.std);
  EXPECT_EQ(a.preprocess.interpolation, b.preprocess.interpolation);
  EXPECT_EQ(a.preprocess.resize_mode, b.preprocess.resize_mode);
}

}  // namespace

TEST(ModelConfig, ShipsFiveBuiltinArchitectures) {
  EXPECT_EQ(builtin_architectures(),
            (std::vector<std::string>{"ViT-B-16", "ViT-B-16-plus-240", "ViT-B-32", "ViT-L-14", "ViT-L-14-336"}));
}

TEST(ModelConfig, BuiltinConfigsMatchOpenClip) {
  struct Expected {
    std::string name;
    int embed, image, patch, width, layers, vision_heads, text_width, text_heads, text_layers;
  };
  // open_clip src/open_clip/model_configs/<name>.json.
  for (const Expected& e : std::vector<Expected>{{"ViT-B-16-plus-240", 640, 240, 16, 896, 12, 14, 640, 10, 12},
                                                 {"ViT-B-16", 512, 224, 16, 768, 12, 12, 512, 8, 12},
                                                 {"ViT-B-32", 512, 224, 32, 768, 12, 12, 512, 8, 12},
                                                 {"ViT-L-14", 768, 224, 14, 1024, 24, 16, 768, 12, 12},
                                                 {"ViT-L-14-336", 768, 336, 14, 1024, 24, 16, 768, 12, 12}}) {
    SCOPED_TRACE(e.name);
    const ModelConfig c = builtin_config(e.name);
    EXPECT_EQ(c.name, e.name);
    EXPECT_EQ(c.embed_dim, e.embed);
    EXPECT_FALSE(c.quick_gelu);
    EXPECT_EQ(c.vision.image_size, e.image);
    EXPECT_EQ(c.vision.patch_size, e.patch);
    EXPECT_EQ(c.vision.width, e.width);
    EXPECT_EQ(c.vision.layers, e.layers);
    EXPECT_EQ(c.vision.heads(), e.vision_heads);
    EXPECT_EQ(c.vision.mlp_width(), 4 * e.width);
    EXPECT_EQ(c.text.context_length, 77);
    EXPECT_EQ(c.text.vocab_size, 49408);
    EXPECT_EQ(c.text.width, e.text_width);
    EXPECT_EQ(c.text.heads, e.text_heads);
    EXPECT_EQ(c.text.layers, e.text_layers);
    EXPECT_EQ(c.preprocess.mean, (std::array<float, 3>{0.48145466f, 0.4578275f, 0.40821073f}));
    EXPECT_EQ(c.preprocess.std, (std::array<float, 3>{0.26862954f, 0.26130258f, 0.27577711f}));
    EXPECT_EQ(c.preprocess.interpolation, "bicubic");
    EXPECT_EQ(c.preprocess.resize_mode, "shortest");
  }
}

TEST(ModelConfig, ViTB16Plus240StateDictMatchesTheSpec) {
  const auto tensors = expected_clip_tensors(builtin_config("ViT-B-16-plus-240"));
  EXPECT_EQ(tensors.size(), 302u);
  // open_clip docs/model_profile.csv: 208.38 M = 117.21 M image + 91.16 M text.
  EXPECT_EQ(parameter_count(tensors), 208'377'345);
  EXPECT_EQ(parameter_count(tensors, "visual."), 117'213'824);
  const std::map<std::string, Shape> shapes(tensors.begin(), tensors.end());
  EXPECT_EQ(shapes.at("visual.positional_embedding"), (Shape{226, 896}));
  EXPECT_EQ(shapes.at("visual.conv1.weight"), (Shape{896, 3, 16, 16}));
  EXPECT_EQ(shapes.at("visual.transformer.resblocks.11.attn.in_proj_weight"), (Shape{2688, 896}));
  EXPECT_EQ(shapes.at("visual.transformer.resblocks.0.mlp.c_fc.weight"), (Shape{3584, 896}));
  EXPECT_EQ(shapes.at("visual.proj"), (Shape{896, 640}));
  EXPECT_EQ(shapes.at("transformer.resblocks.11.attn.in_proj_bias"), (Shape{1920}));
  EXPECT_EQ(shapes.at("transformer.resblocks.3.mlp.c_proj.weight"), (Shape{640, 2560}));
  EXPECT_EQ(shapes.at("token_embedding.weight"), (Shape{49408, 640}));
  EXPECT_EQ(shapes.at("text_projection"), (Shape{640, 640}));
  EXPECT_EQ(shapes.at("logit_scale"), Shape{});
  EXPECT_EQ(shapes.count("attn_mask"), 0u);
}

TEST(ModelConfig, ReadsTheTinyFixtureConfig) {
  const ModelConfig c = read_open_clip_config(test::model_dir() / "open_clip_config.json");
  EXPECT_EQ(c.name, "model");  // the repository directory
  EXPECT_EQ(c.embed_dim, 32);
  EXPECT_EQ(c.vision.image_size, 240);
  EXPECT_EQ(c.vision.width, 64);
  EXPECT_EQ(c.vision.head_width, 16);
  EXPECT_EQ(c.vision.heads(), 4);
  EXPECT_EQ(c.vision.grid(), 15);
  EXPECT_EQ(c.vision.mlp_ratio, 4.0);  // open_clip's default when the config omits it
  EXPECT_EQ(c.text.width, 32);
  EXPECT_EQ(c.text.heads, 2);
  EXPECT_EQ(c.text.layers, 2);
  const auto tensors = expected_clip_tensors(c);
  EXPECT_EQ(tensors.size(), 62u);
  EXPECT_EQ(parameter_count(tensors), 1'775'969);  // fixtures README
}

TEST(ModelConfig, OmittedHeadWidthDefaultsTo64) {
  json cfg = tiny_model_cfg();
  cfg["vision_cfg"].erase("head_width");
  EXPECT_EQ(parse_model_cfg(cfg, "tiny", "test").vision.heads(), 1);
}

TEST(ModelConfig, UnknownArchitectureListsTheKnownOnes) {
  const std::string message = error_of([] { builtin_config("ViT-H-14"); });
  EXPECT_NE(message.find("unknown architecture 'ViT-H-14'"), std::string::npos) << message;
  for (const auto& name : builtin_architectures()) EXPECT_NE(message.find(name), std::string::npos) << name;
}

TEST(ModelConfig, RefusesVariantsWinclipDoesNotImplement) {
  struct Variant {
    std::string pointer;  // JSON pointer into the model config
    json value;
    std::string message_part;
  };
  const std::vector<Variant> variants = {
      {"/vision_cfg/timm_model_name", "vit_base_patch16_224", "vision_cfg.timm_model_name"},
      {"/vision_cfg/layers", {3, 4, 6, 3}, "ResNet"},
      {"/vision_cfg/attentional_pool", true, "vision_cfg.attentional_pool"},
      {"/vision_cfg/pool_type", "avg", "vision_cfg.pool_type"},
      {"/vision_cfg/output_tokens", true, "vision_cfg.output_tokens"},
      {"/vision_cfg/no_ln_pre", true, "vision_cfg.no_ln_pre"},
      {"/vision_cfg/final_ln_after_pool", true, "vision_cfg.final_ln_after_pool"},
      {"/vision_cfg/ls_init_value", 1e-5, "vision_cfg.ls_init_value"},
      {"/vision_cfg/pos_embed_type", "sin_cos_2d", "vision_cfg.pos_embed_type"},
      {"/vision_cfg/qk_norm", true, "vision_cfg.qk_norm: unknown setting"},
      {"/vision_cfg/width", 0, "vision_cfg.width: must be a positive integer"},
      {"/vision_cfg/width", 72, "vision_cfg.width: 72 is not a multiple of head_width 16"},
      {"/vision_cfg/image_size", {240, 224}, "only square sizes"},
      {"/vision_cfg/image_size", 250, "not a multiple of patch_size 16"},
      {"/text_cfg/hf_model_name", "roberta-base", "text_cfg.hf_model_name"},
      {"/text_cfg/hf_tokenizer_name", "bert-base-uncased", "text_cfg.hf_tokenizer_name"},
      {"/text_cfg/proj_bias", true, "text_cfg.proj_bias"},
      {"/text_cfg/pool_type", "last", "text_cfg.pool_type"},
      {"/text_cfg/final_ln_after_pool", true, "text_cfg.final_ln_after_pool"},
      {"/text_cfg/embed_cls", true, "text_cfg.embed_cls"},
      {"/text_cfg/no_causal_mask", true, "text_cfg.no_causal_mask"},
      {"/text_cfg/vocab_size", 32000, "text_cfg.vocab_size"},
      {"/text_cfg/heads", 3, "text_cfg.width: 32 is not divisible by heads 3"},
      {"/custom_text", true, "model_cfg.custom_text"},
      {"/init_logit_bias", -10, "model_cfg.init_logit_bias"},
      {"/quick_gelu", "yes", "model_cfg.quick_gelu: must be true or false"},
      {"/embed_dim", -32, "model_cfg.embed_dim"},
  };
  for (const Variant& v : variants) {
    SCOPED_TRACE(v.pointer + " = " + v.value.dump());
    json cfg = tiny_model_cfg();
    cfg[json::json_pointer(v.pointer)] = v.value;
    const std::string message = error_of([&] { parse_model_cfg(cfg, "tiny", "configs/tiny.json"); });
    EXPECT_EQ(message.rfind("configs/tiny.json: ", 0), 0u) << message;
    EXPECT_NE(message.find(v.message_part), std::string::npos) << message;
  }
}

TEST(ModelConfig, AcceptsDefaultsSpelledOutAndTrainingOnlySettings) {
  json cfg = tiny_model_cfg();
  cfg["vision_cfg"].update({{"image_size", {240, 240}}, {"patch_size", {16, 16}}, {"attentional_pool", false},
                            {"pool_type", "tok"}, {"patch_dropout", 0.5}, {"ls_init_value", nullptr}});
  cfg["text_cfg"].update({{"pool_type", "argmax"}, {"proj_bias", false}, {"mlp_ratio", 4}});
  cfg["init_logit_scale"] = 2.3;
  cfg["quick_gelu"] = true;
  const ModelConfig c = parse_model_cfg(cfg, "tiny", "test");
  EXPECT_EQ(c.vision.image_size, 240);
  EXPECT_EQ(c.vision.patch_size, 16);
  EXPECT_TRUE(c.quick_gelu);
}

TEST(ModelConfig, RefusesUnsupportedPreprocessing) {
  test::TempDir tmp;
  for (const auto& [key, value] : std::vector<std::pair<std::string, json>>{
           {"interpolation", "lanczos"}, {"resize_mode", "crop"}, {"mean", {0.5, 0.5}}, {"std", {0.2, 0.0, 0.2}},
           {"size", {224, 224}}, {"fill_color", 255}}) {
    SCOPED_TRACE(key);
    json doc = {{"model_cfg", tiny_model_cfg()}, {"preprocess_cfg", {{key, value}}}};
    test::write_bytes(tmp / "open_clip_config.json", doc.dump());
    const std::string message = error_of([&] { read_open_clip_config(tmp / "open_clip_config.json"); });
    EXPECT_NE(message.find("open_clip_config.json: preprocess_cfg." + key), std::string::npos) << message;
  }
}

TEST(ModelConfig, WrittenConfigReadsBackTheSame) {
  test::TempDir tmp;
  ModelConfig c = builtin_config("ViT-B-16-plus-240");
  c.preprocess.resize_mode = "squash";
  c.quick_gelu = true;
  write_open_clip_config(tmp / "repo" / "open_clip_config.json", c);
  expect_same(read_open_clip_config(tmp / "repo" / "open_clip_config.json"), c);
}

TEST(ModelConfig, ArchCanBeABuiltinNameOrAConfigFile) {
  EXPECT_EQ(model_config_for("ViT-B-32").vision.patch_size, 32);

  const ModelConfig from_model_cfg = model_config_for(test::data_path("tiny_random_clip.config.json").string());
  EXPECT_EQ(from_model_cfg.name, "tiny_random_clip.config");
  expect_same(from_model_cfg, model_config_for((test::model_dir() / "open_clip_config.json").string()));

  const std::string missing = error_of([] { model_config_for("no/such/config.json"); });
  EXPECT_EQ(missing, "no/such/config.json: cannot open the config file");
  test::TempDir tmp;
  test::write_bytes(tmp / "broken.json", "{\"embed_dim\": ");
  EXPECT_NE(error_of([&] { model_config_for((tmp / "broken.json").string()); }).find("broken.json: not valid JSON"),
            std::string::npos);
}
