#include "eval/result_cache.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

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

constexpr std::string_view kDigestPrefix = "sha256 ";

// Over the score's text and the map's shape and values, so that either file damaged or swapped shows.
std::string entry_digest(const std::string& score, const Tensor& map) {
  Sha256 hash;
  hash.update(score + "\n" + shape_string(map.shape) + "\n");
  hash.update(map.data.data(), map.data.size() * sizeof(float));
  return hash.hex_digest();
}

// "<score>\nsha256 <digest>\n" → the score text and the digest; nullopt for anything else.
std::optional<std::pair<std::string, std::string>> parse_score_file(const std::string& text) {
  const size_t newline = text.find('\n');
  if (newline == std::string::npos || text.compare(newline + 1, kDigestPrefix.size(), kDigestPrefix) != 0)
    return std::nullopt;
  const size_t digest_at = newline + 1 + kDigestPrefix.size();
  if (text.size() != digest_at + 65 || text.back() != '\n') return std::nullopt;
  std::string digest = text.substr(digest_at, 64);
  if (!is_sha256_hex(digest)) return std::nullopt;
  return std::pair{text.substr(0, newline), std::move(digest)};
}

std::optional<float> parse_score(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const float score = std::strtof(text.c_str(), &end);
  if (end == text.c_str() || errno != 0 || !std::isfinite(score) || *end != '\0') return std::nullopt;
  return score;
}

// A killed run's temporary files (write_file_atomic's), which no later run would ever rename into place.
template <typename Iterator>
void remove_temporaries(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> found;
  for (auto it = Iterator(dir, ec); !ec && it != Iterator(); it.increment(ec))
    if (is_atomic_temporary(it->path())) found.push_back(it->path());
  for (const auto& path : found) fs::remove(path, ec);
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
  // Beside the reports, which one process writes at the end (maps and masks folders are replaced whole);
  // a draw's own folder is cleaned when the draw starts (check_references), as winclip.dask runs the draws of
  // one cache in several processes at once.
  remove_temporaries<fs::directory_iterator>(out);
  if (!fs::exists(dir_ / "run.json")) write_file_atomic(dir_ / "run.json", settings.dump(1) + "\n");
}

fs::path ResultCache::entry(const std::string& category, uint64_t seed, const std::string& key) const {
  return dir_ / category / std::to_string(seed) / key;
}

void ResultCache::check_references(const std::string& category, uint64_t seed,
                                   const std::vector<fs::path>& references) const {
  nlohmann::json draw = nlohmann::json::array();
  for (const auto& path : references) draw.push_back(path.string());
  remove_temporaries<fs::recursive_directory_iterator>(dir_ / category / std::to_string(seed));
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

std::optional<ImageResult> ResultCache::read(const std::string& category, uint64_t seed, const std::string& key,
                                             int size) const {
  const fs::path base = entry(category, seed, key);
  try {
    const auto fields = parse_score_file(read_text(base.string() + ".score"));
    if (!fields) return std::nullopt;
    const auto score = parse_score(fields->first);
    if (!score) return std::nullopt;
    ImageResult result{*score, read_npy(base.string() + ".npy")};
    if (result.map.shape != Shape{size, size} || entry_digest(fields->first, result.map) != fields->second)
      return std::nullopt;
    return result;
  } catch (const Error&) {  // unreadable or not an .npy file
    return std::nullopt;
  }
}

void ResultCache::write(const std::string& category, uint64_t seed, const std::string& key,
                        const ImageResult& result) const {
  const fs::path base = entry(category, seed, key);
  const std::string score = score_text(result.score);
  write_npy(base.string() + ".npy", result.map);
  write_file_atomic(base.string() + ".score",
                    score + "\n" + std::string(kDigestPrefix) + entry_digest(score, result.map) + "\n");
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
