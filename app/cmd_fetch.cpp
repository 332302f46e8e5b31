// winclip fetch: downloads a model's open_clip weights from the Hugging Face hub into the cache.
#include <iostream>

#include "command.hpp"
#include "winclip/model_store.hpp"

namespace {

// Exit status when the hub cannot be reached, apart from 1 (any other error) so scripts can tell them apart.
constexpr int kExitOffline = 2;

struct FetchArgs {
  winclip::FetchOptions options;
  bool quiet = false;
};

const winclip::app::RegisterCommand fetch_command{{
    "fetch",
    "Download a model's open_clip weights from the Hugging Face hub into the cache",
    [](CLI::App& sub) {
      auto args = std::make_shared<FetchArgs>();
      sub.add_option("--model", args->options.model,
                     "Known model name (NAME or NAME:TAG) or hf-hub:ORG/REPO; default ViT-B-16-plus-240");
      sub.add_option("--tag", args->options.tag, "Pretrained tag; default: the model's own (laion400m_e31)");
      sub.add_option("--cache-dir", args->options.cache_dir, "Cache directory; default $XDG_CACHE_HOME/winclip or ~/.cache/winclip");
      sub.add_option("--base-url", args->options.base_url,
                     "Hub endpoint or mirror; default $HF_ENDPOINT, else https://huggingface.co");
      sub.add_flag("--quiet,-q", args->quiet, "No progress bars or status lines");
      sub.footer("Prints the model directory on success. Exit status 2: the hub could not be reached.");
      return std::function<int()>([args] {
        args->options.progress = !args->quiet;
        try {
          std::cout << winclip::fetch_model(args->options).string() << "\n";
          return 0;
        } catch (const winclip::FetchError& e) {
          if (!e.offline()) throw;
          std::cerr << "winclip: " << e.what() << "\n";
          return kExitOffline;
        }
      });
    },
}};

}  // namespace
