#pragma once
// WinCLIP+ memory banks of k normal reference images, and the bank file that lets a line of inspection
// start without the text tower or the references: prototypes + banks + what they were built with.
#include <filesystem>
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

struct BankFile {
  std::string model_fingerprint;  // weights_fingerprint() of the model that built it
  std::string architecture;
  std::string class_name;   // as given on the command line
  std::string object_name;  // as it entered the prompts
  TemplateSet templates = TemplateSet::Paper;
  std::string resize_mode;  // "squash" | "shortest": how the references were preprocessed
  Tensor prototypes;        // [2, E]
  ReferenceBank bank;
};

inline constexpr int kBankFormatVersion = 1;

// A safetensors file with `__metadata__` {format: winclip-bank, version, fields above, sha256 of the tensor
// data}; written atomically.
void save_bank_file(const std::filesystem::path& path, const BankFile& bank);
// Refuses (Error naming the file) a file of another format or version, a checksum mismatch, inconsistent
// shapes.
BankFile load_bank_file(const std::filesystem::path& path);

}  // namespace winclip
