#include "winclip/detector.hpp"

#include <algorithm>
#include <numeric>

#include <nlohmann/json.hpp>

#include "checkpoint/checkpoint.hpp"
#include "winclip/error.hpp"
#include "detection/maps.hpp"
#include "detection/scoring.hpp"
#include "detection/prototypes.hpp"
#include "text/tokenizer.hpp"
#include "detection/windows.hpp"

namespace winclip {

namespace {

Tensor grid_tensor(const std::vector<double>& values, int grid) {
  Tensor t({grid, grid});
  for (size_t i = 0; i < values.size(); ++i) t.data[i] = static_cast<float>(values[i]);
  return t;
}

Tensor slice_rows(const Tensor& t, int64_t begin, int64_t count) {
  const int64_t row = t.numel() / t.shape[0];
  Shape shape = t.shape;
  shape[0] = count;
  return Tensor(shape, std::vector<float>(t.ptr() + begin * row, t.ptr() + (begin + count) * row));
}

Tensor stack_images(const std::vector<Tensor>& images) {
  Shape shape = images.at(0).shape;
  shape[0] = static_cast<int64_t>(images.size());
  Tensor out(shape);
  float* dst = out.ptr();
  for (const auto& t : images) dst = std::copy(t.data.begin(), t.data.end(), dst);
  return out;
}

Tensor resolve_prototypes(const ClipModel& model, const DetectorOptions& options, const std::string& object) {
  // The cache is local, so it may key on the weights file's state as well: a text tower retrained in place
  // then never meets the prototypes of the old one.
  const PrototypeKey key{model.fingerprint() + ":" + weights_file_state(model.weights_path()), object,
                         options.templates};
  if (!options.prototype_cache.empty())
    if (auto cached = PrototypeCache(options.prototype_cache).find(key)) return *cached;
  Tensor prototypes = compute_prototypes(model, Tokenizer::default_instance(), build_prompts(object, options.templates));
  if (!options.prototype_cache.empty()) PrototypeCache(options.prototype_cache).store(key, prototypes);
  return prototypes;
}

}  // namespace

struct Detector::AssociationBanks {
  AssociationBank patches;
  std::vector<AssociationBank> windows;  // per scale
};

Detector::~Detector() = default;
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;

Detector::Detector(std::shared_ptr<const ClipModel> model, DetectorOptions options)
    : Detector(model, options, resolve_prototypes(*model, options,
                                                  options.raw_class_name ? options.class_name
                                                                         : clean_class_name(options.class_name))) {}

Detector::Detector(std::shared_ptr<const ClipModel> model, DetectorOptions options, Tensor prototypes)
    : model_(std::move(model)), options_(std::move(options)), prototypes_(std::move(prototypes)) {
  if (!model_ || !model_->has_vision()) throw Error("detector: the model's vision tower is not loaded");
  if (prototypes_.shape != Shape{2, model_->embed_dim()})
    throw Error("detector: prototypes have shape " + shape_string(prototypes_.shape) + ", expected [2, " +
                std::to_string(model_->embed_dim()) + "]");
  if (options_.scales.empty()) throw Error("detector: no window scales given");
  if (options_.batch_size < 1) throw Error("detector: batch size must be at least 1");
  for (int scale : options_.scales) windows_.push_back(window_patches(model_->grid(), scale));
  bank_.scales = options_.scales;
}

std::string Detector::object_name() const {
  return options_.raw_class_name ? options_.class_name : clean_class_name(options_.class_name);
}

VisionRequest Detector::window_request() const {
  // Each window is its own sequence: the class token, then its patches (token 1 + p for patch p).
  VisionRequest request;
  for (const auto& scale_windows : windows_)
    for (const auto& patches : scale_windows) {
      std::vector<int> tokens = {0};
      for (int p : patches) tokens.push_back(1 + p);
      request.token_subsets.push_back(std::move(tokens));
    }
  return request;
}

Tensor Detector::preprocess(const Image& image) const {
  Tensor t = winclip::preprocess(image, model_->image_size(), options_.resize, model_->config().preprocess);
  t.shape.insert(t.shape.begin(), 1);
  return t;
}

void Detector::add_references(const std::vector<Image>& images) {
  std::vector<Tensor> inputs;
  for (const auto& image : images) inputs.push_back(preprocess(image));
  if (!inputs.empty()) add_references(stack_images(inputs));
}

void Detector::add_references(const Tensor& preprocessed) {
  const int64_t k = preprocessed.shape.at(0);
  const VisionRequest request = window_request();
  ReferenceBank bank = bank_;
  if (bank.window_features.empty()) bank.window_features.resize(windows_.size());
  std::vector<Tensor> patches = {bank.patch_features};
  std::vector<std::vector<Tensor>> windows(windows_.size());
  for (size_t s = 0; s < windows_.size(); ++s) windows[s].push_back(bank.window_features[s]);
  for (int64_t start = 0; start < k; start += options_.batch_size) {
    const int64_t n = std::min<int64_t>(options_.batch_size, k - start);
    const VisionResult r = model_->encode_images(slice_rows(preprocessed, start, n), request);
    const int64_t p = r.patch_tokens.shape[1], w = r.patch_tokens.shape[2], e = model_->embed_dim();
    patches.push_back(Tensor({n * p, w}, r.patch_tokens.data));
    int64_t offset = 0;
    for (size_t s = 0; s < windows_.size(); ++s) {
      const auto count = static_cast<int64_t>(windows_[s].size());
      Tensor t({n * count, e});
      for (int64_t b = 0; b < n; ++b) {
        const float* src = r.subset_embeddings.ptr() + (b * static_cast<int64_t>(request.token_subsets.size()) + offset) * e;
        std::copy(src, src + count * e, t.ptr() + b * count * e);
      }
      windows[s].push_back(std::move(t));
      offset += count;
    }
  }
  auto concat = [](const std::vector<Tensor>& parts) {
    int64_t rows = 0, cols = 0;
    for (const auto& t : parts)
      if (t.numel()) rows += t.shape[0], cols = t.shape[1];
    Tensor out({rows, cols});
    float* dst = out.ptr();
    for (const auto& t : parts) dst = std::copy(t.data.begin(), t.data.end(), dst);
    return out;
  };
  bank.patch_features = concat(patches);
  for (size_t s = 0; s < windows_.size(); ++s) bank.window_features[s] = concat(windows[s]);
  bank.shots += static_cast<int>(k);
  set_references(std::move(bank));
}

void Detector::set_references(ReferenceBank bank) {
  if (bank.scales != options_.scales) throw Error("reference bank was built with other window scales");
  if (bank.shots > 0) {
    const int64_t p = static_cast<int64_t>(model_->grid()) * model_->grid();
    if (bank.patch_features.shape != Shape{bank.shots * p, model_->config().vision.width})
      throw Error("reference bank: patch features have shape " + shape_string(bank.patch_features.shape) +
                  ", which does not fit this model");
    if (bank.window_features.size() != windows_.size()) throw Error("reference bank: window banks missing");
    for (size_t s = 0; s < windows_.size(); ++s)
      if (bank.window_features[s].shape !=
          Shape{bank.shots * static_cast<int64_t>(windows_[s].size()), model_->embed_dim()})
        throw Error("reference bank: window features of scale " + std::to_string(options_.scales[s]) +
                    " have shape " + shape_string(bank.window_features[s].shape) + ", which does not fit this model");
  }
  bank_ = std::move(bank);
  rebuild_association_banks();
}

void Detector::rebuild_association_banks() {
  association_.reset();
  if (bank_.shots == 0) return;
  association_ = std::make_unique<AssociationBanks>(AssociationBanks{AssociationBank(bank_.patch_features), {}});
  for (const auto& features : bank_.window_features) association_->windows.emplace_back(features);
}

Detection Detector::score(const Image& image) const { return score(preprocess(image)).at(0); }

std::vector<Detection> Detector::score(const std::vector<Image>& images) const {
  if (images.empty()) return {};
  std::vector<Tensor> inputs;
  for (const auto& image : images) inputs.push_back(preprocess(image));
  return score(stack_images(inputs));
}

std::vector<double> Detector::zero_shot_maps(const float* image_embedding, const float* window_embeddings,
                                             Detection& d) const {
  const int grid = model_->grid();
  const int64_t e = model_->embed_dim();
  d.zero_shot_score = class_scores(image_embedding, 1, prototypes_, options_.temperature)[0];
  // Per patch, the harmonic mean of the image score and every scale's map (docs/winclip.md, Zero-shot maps).
  std::vector<double> reciprocal_sum(static_cast<size_t>(grid * grid), 1.0 / d.zero_shot_score);
  for (size_t s = 0; s < windows_.size(); ++s) {
    const auto count = static_cast<int64_t>(windows_[s].size());
    const auto scale_map = harmonic_aggregation(
        class_scores(window_embeddings, count, prototypes_, options_.temperature), grid, options_.scales[s]);
    d.zero_shot_scale_maps.push_back(grid_tensor(scale_map, grid));
    for (size_t i = 0; i < reciprocal_sum.size(); ++i) reciprocal_sum[i] += 1.0 / scale_map[i];
    window_embeddings += count * e;
  }
  const double terms = 1.0 + static_cast<double>(windows_.size());
  std::vector<double> map(reciprocal_sum.size());
  for (size_t i = 0; i < map.size(); ++i) map[i] = terms / reciprocal_sum[i];
  d.zero_shot_map = grid_tensor(map, grid);
  return map;
}

std::vector<double> Detector::few_shot_maps(const float* patch_tokens, int64_t patches,
                                            const float* window_embeddings, Detection& d) const {
  const int grid = model_->grid();
  const int64_t e = model_->embed_dim();
  // Per patch, the arithmetic mean of the patch-level association and every scale's window association
  // (docs/winclip.md, Few-shot maps).
  std::vector<double> sum(static_cast<size_t>(grid * grid), 0.0);
  const auto patch_scores = association_->patches.score(patch_tokens, patches);
  d.few_shot_patch_map = grid_tensor(patch_scores, grid);
  for (size_t i = 0; i < sum.size(); ++i) sum[i] += patch_scores[i];
  for (size_t s = 0; s < windows_.size(); ++s) {
    const auto count = static_cast<int64_t>(windows_[s].size());
    const auto scale_map =
        harmonic_aggregation(association_->windows[s].score(window_embeddings, count), grid, options_.scales[s]);
    d.few_shot_scale_maps.push_back(grid_tensor(scale_map, grid));
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += scale_map[i];
    window_embeddings += count * e;
  }
  const double terms = 1.0 + static_cast<double>(windows_.size());
  for (auto& v : sum) v /= terms;
  d.few_shot_map = grid_tensor(sum, grid);
  return sum;
}

void Detector::fuse(const std::vector<double>& zero_shot, const std::vector<double>& few_shot, Detection& d) const {
  // WinCLIP+ (docs/winclip.md, Fusion): the map is the mean of the language-guided and the few-shot map, the
  // score the mean of the zero-shot image score and the few-shot map's maximum. Without references they are
  // the zero-shot map and a0.
  const int grid = model_->grid(), size = model_->image_size();
  std::vector<double> combined = zero_shot;
  d.score = d.zero_shot_score;
  if (!few_shot.empty()) {
    double max_few_shot = -INFINITY;
    for (size_t i = 0; i < few_shot.size(); ++i) {
      max_few_shot = std::max(max_few_shot, few_shot[i]);
      combined[i] = (zero_shot[i] + few_shot[i]) / 2.0;
    }
    d.score = (d.zero_shot_score + max_few_shot) / 2.0;
  }
  d.patch_map = grid_tensor(combined, grid);
  d.map = upsample_bilinear(d.patch_map, size, size);
}

bool Detector::encodes_like(const Detector& other) const {
  return model_ == other.model_ && options_.scales == other.options_.scales;
}

VisionResult Detector::encode(const Tensor& preprocessed) const {
  return model_->encode_images(preprocessed, window_request());
}

Detection Detector::score_encoded(const VisionResult& r, int64_t index) const {
  const int64_t e = model_->embed_dim();
  const int64_t n = r.image_embeddings.numel() ? r.image_embeddings.shape.at(0) : 0;
  const int64_t expected_subsets = static_cast<int64_t>(std::accumulate(
      windows_.begin(), windows_.end(), size_t{0}, [](size_t sum, const auto& w) { return sum + w.size(); }));
  if (index < 0 || index >= n)
    throw Error("detector: image " + std::to_string(index) + " of a pass of " + std::to_string(n));
  if (r.subset_embeddings.shape != Shape{n, expected_subsets, e} || r.patch_tokens.shape.size() != 3)
    throw Error("detector: the pass was made with other windows or another model (subset embeddings " +
                shape_string(r.subset_embeddings.shape) + ")");
  const int64_t p = r.patch_tokens.shape[1], w = r.patch_tokens.shape[2];
  Detection d;
  const float* window_embeddings = r.subset_embeddings.ptr() + index * expected_subsets * e;
  const std::vector<double> zero_shot = zero_shot_maps(r.image_embeddings.ptr() + index * e, window_embeddings, d);
  std::vector<double> few_shot;
  if (association_) few_shot = few_shot_maps(r.patch_tokens.ptr() + index * p * w, p, window_embeddings, d);
  fuse(zero_shot, few_shot, d);
  return d;
}

std::vector<Detection> Detector::score(const Tensor& preprocessed) const {
  std::vector<Detection> detections;
  for (int64_t start = 0; start < preprocessed.shape.at(0); start += options_.batch_size) {
    const int64_t n = std::min<int64_t>(options_.batch_size, preprocessed.shape[0] - start);
    const VisionResult r = encode(slice_rows(preprocessed, start, n));
    for (int64_t b = 0; b < n; ++b) detections.push_back(score_encoded(r, b));
  }
  return detections;
}

}  // namespace winclip

namespace winclip {

BankFile Detector::bank_file() const {
  BankFile file;
  file.model_fingerprint = model_->fingerprint();
  file.architecture = model_->config().name;
  file.class_name = options_.class_name;
  file.object_name = object_name();
  file.templates = options_.templates;
  file.resize_mode = options_.resize == ResizeMode::Squash ? "squash" : "shortest";
  file.prototypes = prototypes_;
  file.bank = bank_;
  return file;
}

Detector detector_from_bank(std::shared_ptr<const ClipModel> model, const std::filesystem::path& bank_path,
                            DetectorOptions options) {
  return detector_from_bank(std::move(model), load_bank_file(bank_path), std::move(options), bank_path.string());
}

Detector detector_from_bank(std::shared_ptr<const ClipModel> model, BankFile file, DetectorOptions options,
                            const std::string& where) {
  if (file.model_fingerprint != model->fingerprint())
    throw Error(where, "bank was built with another model (" + file.architecture + ", fingerprint " +
                           file.model_fingerprint.substr(0, 12) + "); this model is " + model->config().name +
                           " (" + model->fingerprint().substr(0, 12) + "): rebuild it with `winclip bank build`");
  if (file.bank.shots > 0 && file.bank.scales != options.scales)
    throw Error(where, "bank was built with window scales " + nlohmann::json(file.bank.scales).dump() +
                           ", but scales " + nlohmann::json(options.scales).dump() + " were asked for");
  options.class_name = file.class_name;
  options.templates = file.templates;
  options.raw_class_name = file.object_name == file.class_name;
  Detector detector(std::move(model), options, std::move(file.prototypes));
  file.bank.scales = options.scales;
  detector.set_references(std::move(file.bank));
  return detector;
}

}  // namespace winclip
