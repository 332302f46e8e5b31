#include "winclip/model_store.hpp"

#include <cstdlib>

#include "hub/known_models.hpp"

namespace winclip {

std::filesystem::path default_cache_dir() {
  // The XDG base-directory spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && std::filesystem::path(xdg).is_absolute())
    return std::filesystem::path(xdg) / "winclip";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".cache" / "winclip";
  throw Error("no cache directory: neither XDG_CACHE_HOME nor HOME is set; pass --cache-dir");
}

std::filesystem::path find_weights_file(const std::filesystem::path& model_dir) {
  for (const char* name : {kSafetensorsWeightsFile, kPytorchWeightsFile}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(model_dir / name, ec)) return model_dir / name;
  }
  return {};
}

std::filesystem::path resolve_model(const std::string& model_arg, const std::filesystem::path& cache_dir) {
  if (!model_arg.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(model_arg, ec)) return model_arg;
    if (!is_model_reference(model_arg))
      throw Error(model_arg, "no such file or directory, and not a known model name (known: " +
                                 known_models_summary() + ")");
  }
  const ModelSource source = find_model_source(model_arg);
  const auto cache = cache_dir.empty() ? default_cache_dir() : cache_dir;
  const auto dir = cache / source.cache_subdir();
  std::error_code ec;
  if (std::filesystem::is_regular_file(dir / kOpenClipConfigFile, ec) && !find_weights_file(dir).empty()) return dir;
  std::string command = source.fetch_command();
  if (!cache_dir.empty()) command += " --cache-dir " + cache_dir.string();
  throw Error("model " + source.display_name() + " is not in the cache (" + dir.string() + "); run `" + command + "`");
}

}  // namespace winclip
