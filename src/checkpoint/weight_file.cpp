#include <cstring>

#include "checkpoint/half_float.hpp"
#include "checkpoint/weight_formats.hpp"
#include "checkpoint/checkpoint.hpp"
#include "winclip/error.hpp"

namespace winclip {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
  }
  return "?";
}

size_t dtype_size(DType dtype) { return dtype == DType::F32 ? 4 : 2; }

namespace {

// torch.save before 1.6 (or with _use_new_zipfile_serialization=False) writes bare pickle streams: a
// PROTO opcode (0x80) with protocol 2 to 5, then the pickled legacy magic number. A safetensors file could
// start with the same two bytes (its little-endian header length), but its ninth byte opens the JSON
// header, which no pickle has there.
bool is_bare_pickle(std::span<const std::byte> bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 2 || b[0] != 0x80 || b[1] < 2 || b[1] > 5) return false;
  return bytes.size() <= 8 || b[8] != '{';
}

// Recognises the format by content, not by extension; `storage` keeps `bytes` alive.
WeightFile parse_weight_bytes(const std::filesystem::path& path, std::shared_ptr<const void> storage,
                              std::span<const std::byte> bytes) {
  // torch.save writes a zip archive; every zip starts with a local file header.
  constexpr char kZipMagic[4] = {'P', 'K', '\x03', '\x04'};
  const bool is_zip = bytes.size() >= sizeof(kZipMagic) && std::memcmp(bytes.data(), kZipMagic, sizeof(kZipMagic)) == 0;
  if (is_zip) return WeightFile(path, std::move(storage), detail::parse_torch_zip(bytes, path.string()));
  if (is_bare_pickle(bytes))
    throw Error(path.string(),
                "legacy PyTorch checkpoint (a bare pickle stream, written by torch.save before torch 1.6), which "
                "winclip does not read; re-save it with torch >= 1.6 (torch.save's default zip format) or convert "
                "it to safetensors");
  auto contents = detail::parse_safetensors(bytes, path.string());
  return WeightFile(path, std::move(storage), std::move(contents.entries), std::move(contents.metadata));
}

}  // namespace

WeightFile WeightFile::open(const std::filesystem::path& path) {
  auto file = detail::MappedFile::open(path);
  const std::span<const std::byte> bytes(file->data(), file->size());
  return parse_weight_bytes(path, std::move(file), bytes);
}

WeightFile WeightFile::from_bytes(std::span<const std::byte> bytes, const std::string& name) {
  auto copy = std::make_shared<const std::vector<std::byte>>(bytes.begin(), bytes.end());
  const std::span<const std::byte> held(copy->data(), copy->size());
  return parse_weight_bytes(name, std::move(copy), held);
}

WeightFile::WeightFile(std::filesystem::path path, std::shared_ptr<const void> storage,
                       std::vector<TensorEntry> entries, std::map<std::string, std::string> metadata)
    : path_(std::move(path)),
      storage_(std::move(storage)),
      entries_(std::move(entries)),
      metadata_(std::move(metadata)) {
  for (size_t i = 0; i < entries_.size(); ++i)
    if (!index_.emplace(entries_[i].name, i).second)
      throw Error(path_.string(), "tensor '" + entries_[i].name + "' appears twice");
}

const TensorEntry* WeightFile::find(std::string_view name) const {
  const auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

namespace {

template <float (*widen)(uint16_t)>
void widen_all(const std::byte* data, std::vector<float>& out) {
  for (size_t i = 0; i < out.size(); ++i) {
    uint16_t bits;
    std::memcpy(&bits, data + 2 * i, sizeof(bits));  // entries need not be 2-byte aligned
    out[i] = widen(bits);
  }
}

}  // namespace

std::vector<float> WeightFile::load_f32(std::string_view name, const Shape& expected) const {
  const TensorEntry* entry = find(name);
  const std::string tensor = "tensor '" + std::string(name) + "'";
  if (!entry) throw Error(path_.string(), tensor + " is missing");
  if (entry->shape != expected)
    throw Error(path_.string(),
                tensor + " has shape " + shape_string(entry->shape) + ", expected " + shape_string(expected));
  std::vector<float> values(entry->nbytes / dtype_size(entry->dtype));
  switch (entry->dtype) {
    case DType::F32:
      if (entry->nbytes > 0) std::memcpy(values.data(), entry->data, entry->nbytes);
      break;
    case DType::F16: widen_all<detail::f16_to_f32>(entry->data, values); break;
    case DType::BF16: widen_all<detail::bf16_to_f32>(entry->data, values); break;
  }
  return values;
}

}  // namespace winclip
