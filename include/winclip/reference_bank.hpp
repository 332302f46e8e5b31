#pragma once
// WinCLIP+ memory banks of k normal reference images, and the bank file that lets a line of inspection
// start without the text tower or the references: prototypes + banks + what they were built with.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "winclip/prompts.hpp"
#include "winclip/tensor.hpp"

namespace winclip {

struct ReferenceBank {
  int shots = 0;
  std::vector<int> scales;
  Tensor patch_features;                // [k·P, W]: patch tokens after ln_post, not projected
  std::vector<Tensor> window_features;  // per scale: [k·windows, E] projected window embeddings
};

// Decision thresholds calibrated on normal images that are not references (`winclip bank calibrate`; the
// bound is in docs/eval.md, "Calibrated thresholds").
struct BankCalibration {
  double image_threshold = 0;  // an image scoring above it is anomalous
  double pixel_threshold = 0;  // a pixel above it is in the mask and inside the contours
  double image_target_fpr = 0;
  double pixel_target_fpr = 0;
  int64_t images = 0;  // calibration images
  int64_t pixels = 0;  // calibration pixels: images × S × S (maps at the model input size)
  int64_t image_rank = 0, pixel_rank = 0;  // k: the threshold is the k-th largest normal score
  std::string selection;  // how the calibration images were chosen
};

struct BankFile {
  std::string model_fingerprint;  // weights_fingerprint() of the model that built it
  std::string architecture;
  std::string class_name;   // as given on the command line
  std::string object_name;  // as it entered the prompts
  TemplateSet templates = TemplateSet::Paper;
  std::string resize_mode;  // "squash" | "shortest": how the references were preprocessed
  Tensor prototypes;        // [2, E]
  ReferenceBank bank;
  std::optional<BankCalibration> calibration;  // absent until `winclip bank calibrate`
};

// Version 2 added the optional `calibration` metadata; version 1 files (never calibrated) are still read.
inline constexpr int kBankFormatVersion = 2;

// A safetensors file with `__metadata__` {format: winclip-bank, version, fields above, calibration as JSON when
// present, sha256 of the tensors and the calibration}; written atomically.
void save_bank_file(const std::filesystem::path& path, const BankFile& bank);
// Reads versions 1 and 2. Refuses (Error naming the file) a file of another format or version, a checksum mismatch, inconsistent
// shapes.
BankFile load_bank_file(const std::filesystem::path& path);
// The same for a bank file's bytes in memory (an upload); `name` stands for the file in errors.
BankFile load_bank_file_bytes(std::span<const std::byte> bytes, const std::string& name);

}  // namespace winclip
