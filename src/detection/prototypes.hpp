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
