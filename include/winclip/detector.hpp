#pragma once
// WinCLIP (zero-shot) and WinCLIP+ (few-shot) anomaly detection for one object class: the whole pipeline
// after preprocessing — windows, language scores, reference banks, harmonic aggregation, fusion, maps.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "winclip/image.hpp"
#include "winclip/model.hpp"
#include "winclip/preprocess.hpp"
#include "winclip/prompts.hpp"
#include "winclip/reference_bank.hpp"
#include "winclip/tensor.hpp"

namespace winclip {

struct DetectorOptions {
  std::string class_name = "object";
  bool raw_class_name = false;  // keep `metal_nut` as is (anomalib parity) instead of "metal nut"
  TemplateSet templates = TemplateSet::Paper;
  std::vector<int> scales = {2, 3};
  double temperature = 0.07;  // τ of the softmax over the two prototypes
  ResizeMode resize = ResizeMode::Squash;
  int batch_size = 2;                      // images per forward pass
  std::filesystem::path prototype_cache;  // directory; empty disables the cache
};

struct Detection {
  double score = 0;  // image-level anomaly score
  Tensor map;        // [S, S] at the model input size, bilinear from patch_map
  Tensor patch_map;  // [g, g]
  // The parts, for inspection and parity checks.
  double zero_shot_score = 0;                // a0: the full image against the prototypes
  Tensor zero_shot_map;                      // [g, g] harmonic fusion of a0 and the scale maps
  std::vector<Tensor> zero_shot_scale_maps;  // per scale [g, g]
  Tensor few_shot_map;                       // [g, g]; empty without references
  Tensor few_shot_patch_map;
  std::vector<Tensor> few_shot_scale_maps;
};

// Threads: once its references are set, a Detector is read-only. score(), preprocess() and the accessors
// may be called from several threads at once on the same Detector, and each call gives the same result as
// it would alone; the forward passes of concurrent calls take turns on the model (see model.hpp), while
// preprocessing and the scoring after the pass run in parallel. add_references() and set_references() change
// the Detector: no other call on it may run meanwhile.
class Detector {
 public:
  // Prototypes come from the cache, or from the text tower (then cached).
  Detector(std::shared_ptr<const ClipModel> model, DetectorOptions options);
  // Prototypes given (e.g. from a bank file): the text tower is never needed.
  Detector(std::shared_ptr<const ClipModel> model, DetectorOptions options, Tensor prototypes);
  ~Detector();
  Detector(Detector&&) noexcept;
  Detector& operator=(Detector&&) noexcept;

  // WinCLIP+: features of k normal images. Images of any size; they are preprocessed like test images.
  void add_references(const std::vector<Image>& images);
  void add_references(const Tensor& preprocessed);  // [k, 3, S, S]
  void set_references(ReferenceBank bank);          // refuses a bank of other scales or dimensions
  const ReferenceBank& references() const { return bank_; }
  int shots() const { return bank_.shots; }

  Detection score(const Image& image) const;
  // The images go through the engine together, options().batch_size per forward pass, and each gets the
  // result score(image) alone would give.
  std::vector<Detection> score(const std::vector<Image>& images) const;
  std::vector<Detection> score(const Tensor& preprocessed) const;  // [N, 3, S, S]

  // The two halves of score(), for a caller that batches images of several Detectors into one vision pass (a
  // service gathering concurrent requests): the pass depends only on the model and the window scales, never on
  // the class, prototypes or references.
  // True when this Detector's pass is the other's: the same model object and the same scales.
  bool encodes_like(const Detector& other) const;
  // One forward pass over all N images of `preprocessed` ([N, 3, S, S]), whatever options().batch_size says.
  VisionResult encode(const Tensor& preprocessed) const;
  // Image `index` of a pass made by this Detector or one that encodes_like it: the Detection score() gives for
  // that image, bit for bit.
  Detection score_encoded(const VisionResult& encoded, int64_t index) const;

  Tensor preprocess(const Image& image) const;  // [1, 3, S, S]
  const Tensor& prototypes() const { return prototypes_; }
  const DetectorOptions& options() const { return options_; }
  const ClipModel& model() const { return *model_; }
  std::string object_name() const;  // the class name as it enters the prompts

  BankFile bank_file() const;  // prototypes + banks + provenance, ready for save_bank_file

 private:
  VisionRequest window_request() const;
  // One image's maps from its encoder outputs, in double; each also fills its parts of `d`.
  std::vector<double> zero_shot_maps(const float* image_embedding, const float* window_embeddings,
                                     Detection& d) const;
  std::vector<double> few_shot_maps(const float* patch_tokens, int64_t patches, const float* window_embeddings,
                                    Detection& d) const;  // needs references
  // `few_shot` empty without references.
  void fuse(const std::vector<double>& zero_shot, const std::vector<double>& few_shot, Detection& d) const;
  void rebuild_association_banks();

  std::shared_ptr<const ClipModel> model_;
  DetectorOptions options_;
  Tensor prototypes_;
  std::vector<std::vector<std::vector<int>>> windows_;  // per scale: patch indices of each window
  ReferenceBank bank_;
  struct AssociationBanks;  // the reference bank as the scorer reads it (built from bank_)
  std::unique_ptr<AssociationBanks> association_;
};

// Detector from a bank file: checks that the file was built with this model and these scales.
Detector detector_from_bank(std::shared_ptr<const ClipModel> model, const std::filesystem::path& bank_path,
                            DetectorOptions options);
// The same from a bank file already loaded (e.g. to read its calibration too); `where` names it in errors.
Detector detector_from_bank(std::shared_ptr<const ClipModel> model, BankFile file, DetectorOptions options,
                            const std::string& where);

}  // namespace winclip
