#pragma once
// Per-image results of an evaluation run, kept so that a killed run resumes where it stopped.
//
// OUT/cache/<run id>/ holds run.json (the settings the id hashes), and per category and seed
// references.json (the drawn reference images) and, per test image, <defect>/<stem>.npy (its [S, S] map)
// and <defect>/<stem>.score (its score, %.9g). Every file appears atomically and the score is written after
// the map, so an image is finished exactly when its .score file exists.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "winclip/tensor.hpp"

namespace winclip::eval {

struct ImageResult {
  float score = 0;
  Tensor map;  // [S, S]
};

class ResultCache {
 public:
  // `settings`: everything that changes a result; runs with other settings use another directory.
  // `fresh`: remove OUT/cache first.
  ResultCache(const std::filesystem::path& out, const nlohmann::json& settings, bool fresh);

  const std::filesystem::path& dir() const { return dir_; }

  // Records the reference draw of (category, seed), or, when one is recorded, throws Error if this draw
  // differs (the training images changed since): its cached results would mix two reference sets.
  void check_references(const std::string& category, uint64_t seed,
                        const std::vector<std::filesystem::path>& references) const;

  bool contains(const std::string& category, uint64_t seed, const std::string& key) const;
  // Throws Error naming the file for an unreadable entry or a map that is not [size, size].
  ImageResult read(const std::string& category, uint64_t seed, const std::string& key, int size) const;
  void write(const std::string& category, uint64_t seed, const std::string& key, const ImageResult& result) const;
  // Makes `target` the cached map file of a finished image: a hard link (the maps of a full benchmark take
  // gigabytes; this way they are stored once), or a copy where the file system has no hard links.
  void link_map(const std::string& category, uint64_t seed, const std::string& key,
                const std::filesystem::path& target) const;

 private:
  std::filesystem::path entry(const std::string& category, uint64_t seed, const std::string& key) const;

  std::filesystem::path dir_;
};

}  // namespace winclip::eval
