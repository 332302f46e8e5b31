#include "winclip/assets.hpp"

#include <unistd.h>

#include <cstdlib>

#include "winclip/error.hpp"

namespace winclip {

std::filesystem::path assets_dir() {
  if (const char* env = std::getenv("WINCLIP_ASSETS"); env && *env) return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto installed = exe.parent_path().parent_path() / "share" / "winclip";
    if (std::filesystem::is_directory(installed, ec)) return installed;
  }
  return WINCLIP_ASSETS_DIR;
}

std::filesystem::path asset_path(const std::string& relative) {
  auto p = assets_dir() / relative;
  std::error_code ec;
  if (!std::filesystem::exists(p, ec))
    throw Error(p.string(), "asset file not found (set WINCLIP_ASSETS to the directory holding winclip's assets)");
  return p;
}

}  // namespace winclip
