#pragma once
// Where model weights come from: the local cache of open_clip repositories downloaded from the Hugging Face
// hub (`winclip fetch`), and how a --model argument (a path, a known model name, or nothing) becomes a model
// directory. Known models and their checksums are data: assets/known_models.json.
#include <filesystem>
#include <string>

#include "winclip/error.hpp"

namespace winclip {

// The files of an open_clip model repository on the hub; a model directory holds the config and one of the
// two weight files.
inline constexpr const char* kOpenClipConfigFile = "open_clip_config.json";
inline constexpr const char* kSafetensorsWeightsFile = "open_clip_model.safetensors";
inline constexpr const char* kPytorchWeightsFile = "open_clip_pytorch_model.bin";

struct FetchOptions {
  std::string model;  // a known name ("ViT-B-16-plus-240", "NAME:TAG") or "hf-hub:ORG/REPO"; empty = default
  std::string tag;    // empty = the model's default tag (or the ":TAG" of `model`)
  std::filesystem::path cache_dir;  // empty = default_cache_dir()
  std::string base_url;             // hub endpoint; empty = $HF_ENDPOINT, else https://huggingface.co
  bool progress = true;             // progress bars on stderr (drawn only when it is a terminal)
};

// A failed fetch. offline() is true when the hub could not be reached (no network, refused, DNS, timeouts,
// a connection that kept dropping); the message then says which URLs to download by hand and where to put
// them.
class FetchError : public Error {
 public:
  FetchError(const std::string& message, bool offline) : Error(message), offline_(offline) {}
  bool offline() const { return offline_; }

 private:
  bool offline_;
};

// $XDG_CACHE_HOME/winclip if that is an absolute path, else $HOME/.cache/winclip.
std::filesystem::path default_cache_dir();

// Downloads (or verifies, when already cached) the model's config and weights into
// <cache>/<model>/<tag>/ and returns that directory. Files are checked against a sha256 — the project's
// known value, else the hub's X-Linked-Etag, else the one recorded at first download (<file>.sha256) — and
// renamed into place only once they match. An interrupted download resumes from <file>.part.
std::filesystem::path fetch_model(const FetchOptions& options);

// The directory or file a --model argument names: an existing path as is; a known model name ("NAME",
// "NAME:TAG", "hf-hub:ORG/REPO") → its cache directory, which must hold a fetched model; empty → the
// default model. Throws Error suggesting `winclip fetch` when the model is not in the cache.
std::filesystem::path resolve_model(const std::string& model_arg, const std::filesystem::path& cache_dir = {});

// The weights file of a model directory: the safetensors file if present, else the .bin; empty if neither.
std::filesystem::path find_weights_file(const std::filesystem::path& model_dir);

}  // namespace winclip
