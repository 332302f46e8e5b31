#include "hub/known_models.hpp"

#include <cctype>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "core/assets.hpp"
#include "winclip/error.hpp"

namespace winclip {
namespace {

constexpr std::string_view kHubPrefix = "hf-hub:";

struct KnownTag {
  std::string hf_repo;
  std::map<std::string, std::string> sha256;
};

struct KnownModel {
  std::string default_tag;
  std::map<std::string, KnownTag> tags;
};

struct KnownModels {
  std::string default_model;
  std::map<std::string, KnownModel> models;
};

// A hub repository id is "ORG/REPO"; it also becomes two directory levels of the cache, so anything that
// could climb out of it ("..", more slashes) is refused.
bool is_hub_repo_id(std::string_view id) {
  const size_t slash = id.find('/');
  if (slash == std::string_view::npos) return false;
  for (std::string_view part : {id.substr(0, slash), id.substr(slash + 1)}) {
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

KnownModels parse_known_models(const std::filesystem::path& path) {
  const std::string where = path.string();
  std::ifstream in(path);
  if (!in) throw Error(where, "cannot open");
  try {
    const auto json = nlohmann::json::parse(in);
    KnownModels table;
    table.default_model = json.at("default_model").get<std::string>();
    for (const auto& [name, model_json] : json.at("models").items()) {
      KnownModel& model = table.models[name];
      model.default_tag = model_json.at("default_tag").get<std::string>();
      for (const auto& [tag_name, tag_json] : model_json.at("tags").items()) {
        KnownTag& tag = model.tags[tag_name];
        tag.hf_repo = tag_json.at("hf_repo").get<std::string>();
        if (!is_hub_repo_id(tag.hf_repo)) throw Error(where, name + ":" + tag_name + ": bad hf_repo '" + tag.hf_repo + "'");
        tag.sha256 = tag_json.value("sha256", std::map<std::string, std::string>{});
        for (const auto& [file, digest] : tag.sha256)
          if (!is_sha256_hex(digest)) throw Error(where, name + ":" + tag_name + ": bad sha256 for " + file);
      }
      if (!model.tags.contains(model.default_tag))
        throw Error(where, name + ": default_tag '" + model.default_tag + "' is not among its tags");
    }
    if (!table.models.contains(table.default_model))
      throw Error(where, "default_model '" + table.default_model + "' is not among the models");
    return table;
  } catch (const nlohmann::json::exception& e) {
    throw Error(where, e.what());
  }
}

const KnownModels& known_models() {
  static const KnownModels table = parse_known_models(asset_path("known_models.json"));
  return table;
}

}  // namespace

std::filesystem::path ModelSource::cache_subdir() const {
  if (tag.empty()) return std::filesystem::path("hf-hub") / hf_repo;
  return std::filesystem::path(name) / tag;
}

std::string ModelSource::display_name() const { return tag.empty() ? name : name + " (" + tag + ")"; }

std::string ModelSource::fetch_command() const {
  const KnownModels& table = known_models();
  std::string command = "winclip fetch";
  const auto known = table.models.find(name);
  if (name != table.default_model) command += " --model " + name;
  if (known != table.models.end() && tag != known->second.default_tag) command += " --tag " + tag;
  return command;
}

bool is_model_reference(std::string_view reference) {
  if (reference.starts_with(kHubPrefix)) return true;
  return known_models().models.contains(std::string(reference.substr(0, reference.find(':'))));
}

ModelSource find_model_source(std::string_view reference, std::string_view tag) {
  if (reference.starts_with(kHubPrefix)) {
    ModelSource source;
    source.name = reference;
    source.hf_repo = reference.substr(kHubPrefix.size());
    if (!is_hub_repo_id(source.hf_repo))
      throw Error(source.name, "expected hf-hub:ORG/REPO (letters, digits, '-', '_', '.')");
    if (!tag.empty()) throw Error(source.name, "an hf-hub repository has no tags; drop --tag");
    return source;
  }
  const KnownModels& table = known_models();
  std::string name(reference.substr(0, reference.find(':')));
  std::string chosen_tag(tag);
  if (const size_t colon = reference.find(':'); colon != std::string_view::npos) {
    const std::string suffix(reference.substr(colon + 1));
    if (!chosen_tag.empty() && chosen_tag != suffix)
      throw Error(std::string(reference), "the tag after ':' disagrees with --tag " + chosen_tag);
    chosen_tag = suffix;
  }
  if (name.empty()) name = table.default_model;
  const auto model = table.models.find(name);
  if (model == table.models.end()) throw Error("unknown model '" + name + "'; known: " + known_models_summary());
  if (chosen_tag.empty()) chosen_tag = model->second.default_tag;
  const auto known_tag = model->second.tags.find(chosen_tag);
  if (known_tag == model->second.tags.end())
    throw Error("model '" + name + "' has no tag '" + chosen_tag + "'; known: " + known_models_summary());

  ModelSource source;
  source.name = name;
  source.tag = chosen_tag;
  source.hf_repo = known_tag->second.hf_repo;
  source.known_sha256 = known_tag->second.sha256;
  source.builtin_architecture = name;
  return source;
}

std::string known_models_summary() {
  std::string summary;
  for (const auto& [name, model] : known_models().models) {
    summary += name + " (tags:";
    for (const auto& [tag, entry] : model.tags) summary += " " + tag;
    summary += "); ";
  }
  return summary + "or hf-hub:ORG/REPO for any open_clip repository on the hub";
}

}  // namespace winclip
