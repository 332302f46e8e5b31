#pragma once
// The compositional prompt ensemble (paper §3.2): state words × templates, for the normal and the anomalous
// state of one object.
#include <cstddef>
#include <string>
#include <vector>

namespace winclip {

enum class TemplateSet {
  Paper,     // the paper's 22 templates
  Anomalib,  // anomalib's 21 (two missing, one listed twice), for parity with its numbers
};
TemplateSet parse_template_set(const std::string& name);  // "paper" | "anomalib"
const char* template_set_name(TemplateSet set);

const std::vector<std::string>& normal_states();     // 7, each with one "{}"
const std::vector<std::string>& anomalous_states();  // 4
const std::vector<std::string>& templates(TemplateSet set);

// Dataset folder names → words CLIP knows: '_' → ' ', trailing digits dropped, known compounds split
// (metal_nut → "metal nut", pcb3 → "pcb", chewinggum → "chewing gum").
std::string clean_class_name(const std::string& raw);

struct PromptEnsemble {
  std::vector<std::string> normal;
  std::vector<std::string> anomalous;
};

inline constexpr size_t kMaxClassNameBytes = 1024;

// template.format(state.format(object)) for every (state, template) pair. Throws Error for an empty name or
// one longer than kMaxClassNameBytes.
PromptEnsemble build_prompts(const std::string& object_name, TemplateSet set);

}  // namespace winclip
