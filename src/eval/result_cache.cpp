#include "eval/result_cache.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "eval/score_text.hpp"
#include "core/atomic_file.hpp"
#include "core/sha256.hpp"
#include "winclip/error.hpp"
#include "winclip/npy.hpp"

namespace winclip::eval {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string(), "cannot read cached result");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

float parse_score(const std::string& text, const fs::path& path) {
  char* end = nullptr;
  errno = 0;
  const float score = std::strtof(text.c_str(), &end);
  if (end == text.c_str() || errno != 0 || !std::isfinite(score) || (*end != '\n' && *end != '\0'))
    throw Error(path.string(), "corrupt cached score; remove the file or rerun with --fresh");
  return score;
}

}  // namespace

ResultCache::ResultCache(const fs::path& out, const nlohmann::json& settings, bool fresh) {
  const std::string text = settings.dump();
  Sha256 hash;
  hash.update(text);
  dir_ = out / "cache" / hash.hex_digest().substr(0, 16);
  if (fresh) {
    std::error_code ec;
    fs::remove_all(out / "cache", ec);
    if (ec) throw Error((out / "cache").string(), "cannot remove: " + ec.message());
  }
  if (!fs::exists(dir_ / "run.json")) write_file_atomic(dir_ / "run.json", settings.dump(1) + "\n");
}

fs::path ResultCache::entry(const std::string& category, uint64_t seed, const std::string& key) const {
  return dir_ / category / std::to_string(seed) / key;
}

void ResultCache::check_references(const std::string& category, uint64_t seed,
                                   const std::vector<fs::path>& references) const {
  nlohmann::json draw = nlohmann::json::array();
  for (const auto& path : references) draw.push_back(path.string());
  const fs::path file = dir_ / category / std::to_string(seed) / "references.json";
  if (!fs::exists(file)) {
    write_file_atomic(file, draw.dump(1) + "\n");
    return;
  }
  nlohmann::json recorded;
  try {
    recorded = nlohmann::json::parse(read_text(file));
  } catch (const nlohmann::json::exception&) {
    throw Error(file.string(), "corrupt record of the reference draw; rerun with --fresh");
  }
  if (recorded != draw)
    throw Error(file.string(), "the cached results of '" + category + "' seed " + std::to_string(seed) +
                                   " were made with other reference images (did the training images change?); "
                                   "rerun with --fresh or another --out");
}

bool ResultCache::contains(const std::string& category, uint64_t seed, const std::string& key) const {
  const fs::path base = entry(category, seed, key);
  return fs::exists(base.string() + ".score") && fs::exists(base.string() + ".npy");
}

ImageResult ResultCache::read(const std::string& category, uint64_t seed, const std::string& key, int size) const {
  const fs::path base = entry(category, seed, key);
  const fs::path score_file = base.string() + ".score", map_file = base.string() + ".npy";
  ImageResult result{parse_score(read_text(score_file), score_file), read_npy(map_file)};
  if (result.map.shape != Shape{size, size})
    throw Error(map_file.string(), "cached map has shape " + shape_string(result.map.shape) + ", expected [" +
                                       std::to_string(size) + ", " + std::to_string(size) + "]; rerun with --fresh");
  return result;
}

void ResultCache::write(const std::string& category, uint64_t seed, const std::string& key,
                        const ImageResult& result) const {
  const fs::path base = entry(category, seed, key);
  write_npy(base.string() + ".npy", result.map);
  write_file_atomic(base.string() + ".score", score_text(result.score) + "\n");
}

void ResultCache::link_map(const std::string& category, uint64_t seed, const std::string& key,
                           const fs::path& target) const {
  const fs::path map_file = entry(category, seed, key).string() + ".npy";
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  // Replaced, not kept: a recomputed batch has new cache files, and a link to the old one would be stale.
  fs::remove(target, ec);
  fs::create_hard_link(map_file, target, ec);
  if (ec && !fs::copy_file(map_file, target, fs::copy_options::overwrite_existing, ec))
    throw Error(target.string(), "cannot save the map: " + ec.message());
}

}  // namespace winclip::eval
