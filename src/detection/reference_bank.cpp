#include "winclip/reference_bank.hpp"

#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "checkpoint/checkpoint.hpp"
#include "winclip/error.hpp"
#include "winclip/preprocess.hpp"

namespace winclip {

namespace {

constexpr const char* kFormat = "winclip-bank";

std::string window_key(int scale) { return "window_features.scale" + std::to_string(scale); }

nlohmann::ordered_json calibration_json(const BankCalibration& c) {
  return {{"image_threshold", c.image_threshold}, {"pixel_threshold", c.pixel_threshold},
          {"image_target_fpr", c.image_target_fpr}, {"pixel_target_fpr", c.pixel_target_fpr},
          {"images", c.images}, {"pixels", c.pixels}, {"image_rank", c.image_rank}, {"pixel_rank", c.pixel_rank},
          {"selection", c.selection}};
}

// Checksum over every tensor's name, shape and values, in a fixed order, then the calibration's JSON text (as
// stored), so that a damaged threshold fails the check like damaged features; an uncalibrated bank has the
// digest version 1 gave it.
std::string content_digest(const std::vector<NamedTensor>& tensors, const std::string& calibration) {
  Sha256 hash;
  for (const auto& t : tensors) {
    hash.update(t.name + shape_string(t.shape));
    hash.update(t.values.data(), t.values.size() * sizeof(float));
  }
  if (!calibration.empty()) hash.update("calibration" + calibration);
  return hash.hex_digest();
}

std::vector<NamedTensor> bank_tensors(const BankFile& file) {
  std::vector<NamedTensor> tensors = {{"prototypes", file.prototypes.shape, file.prototypes.data}};
  if (file.bank.shots > 0) {
    tensors.push_back({"patch_features", file.bank.patch_features.shape, file.bank.patch_features.data});
    for (size_t s = 0; s < file.bank.scales.size(); ++s)
      tensors.push_back({window_key(file.bank.scales[s]), file.bank.window_features.at(s).shape,
                         file.bank.window_features[s].data});
  }
  return tensors;
}

}  // namespace

void save_bank_file(const std::filesystem::path& path, const BankFile& file) {
  const auto tensors = bank_tensors(file);
  const std::string calibration = file.calibration ? calibration_json(*file.calibration).dump() : "";
  std::map<std::string, std::string> metadata = {
      {"format", kFormat},
      {"version", std::to_string(kBankFormatVersion)},
      {"model_fingerprint", file.model_fingerprint},
      {"architecture", file.architecture},
      {"class_name", file.class_name},
      {"object_name", file.object_name},
      {"templates", template_set_name(file.templates)},
      {"resize_mode", file.resize_mode},
      {"shots", std::to_string(file.bank.shots)},
      {"scales", nlohmann::json(file.bank.scales).dump()},
      {"sha256", content_digest(tensors, calibration)},
  };
  if (!calibration.empty()) metadata["calibration"] = calibration;
  save_safetensors(path, tensors, metadata);
}

namespace {

BankFile bank_file_from(const WeightFile& wf) {
  const std::string where = wf.path().string();
  const auto& meta = wf.metadata();
  auto field = [&](const std::string& key) {
    auto it = meta.find(key);
    if (it == meta.end()) throw Error(where, "not a winclip bank file (metadata has no '" + key + "')");
    return it->second;
  };
  if (field("format") != kFormat) throw Error(where, "not a winclip bank file (format '" + field("format") + "')");
  const std::string version = field("version");
  if (version != "1" && version != std::to_string(kBankFormatVersion))
    throw Error(where, "bank file version " + version + " is not supported (this program reads versions 1 to " +
                           std::to_string(kBankFormatVersion) + ")");
  BankFile file;
  file.model_fingerprint = field("model_fingerprint");
  file.architecture = field("architecture");
  file.class_name = field("class_name");
  file.object_name = field("object_name");
  // Checked here, where the file can be named (found by fuzz_bank_file: an unknown template set was an Error
  // naming neither the file nor the field).
  const std::string templates = field("templates"), resize_mode = field("resize_mode");
  try {
    file.templates = parse_template_set(templates);
    (void)parse_resize_mode(resize_mode);
  } catch (const Error& e) {
    throw Error(where, std::string("bank file has malformed metadata: ") + e.what());
  }
  file.resize_mode = resize_mode;
  try {
    file.bank.shots = std::stoi(field("shots"));
    file.bank.scales = nlohmann::json::parse(field("scales")).get<std::vector<int>>();
  } catch (const std::exception&) {
    throw Error(where, "bank file has malformed 'shots' or 'scales' metadata");
  }
  auto load = [&](const std::string& name) {
    const TensorEntry* entry = wf.find(name);
    if (!entry) throw Error(where, "bank file has no tensor '" + name + "'");
    return Tensor(entry->shape, wf.load_f32(name, entry->shape));
  };
  file.prototypes = load("prototypes");
  if (file.bank.shots > 0) {
    file.bank.patch_features = load("patch_features");
    for (int scale : file.bank.scales) file.bank.window_features.push_back(load(window_key(scale)));
  }
  std::string calibration;
  if (auto it = meta.find("calibration"); it != meta.end()) {
    if (version == "1") throw Error(where, "bank file version 1 cannot hold 'calibration' metadata");
    calibration = it->second;
    try {
      const auto j = nlohmann::json::parse(calibration);
      BankCalibration c;
      c.image_threshold = j.at("image_threshold").get<double>();
      c.pixel_threshold = j.at("pixel_threshold").get<double>();
      c.image_target_fpr = j.at("image_target_fpr").get<double>();
      c.pixel_target_fpr = j.at("pixel_target_fpr").get<double>();
      c.images = j.at("images").get<int64_t>();
      c.pixels = j.at("pixels").get<int64_t>();
      c.image_rank = j.at("image_rank").get<int64_t>();
      c.pixel_rank = j.at("pixel_rank").get<int64_t>();
      c.selection = j.at("selection").get<std::string>();
      file.calibration = c;
    } catch (const std::exception& e) {
      throw Error(where, std::string("bank file has malformed 'calibration' metadata: ") + e.what());
    }
  }
  if (content_digest(bank_tensors(file), calibration) != field("sha256"))
    throw Error(where, "bank file checksum mismatch: the file is damaged");
  return file;
}

}  // namespace

BankFile load_bank_file(const std::filesystem::path& path) { return bank_file_from(WeightFile::open(path)); }

BankFile load_bank_file_bytes(std::span<const std::byte> bytes, const std::string& name) {
  return bank_file_from(WeightFile::from_bytes(bytes, name));
}

}  // namespace winclip
