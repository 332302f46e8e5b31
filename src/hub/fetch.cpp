// `winclip fetch`: an open_clip repository from the Hugging Face hub into the cache, every file checked
// against a sha256 before it is renamed into place.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>

#include "core/atomic_file.hpp"
#include "hub/http_download.hpp"
#include "hub/known_models.hpp"
#include "core/sha256.hpp"
#include "winclip/model_config.hpp"
#include "winclip/model_store.hpp"
#include "winclip/progress.hpp"

namespace winclip {
namespace {

constexpr const char* kDefaultHubEndpoint = "https://huggingface.co";

std::string hub_endpoint(const FetchOptions& options) {
  std::string endpoint = options.base_url;
  if (endpoint.empty())
    if (const char* env = std::getenv("HF_ENDPOINT"); env && *env) endpoint = env;
  if (endpoint.empty()) endpoint = kDefaultHubEndpoint;
  while (endpoint.ends_with('/')) endpoint.pop_back();
  return endpoint;
}

std::filesystem::path with_suffix(const std::filesystem::path& path, const char* suffix) {
  return std::filesystem::path(path.string() + suffix);
}

// <file>.sha256 holds "<digest>  <file name>", the format `sha256sum -c` reads.
std::optional<std::string> read_digest_record(const std::filesystem::path& file) {
  std::ifstream in(with_suffix(file, ".sha256"));
  std::string digest;
  if (in >> digest && is_sha256_hex(digest)) return digest;
  return std::nullopt;
}

void write_digest_record(const std::filesystem::path& file, const std::string& digest) {
  write_file_atomic(with_suffix(file, ".sha256"), digest + "  " + file.filename().string() + "\n");
}

// Downloads and verifies the files of one model into its cache directory.
class ModelFetcher {
 public:
  ModelFetcher(ModelSource source, std::filesystem::path dir, std::string endpoint, bool verbose)
      : source_(std::move(source)), dir_(std::move(dir)), endpoint_(std::move(endpoint)), verbose_(verbose) {}

  std::string url(const std::string& file) const { return endpoint_ + "/" + source_.hf_repo + "/resolve/main/" + file; }

  void fetch_config() {
    if (verify_cached(kOpenClipConfigFile) || download(kOpenClipConfigFile)) return;
    if (source_.builtin_architecture.empty())
      throw FetchError(url(kOpenClipConfigFile) + ": not found; an open_clip repository needs this file", false);
    // Old repositories predate open_clip_config.json; the architecture's built-in config says the same.
    write_open_clip_config(dir_ / kOpenClipConfigFile, builtin_config(source_.builtin_architecture));
    say(std::string(kOpenClipConfigFile) + ": not in the repository; wrote the built-in " +
        source_.builtin_architecture + " config");
  }

  // open_clip's order: safetensors first, the pickle .bin when the repository has no safetensors file.
  void fetch_weights() {
    for (const char* file : {kSafetensorsWeightsFile, kPytorchWeightsFile})
      if (verify_cached(file)) return;
    for (const char* file : {kSafetensorsWeightsFile, kPytorchWeightsFile})
      if (download(file)) return;
    throw FetchError(source_.hf_repo + " has neither " + kSafetensorsWeightsFile + " nor " + kPytorchWeightsFile +
                         " (" + url(kSafetensorsWeightsFile) + " gave 404)",
                     false);
  }

 private:
  std::optional<std::string> known_digest(const std::string& file) const {
    const auto known = source_.known_sha256.find(file);
    if (known == source_.known_sha256.end()) return std::nullopt;
    return known->second;
  }

  // True if the cached file is intact. One that fails its known or recorded digest is removed so that it is
  // downloaded again; one with neither (put there by hand) gets its digest recorded.
  bool verify_cached(const std::string& file) {
    const auto path = dir_ / file;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return false;
    const std::string actual = sha256_file(path);
    auto expected = known_digest(file);
    if (!expected) expected = read_digest_record(path);
    if (expected && *expected != actual) {
      say(path.string() + ": sha256 " + actual + " differs from " + *expected + "; downloading it again");
      std::filesystem::remove(path);
      std::filesystem::remove(with_suffix(path, ".sha256"), ec);
      return false;
    }
    if (!read_digest_record(path)) write_digest_record(path, actual);
    say(file + ": in the cache, sha256 " + (expected ? "checked" : "recorded"));
    return true;
  }

  // False if the hub has no such file.
  bool download(const std::string& file) {
    const auto path = dir_ / file;
    const auto part = with_suffix(path, ".part");
    const DownloadResult result = download_to_part({url(file), part, file, verbose_});
    if (result.status == DownloadStatus::NotFound) return false;

    const std::string actual = sha256_file(part);
    std::optional<std::string> expected = known_digest(file);
    std::string authority = "the value winclip knows";
    if (!expected && !result.linked_sha256.empty()) {
      expected = result.linked_sha256;
      authority = "the hub's X-Linked-Etag";
    }
    if (expected && *expected != actual) {
      // The .part goes too: resuming from bad bytes would only fail again.
      std::filesystem::remove(part);
      throw FetchError(url(file) + ": sha256 " + actual + " does not match " + *expected + " (" + authority +
                           "); the download was deleted, run `" + source_.fetch_command() + "` to try again",
                       false);
    }
    std::filesystem::rename(part, path);
    write_digest_record(path, actual);
    say(file + ": " + format_bytes(std::filesystem::file_size(path)) + ", sha256 " +
        (expected ? "matches " + authority : "recorded (nothing to check it against)"));
    return true;
  }

  void say(const std::string& message) const {
    if (verbose_) std::cerr << "winclip: " << message << "\n";
  }

  ModelSource source_;
  std::filesystem::path dir_;
  std::string endpoint_;
  bool verbose_;
};

// One paragraph: what failed, what to download by hand, and the directory to put it in.
std::string offline_advice(const ModelSource& source, const ModelFetcher& fetcher, const std::filesystem::path& dir,
                           const std::string& failure) {
  return "cannot download " + source.display_name() + ": " + failure +
         ". To install it by hand, download " + fetcher.url(kOpenClipConfigFile) + " and " +
         fetcher.url(kSafetensorsWeightsFile) + " (or, if the hub has no such file, " +
         fetcher.url(kPytorchWeightsFile) + ") on a machine with internet access and put them in the directory " +
         dir.string() + " (then `" + source.fetch_command() +
         "` checks them, and the other commands find them there). A mirror of the hub can be named with "
         "--base-url or HF_ENDPOINT.";
}

}  // namespace

std::filesystem::path fetch_model(const FetchOptions& options) {
  const ModelSource source = find_model_source(options.model, options.tag);
  // Absolute, so that the directory printed (and named in the offline advice) works from anywhere.
  const auto cache = std::filesystem::absolute(options.cache_dir.empty() ? default_cache_dir() : options.cache_dir);
  const auto dir = cache / source.cache_subdir();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw FetchError(dir.string() + ": cannot create the cache directory: " + ec.message(), false);

  ModelFetcher fetcher(source, dir, hub_endpoint(options), options.progress);
  try {
    fetcher.fetch_config();
    fetcher.fetch_weights();
  } catch (const NetworkError& e) {
    throw FetchError(offline_advice(source, fetcher, dir, e.what()), true);
  }
  return dir;
}

}  // namespace winclip
