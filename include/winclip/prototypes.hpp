#pragma once
// Text prototypes: the mean unnormalised text embedding of the normal and of the anomalous prompt ensemble
// ([2, E]: row 0 normal, row 1 anomalous), and a small on-disk cache so that the text tower runs once per
// (model, class, template set).
#include <filesystem>
#include <optional>
#include <string>

#include "winclip/model.hpp"
#include "winclip/prompts.hpp"
#include "winclip/tensor.hpp"

namespace winclip {

class Tokenizer;

Tensor compute_prototypes(const ClipModel& model, const Tokenizer& tokenizer, const PromptEnsemble& prompts);

// A short content fingerprint of a weights file (size and SHA-256 of its first and last MiB): cheap to take
// without loading the model, and different for any two checkpoints we would meet in practice.
std::string weights_fingerprint(const std::filesystem::path& weights_file);

// The file's size and modification time: what a cache on this machine adds to the fingerprint (which reads
// only the first and last MiB) to tell a model rewritten in place from the old one. Not portable, so bank
// files do not use it.
std::string weights_file_state(const std::filesystem::path& weights_file);

struct PrototypeKey {
  std::string model_fingerprint;
  std::string object_name;  // after cleaning, exactly as it enters the prompts
  TemplateSet templates = TemplateSet::Paper;
};

class PrototypeCache {
 public:
  explicit PrototypeCache(std::filesystem::path dir);  // e.g. <cache>/prototypes
  std::optional<Tensor> find(const PrototypeKey& key) const;  // a damaged entry counts as a miss
  void store(const PrototypeKey& key, const Tensor& prototypes) const;
  std::filesystem::path entry_path(const PrototypeKey& key) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace winclip
