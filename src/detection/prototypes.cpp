#include "detection/prototypes.hpp"

#include "core/sha256.hpp"
#include "checkpoint/checkpoint.hpp"
#include "winclip/error.hpp"
#include "text/tokenizer.hpp"

namespace winclip {

namespace fs = std::filesystem;

namespace {

Tensor mean_embedding(const ClipModel& model, const Tokenizer& tokenizer, const std::vector<std::string>& prompts) {
  if (prompts.empty()) throw Error("prompt ensemble is empty");
  std::vector<std::vector<int32_t>> ids;
  ids.reserve(prompts.size());
  for (const auto& p : prompts) ids.push_back(tokenizer.tokenize(p, model.config().text.context_length));
  const Tensor emb = model.encode_text(ids);
  const int64_t e = emb.shape[1];
  std::vector<double> sum(static_cast<size_t>(e), 0.0);
  for (int64_t r = 0; r < emb.shape[0]; ++r)
    for (int64_t i = 0; i < e; ++i) sum[i] += emb.ptr()[r * e + i];
  Tensor mean({e});
  for (int64_t i = 0; i < e; ++i) mean.data[i] = static_cast<float>(sum[i] / static_cast<double>(emb.shape[0]));
  return mean;
}

}  // namespace

Tensor compute_prototypes(const ClipModel& model, const Tokenizer& tokenizer, const PromptEnsemble& prompts) {
  const Tensor normal = mean_embedding(model, tokenizer, prompts.normal);
  const Tensor anomalous = mean_embedding(model, tokenizer, prompts.anomalous);
  Tensor out({2, normal.shape[0]});
  std::copy(normal.data.begin(), normal.data.end(), out.data.begin());
  std::copy(anomalous.data.begin(), anomalous.data.end(), out.data.begin() + normal.numel());
  return out;
}

PrototypeCache::PrototypeCache(fs::path dir) : dir_(std::move(dir)) {}

fs::path PrototypeCache::entry_path(const PrototypeKey& key) const {
  Sha256 hash;
  hash.update(key.model_fingerprint + "\n" + key.object_name + "\n" + template_set_name(key.templates));
  return dir_ / (hash.hex_digest().substr(0, 32) + ".safetensors");
}

std::optional<Tensor> PrototypeCache::find(const PrototypeKey& key) const {
  const fs::path path = entry_path(key);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  try {
    const auto file = WeightFile::open(path);
    const TensorEntry* entry = file.find("prototypes");
    if (!entry || entry->shape.size() != 2 || entry->shape[0] != 2) return std::nullopt;
    return Tensor(entry->shape, file.load_f32("prototypes", entry->shape));
  } catch (const Error&) {
    return std::nullopt;  // damaged or foreign file: recompute and overwrite
  }
}

void PrototypeCache::store(const PrototypeKey& key, const Tensor& prototypes) const {
  save_safetensors(entry_path(key), {{"prototypes", prototypes.shape, prototypes.data}},
                   {{"model", key.model_fingerprint}, {"object", key.object_name},
                    {"templates", template_set_name(key.templates)}});
}

}  // namespace winclip
