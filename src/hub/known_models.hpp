#pragma once
// The table of models `winclip fetch` knows by name (assets/known_models.json), and the parsing of a model
// reference: "NAME", "NAME:TAG" or "hf-hub:ORG/REPO" (any open_clip repository, as open_clip spells it).
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace winclip {

struct ModelSource {
  std::string name;     // "ViT-B-16-plus-240" or "hf-hub:ORG/REPO"
  std::string tag;      // empty for hf-hub references
  std::string hf_repo;  // "ORG/REPO"
  std::map<std::string, std::string> known_sha256;  // file name → digest the project vouches for
  // Architecture whose built-in config stands in when the repository has no open_clip_config.json; empty
  // for hf-hub references, whose architecture we cannot know.
  std::string builtin_architecture;

  std::filesystem::path cache_subdir() const;  // "ViT-B-16-plus-240/laion400m_e31" or "hf-hub/ORG/REPO"
  std::string display_name() const;            // "ViT-B-16-plus-240 (laion400m_e31)"
  std::string fetch_command() const;           // "winclip fetch --model ViT-B-16-plus-240 --tag ..."
};

// True if `reference` is meant as a model reference rather than a path: an hf-hub one, or a known name
// (with or without ":TAG").
bool is_model_reference(std::string_view reference);

// Looks `reference` up (empty = the default model); `tag` (from --tag) overrides the default tag and must
// agree with a ":TAG" suffix. Throws Error listing the known models and tags for an unknown one.
ModelSource find_model_source(std::string_view reference, std::string_view tag = {});

// "ViT-B-16-plus-240 (tags: laion400m_e31); or hf-hub:ORG/REPO" for error messages.
std::string known_models_summary();

}  // namespace winclip
