#include "core/assets.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <vector>

#include "winclip/error.hpp"

namespace winclip {

namespace fs = std::filesystem;

namespace {

// The file that holds this code: libwinclip.so when linked dynamically, else the program itself.
fs::path this_module() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&this_module), &info) && info.dli_fname && *info.dli_fname) {
    std::error_code ec;
    fs::path path = fs::canonical(info.dli_fname, ec);
    if (!ec) return path;
  }
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec);
}

}  // namespace

fs::path assets_dir() {
  if (const char* env = std::getenv("WINCLIP_ASSETS"); env && *env) return env;
  // Installed: PREFIX/lib[/ARCH]/libwinclip.so or PREFIX/bin/winclip beside PREFIX/share/winclip. In a build
  // tree: BUILD/share/winclip beside BUILD/libwinclip.so, BUILD/winclip and BUILD/tests/… (CMakeLists.txt
  // copies the assets there), so no path into the source tree is ever compiled in.
  std::vector<fs::path> starts = {this_module()};
  std::error_code ec;
  if (auto exe = fs::read_symlink("/proc/self/exe", ec); !ec && exe != starts[0]) starts.push_back(exe);
  std::string tried;
  for (const auto& start : starts) {
    fs::path dir = start.parent_path();
    for (int up = 0; up < 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
      const fs::path candidate = dir / "share" / "winclip";
      if (fs::is_regular_file(candidate / "known_models.json", ec)) return candidate;
      tried += (tried.empty() ? "" : ", ") + candidate.string();
      if (dir == dir.parent_path()) break;
    }
  }
  throw Error("winclip assets", "not found (looked in " + tried +
                                    "); set WINCLIP_ASSETS to the directory holding bpe_simple_vocab_16e6.txt.gz");
}

fs::path asset_path(const std::string& relative) {
  auto p = assets_dir() / relative;
  std::error_code ec;
  if (!fs::exists(p, ec))
    throw Error(p.string(), "asset file not found (set WINCLIP_ASSETS to the directory holding winclip's assets)");
  return p;
}

}  // namespace winclip
