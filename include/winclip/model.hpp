#pragma once
// A CLIP model (open_clip layout): the vision tower, which also runs token subsets (WinCLIP's windows), and
// the text tower. Loaded once; read-only afterwards.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "winclip/model_config.hpp"
#include "winclip/tensor.hpp"

namespace winclip {

enum class Precision { FP32, BF16, Auto };
Precision parse_precision(const std::string& name);  // "fp32" | "bf16" | "auto"
const char* precision_name(Precision precision);
Precision resolve_precision(Precision precision);  // Auto → BF16 where the CPU computes it natively, else FP32

// What runs bf16 matrix products: Auto takes our AMX kernel where the CPU has AMX and oneDNN elsewhere
// (AVX512-BF16 where the CPU has it); Amx on a CPU without AMX makes ClipModel::load throw.
enum class Bf16Backend { Auto, Amx, OneDnn };
Bf16Backend parse_bf16_backend(const std::string& name);  // "auto" | "amx" | "onednn"
const char* bf16_backend_name(Bf16Backend backend);

struct ModelOptions {
  Precision precision = Precision::FP32;
  Bf16Backend bf16_backend = Bf16Backend::Auto;  // used when the resolved precision is BF16
  std::string arch;         // architecture name or config path, needed when the path is a bare weights file
  bool load_vision = true;  // a tower not loaded is still checked for presence and shape
  // The text tower is loaded on the first encode_text() call, so runs that use cached prototypes or a bank
  // never hold it in memory.
};

// What to compute for each image of a batch.
struct VisionRequest {
  bool full_image = true;  // all 1+P tokens: image embedding and patch tokens
  // Each subset lists token indices of the embedded sequence (0 = class token, 1+p = patch p) and runs as an
  // independent short sequence; its output is the projected first token, after ln_post.
  std::vector<std::vector<int>> token_subsets;
};

struct VisionResult {
  Tensor image_embeddings;   // [N, E] (full_image)
  Tensor patch_tokens;       // [N, P, W] after ln_post, not projected (full_image)
  Tensor subset_embeddings;  // [N, S, E]
};

// Threads: every const member may be called from several threads at once, the Detectors of one shared model
// included. Forward passes through one tower take turns, because they share the tower's scratch buffers;
// each pass runs on OpenMP threads of its own (OMP_NUM_THREADS). The text tower is loaded by whichever
// encode_text() call comes first, once.
class ClipModel {
 public:
  // `path`: a model directory (open_clip_config.json + open_clip_model.safetensors or
  // open_clip_pytorch_model.bin) or a weights file with options.arch naming the architecture.
  static std::unique_ptr<ClipModel> load(const std::filesystem::path& path, const ModelOptions& options = {});
  ~ClipModel();

  const ModelConfig& config() const;
  Precision precision() const;
  const std::filesystem::path& weights_path() const;
  int image_size() const { return config().vision.image_size; }
  int grid() const { return config().vision.grid(); }
  int embed_dim() const { return config().embed_dim; }

  // images: [N, 3, S, S] preprocessed.
  VisionResult encode_images(const Tensor& images, const VisionRequest& request = {}) const;
  // One row of token ids per text (any length ≤ context; padding optional) → [N, E] unnormalised.
  Tensor encode_text(const std::vector<std::vector<int32_t>>& token_ids) const;

  bool has_vision() const;
  bool text_loaded() const;
  // weights_fingerprint() of the weights file: identifies the model in caches and bank files.
  const std::string& fingerprint() const;

 private:
  struct Impl;
  explicit ClipModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace winclip
