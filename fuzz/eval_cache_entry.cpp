// An evaluation's cached result of one image (OUT/cache/<run>/<category>/<seed>/<key>.{score,npy}), read back
// when a run resumes: a damaged entry must be refused (or recomputed), never crash or give a wrong map. The
// input is the .score file's text followed by the .npy file's bytes, split at the .npy magic; both are written
// into a cache in a temporary directory and read through ResultCache.
// fuzz dictionary: npy.dict
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "eval/result_cache.hpp"
#include "support/fuzz_target.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

const fs::path& scratch_dir() {
  static const fs::path dir = [] {
    fs::path made = fs::temp_directory_path() / ("winclip-fuzz-cache-" + std::to_string(::getpid()));
    fs::create_directories(made);
    std::atexit([] { std::error_code ec; fs::remove_all(scratch_dir(), ec); });
    return made;
  }();
  return dir;
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

WINCLIP_FUZZ_TARGET(eval_cache_entry) {
  constexpr int kSize = 2;  // the maps of the seeds are 2×2
  static const eval::ResultCache cache(scratch_dir(), {{"fuzz", true}}, false);
  const std::string_view input = fuzz::as_text(bytes);
  const size_t magic = std::min(input.find("\x93NUMPY"), input.size());
  const fs::path base = cache.dir() / "category" / "0" / "key";
  fs::create_directories(base.parent_path());
  write_file(base.string() + ".score", input.substr(0, magic));
  write_file(base.string() + ".npy", input.substr(magic));
  fuzz::check(cache.contains("category", 0, "key"), "the entry just written is not found");
  fuzz::read_or_refuse(cache.dir().string(), [&] {
    const auto result = cache.read("category", 0, "key", kSize);
    (void)result;
  });
}
