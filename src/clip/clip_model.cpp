#include <mutex>
#include <set>

#include "clip/text_tower.hpp"
#include "clip/vision_tower.hpp"
#include "compute/engine.hpp"
#include "checkpoint/checkpoint.hpp"
#include "winclip/error.hpp"
#include "winclip/model.hpp"

namespace winclip {

namespace fs = std::filesystem;

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::FP32;
  if (name == "bf16") return Precision::BF16;
  if (name == "auto") return Precision::Auto;
  throw Error("unknown precision '" + name + "' (expected fp32, bf16 or auto)");
}

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::FP32: return "fp32";
    case Precision::BF16: return "bf16";
    case Precision::Auto: return "auto";
  }
  return "?";
}

Precision resolve_precision(Precision precision) {
  if (precision != Precision::Auto) return precision;
  return compute::cpu_has_fast_bf16() ? Precision::BF16 : Precision::FP32;
}

const char* bf16_backend_name(Bf16Backend backend) {
  switch (backend) {
    case Bf16Backend::Auto: return "auto";
    case Bf16Backend::Amx: return "amx";
    case Bf16Backend::OneDnn: return "onednn";
  }
  return "?";
}

Bf16Backend parse_bf16_backend(const std::string& name) {
  for (Bf16Backend backend : {Bf16Backend::Auto, Bf16Backend::Amx, Bf16Backend::OneDnn})
    if (name == bf16_backend_name(backend)) return backend;
  throw Error("unknown bf16 matmul backend '" + name + "' (expected auto, amx or onednn)");
}

namespace {

compute::Bf16Backend compute_backend(Bf16Backend backend) {
  switch (backend) {
    case Bf16Backend::Amx: return compute::Bf16Backend::Amx;
    case Bf16Backend::OneDnn: return compute::Bf16Backend::OneDnn;
    case Bf16Backend::Auto: break;
  }
  return compute::Bf16Backend::Auto;
}

// Checkpoint extras open_clip's loader tolerates: non-persistent buffers and OpenAI JIT metadata.
const std::set<std::string> kIgnoredKeys = {"attn_mask", "input_resolution", "context_length", "vocab_size"};

// Every tensor the architecture needs is present with its shape, and nothing unexpected is there: a
// checkpoint of another architecture is refused here rather than producing wrong numbers.
void check_tensors(const WeightFile& weights, const ModelConfig& config) {
  const std::string where = weights.path().string();
  std::set<std::string> expected_names;
  for (const auto& [name, shape] : expected_clip_tensors(config)) {
    expected_names.insert(name);
    const TensorEntry* entry = weights.find(name);
    if (!entry)
      throw Error(where, "tensor '" + name + "' is missing (architecture " + config.name + ")");
    if (entry->shape != shape)
      throw Error(where, "tensor '" + name + "' has shape " + shape_string(entry->shape) + ", expected " +
                             shape_string(shape) + " for architecture " + config.name);
  }
  for (const auto& entry : weights.entries())
    if (!expected_names.count(entry.name) && !kIgnoredKeys.count(entry.name))
      throw Error(where, "unexpected tensor '" + entry.name + "' for architecture " + config.name);
}

}  // namespace

struct ClipModel::Impl {
  ModelConfig config;
  Precision precision = Precision::FP32;
  fs::path weights_path;
  std::string fingerprint;
  compute::MatmulOptions matmul;
  std::unique_ptr<clip::VisionTower> vision;
  mutable std::once_flag text_once;
  mutable std::unique_ptr<clip::TextTower> text;

  const clip::TextTower& text_tower() const {
    std::call_once(text_once, [this] {
      text = std::make_unique<clip::TextTower>(WeightFile::open(weights_path), config, matmul);
    });
    return *text;
  }
};

std::unique_ptr<ClipModel> ClipModel::load(const fs::path& path, const ModelOptions& options) {
  auto impl = std::make_unique<Impl>();
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path config_path = path / "open_clip_config.json";
    if (fs::exists(config_path)) {
      impl->config = read_open_clip_config(config_path);
      if (auto name = builtin_architecture_of(impl->config)) impl->config.name = *name;
    }
    else if (!options.arch.empty()) impl->config = model_config_for(options.arch);
    else throw Error(path.string(), "model directory has no open_clip_config.json (or name the architecture with --arch)");
    for (const char* name : {"open_clip_model.safetensors", "open_clip_pytorch_model.bin"})
      if (fs::exists(path / name)) {
        impl->weights_path = path / name;
        break;
      }
    if (impl->weights_path.empty())
      throw Error(path.string(), "model directory has neither open_clip_model.safetensors nor open_clip_pytorch_model.bin");
  } else if (fs::exists(path, ec)) {
    if (options.arch.empty())
      throw Error(path.string(), "a bare weights file needs its architecture: pass --arch NAME (e.g. ViT-B-16-plus-240)");
    impl->config = model_config_for(options.arch);
    impl->weights_path = path;
  } else {
    throw Error(path.string(), "no such model file or directory");
  }

  const WeightFile weights = WeightFile::open(impl->weights_path);
  check_tensors(weights, impl->config);
  impl->fingerprint = weights_fingerprint(impl->weights_path);
  impl->precision = resolve_precision(options.precision);
  if (impl->precision == Precision::BF16)
    impl->matmul = compute::MatmulOptions(compute::MatmulPrecision::BF16,
                                          compute_backend(options.bf16_backend));
  if (options.load_vision) impl->vision = std::make_unique<clip::VisionTower>(weights, impl->config, impl->matmul);
  return std::unique_ptr<ClipModel>(new ClipModel(std::move(impl)));
}

ClipModel::ClipModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClipModel::~ClipModel() = default;

const ModelConfig& ClipModel::config() const { return impl_->config; }
Precision ClipModel::precision() const { return impl_->precision; }
const fs::path& ClipModel::weights_path() const { return impl_->weights_path; }
bool ClipModel::has_vision() const { return impl_->vision != nullptr; }
bool ClipModel::text_loaded() const { return impl_->text != nullptr; }
const std::string& ClipModel::fingerprint() const { return impl_->fingerprint; }

VisionResult ClipModel::encode_images(const Tensor& images, const VisionRequest& request) const {
  if (!impl_->vision) throw Error("the vision tower was not loaded");
  return impl_->vision->encode(images, request);
}

Tensor ClipModel::encode_text(const std::vector<std::vector<int32_t>>& token_ids) const {
  return impl_->text_tower().encode(token_ids);
}

}  // namespace winclip
