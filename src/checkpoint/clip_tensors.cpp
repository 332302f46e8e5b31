// The open_clip CLIP state dict (v2.24 model.py CLIP, transformer.py VisionTransformer / TextTransformer with
// nn.MultiheadAttention blocks). The text tower's modules are registered at the top level, not under "text.".
#include "winclip/model_config.hpp"

namespace winclip {
namespace {

using TensorList = std::vector<std::pair<std::string, Shape>>;

// One pre-norm residual block: ln_1, attention (q, k, v stacked in in_proj), ln_2, MLP.
void add_resblocks(TensorList& out, const std::string& prefix, int64_t width, int64_t mlp_width, int layers) {
  for (int i = 0; i < layers; ++i) {
    const std::string block = prefix + "transformer.resblocks." + std::to_string(i) + ".";
    out.emplace_back(block + "ln_1.weight", Shape{width});
    out.emplace_back(block + "ln_1.bias", Shape{width});
    out.emplace_back(block + "attn.in_proj_weight", Shape{3 * width, width});
    out.emplace_back(block + "attn.in_proj_bias", Shape{3 * width});
    out.emplace_back(block + "attn.out_proj.weight", Shape{width, width});
    out.emplace_back(block + "attn.out_proj.bias", Shape{width});
    out.emplace_back(block + "ln_2.weight", Shape{width});
    out.emplace_back(block + "ln_2.bias", Shape{width});
    out.emplace_back(block + "mlp.c_fc.weight", Shape{mlp_width, width});
    out.emplace_back(block + "mlp.c_fc.bias", Shape{mlp_width});
    out.emplace_back(block + "mlp.c_proj.weight", Shape{width, mlp_width});
    out.emplace_back(block + "mlp.c_proj.bias", Shape{width});
  }
}

}  // namespace

TensorList expected_clip_tensors(const ModelConfig& cfg) {
  const VisionConfig& v = cfg.vision;
  const TextConfig& t = cfg.text;
  const int64_t tokens = int64_t{v.grid()} * v.grid() + 1;  // patches + class token
  TensorList out;
  out.emplace_back("positional_embedding", Shape{t.context_length, t.width});
  out.emplace_back("text_projection", Shape{t.width, cfg.embed_dim});
  out.emplace_back("logit_scale", Shape{});
  out.emplace_back("visual.class_embedding", Shape{v.width});
  out.emplace_back("visual.positional_embedding", Shape{tokens, v.width});
  out.emplace_back("visual.proj", Shape{v.width, cfg.embed_dim});
  out.emplace_back("visual.conv1.weight", Shape{v.width, 3, v.patch_size, v.patch_size});
  out.emplace_back("visual.ln_pre.weight", Shape{v.width});
  out.emplace_back("visual.ln_pre.bias", Shape{v.width});
  add_resblocks(out, "visual.", v.width, v.mlp_width(), v.layers);
  out.emplace_back("visual.ln_post.weight", Shape{v.width});
  out.emplace_back("visual.ln_post.bias", Shape{v.width});
  add_resblocks(out, "", t.width, t.mlp_width(), t.layers);
  out.emplace_back("token_embedding.weight", Shape{t.vocab_size, t.width});
  out.emplace_back("ln_final.weight", Shape{t.width});
  out.emplace_back("ln_final.bias", Shape{t.width});
  return out;
}

}  // namespace winclip
