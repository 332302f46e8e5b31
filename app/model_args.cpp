#include "model_args.hpp"

#include <cstdlib>

#include "winclip/model_store.hpp"

namespace winclip::app {

void ModelArgs::add_to(CLI::App& sub) {
  sub.add_option("--model", model,
                 "model directory, .safetensors/.bin file, or a known model name looked up in the cache "
                 "(default: ViT-B-16-plus-240)");
  sub.add_option("--arch", arch, "architecture of a bare weights file: a built-in name or a model-config JSON");
  sub.add_option("--precision", precision, "matrix-product precision: fp32, bf16 or auto")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}));
  sub.add_option("--bf16-backend", bf16_backend,
                 "what runs bf16 products: auto (AMX kernel where the CPU has AMX, else oneDNN), amx or onednn "
                 "(default: $WINCLIP_MATMUL, else auto)")
      ->check(CLI::IsMember({"auto", "amx", "onednn"}));
  sub.add_option("--cache-dir", cache_dir, "model cache (default: $XDG_CACHE_HOME/winclip or ~/.cache/winclip)");
}

std::shared_ptr<const ClipModel> ModelArgs::load() const {
  ModelOptions options;
  options.arch = arch;
  options.precision = parse_precision(precision);
  // The environment variable is the CLI's default only: the library takes the backend as a parameter.
  std::string backend = bf16_backend;
  if (backend.empty())
    if (const char* env = std::getenv("WINCLIP_MATMUL"); env && *env) backend = env;
  if (!backend.empty()) options.bf16_backend = parse_bf16_backend(backend);
  return ClipModel::load(resolve_model(model, cache_dir), options);
}

}  // namespace winclip::app
