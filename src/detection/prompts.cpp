#include "winclip/prompts.hpp"

#include <cctype>
#include <map>

#include "winclip/error.hpp"

namespace winclip {

TemplateSet parse_template_set(const std::string& name) {
  if (name == "paper") return TemplateSet::Paper;
  if (name == "anomalib") return TemplateSet::Anomalib;
  throw Error("unknown template set '" + name + "' (expected paper or anomalib)");
}

const char* template_set_name(TemplateSet set) { return set == TemplateSet::Paper ? "paper" : "anomalib"; }

const std::vector<std::string>& normal_states() {
  static const std::vector<std::string> states = {"{}",          "flawless {}",       "perfect {}",
                                                  "unblemished {}", "{} without flaw", "{} without defect",
                                                  "{} without damage"};
  return states;
}

const std::vector<std::string>& anomalous_states() {
  static const std::vector<std::string> states = {"damaged {}", "{} with flaw", "{} with defect", "{} with damage"};
  return states;
}

const std::vector<std::string>& templates(TemplateSet set) {
  static const std::vector<std::string> paper = {
      "a cropped photo of the {}.",     "a cropped photo of a {}.",
      "a close-up photo of a {}.",      "a close-up photo of the {}.",
      "a bright photo of a {}.",        "a bright photo of the {}.",
      "a dark photo of the {}.",        "a dark photo of a {}.",
      "a jpeg corrupted photo of a {}.", "a jpeg corrupted photo of the {}.",
      "a blurry photo of the {}.",      "a blurry photo of a {}.",
      "a photo of a {}.",               "a photo of the {}.",
      "a photo of a small {}.",         "a photo of the small {}.",
      "a photo of a large {}.",         "a photo of the large {}.",
      "a photo of the {} for visual inspection.", "a photo of a {} for visual inspection.",
      "a photo of the {} for anomaly detection.", "a photo of a {} for anomaly detection.",
  };
  // anomalib's list: without "a cropped photo of a" and "a jpeg corrupted photo of a", and with
  // "a jpeg corrupted photo of the" twice (so it weighs double in the mean).
  static const std::vector<std::string> anomalib = {
      "a cropped photo of the {}.",     "a close-up photo of a {}.",
      "a close-up photo of the {}.",    "a bright photo of a {}.",
      "a bright photo of the {}.",      "a dark photo of the {}.",
      "a dark photo of a {}.",          "a jpeg corrupted photo of the {}.",
      "a jpeg corrupted photo of the {}.", "a blurry photo of the {}.",
      "a blurry photo of a {}.",        "a photo of a {}.",
      "a photo of the {}.",             "a photo of a small {}.",
      "a photo of the small {}.",       "a photo of a large {}.",
      "a photo of the large {}.",       "a photo of the {} for visual inspection.",
      "a photo of a {} for visual inspection.", "a photo of the {} for anomaly detection.",
      "a photo of a {} for anomaly detection.",
  };
  return set == TemplateSet::Paper ? paper : anomalib;
}

std::string clean_class_name(const std::string& raw) {
  // Compound words the BPE splits into nonsense (chewinggum → che, wing, gum).
  static const std::map<std::string, std::string> compounds = {{"chewinggum", "chewing gum"}};
  std::string name;
  for (char c : raw) name += c == '_' ? ' ' : c;
  while (!name.empty() && std::isdigit(static_cast<unsigned char>(name.back()))) name.pop_back();
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (auto it = compounds.find(name); it != compounds.end()) name = it->second;
  return name.empty() ? raw : name;
}

namespace {
std::string format_braces(const std::string& pattern, const std::string& value) {
  const auto at = pattern.find("{}");
  return pattern.substr(0, at) + value + pattern.substr(at + 2);
}
}  // namespace

PromptEnsemble build_prompts(const std::string& object_name, TemplateSet set) {
  if (object_name.empty()) throw Error("the class name is empty");
  // A prompt is cut at CLIP's 77 tokens (a few hundred bytes), so a longer name only costs: every template
  // copies it, and byte-pair encoding one long word takes time quadratic in its length.
  if (object_name.size() > kMaxClassNameBytes)
    throw Error("the class name is " + std::to_string(object_name.size()) + " bytes long; at most " +
                std::to_string(kMaxClassNameBytes) + " are accepted (CLIP reads only the first 77 tokens of a prompt)");
  PromptEnsemble ensemble;
  for (const auto& state : normal_states())
    for (const auto& t : templates(set)) ensemble.normal.push_back(format_braces(t, format_braces(state, object_name)));
  for (const auto& state : anomalous_states())
    for (const auto& t : templates(set))
      ensemble.anomalous.push_back(format_braces(t, format_braces(state, object_name)));
  return ensemble;
}

}  // namespace winclip
