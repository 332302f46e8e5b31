// torch.save checkpoints (.bin/.pt): a zip whose `<archive>/data.pkl` pickles the saved object and whose
// `<archive>/data/<key>` members hold the raw storages. Only the state dict's tensors are kept, as views
// into the mapping: the object itself, or its "state_dict" entry as in training checkpoints, with the
// "module." prefix that DataParallel adds removed.
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>

#include "checkpoint/pickle_reader.hpp"
#include "checkpoint/weight_formats.hpp"
#include "checkpoint/zip_reader.hpp"
#include "winclip/error.hpp"

namespace winclip::detail {
namespace {

using pickle::TensorView;

constexpr std::string_view kDataParallelPrefix = "module.";

class TorchArchive {
 public:
  TorchArchive(std::span<const std::byte> bytes, const std::string& where) {
    members_ = read_zip_members(bytes, where);
    // Like torch's own reader: the folder of the first member names the archive.
    size_t slash = members_.empty() ? std::string::npos : members_.front().name.find('/');
    if (slash == std::string::npos) throw Error(where, "zip archive is not a torch.save checkpoint");
    prefix_ = members_.front().name.substr(0, slash + 1);
    for (const ZipMember& member : members_) by_name_.emplace(member.name, member.data);
    if (find("constants.pkl")) {
      throw Error(where, "is a TorchScript archive (torch.jit.save), not a state dict; re-save "
                         "model.state_dict() with torch.save");
    }
    auto byteorder = find("byteorder");
    auto as_text = [](std::span<const std::byte> member) {
      return std::string_view(reinterpret_cast<const char*>(member.data()), member.size());
    };
    if (byteorder && as_text(*byteorder) != "little") {
      throw Error(where, "checkpoint was saved on a big-endian machine; only little-endian is supported");
    }
  }

  // The member `<archive>/<relative>`, if present.
  std::optional<std::span<const std::byte>> find(const std::string& relative) const {
    auto found = by_name_.find(prefix_ + relative);
    if (found == by_name_.end()) return std::nullopt;
    return found->second;
  }
  std::span<const std::byte> at(const std::string& relative, const std::string& needed_by) const {
    auto member = find(relative);
    if (!member) throw Error(needed_by, "zip member '" + prefix_ + relative + "' is missing");
    return *member;
  }

 private:
  std::vector<ZipMember> members_;
  std::string prefix_;  // "<archive>/"
  std::unordered_map<std::string_view, std::span<const std::byte>> by_name_;  // views into members_
};

// torch's notion of contiguity: strides of size-1 dimensions do not matter.
bool is_c_contiguous(const TensorView& view) {
  int64_t expected = 1;
  for (size_t d = view.shape.size(); d-- > 0;) {
    if (view.shape[d] != 1 && view.stride[d] != expected) return false;
    expected *= view.shape[d];
  }
  return true;
}

// Integer and bool buffers (position ids, BatchNorm counters) are never weights: skipped.
std::optional<TensorEntry> weight_entry(std::string name, const TensorView& view, const TorchArchive& archive,
                                        const std::string& where) {
  const pickle::StorageClass& type = *view.storage.type;
  if (type.integral) return std::nullopt;
  const std::string tensor = "tensor '" + name + "'";
  auto fail = [&](const std::string& problem) { throw Error(where, tensor + " " + problem); };
  if (!type.dtype) {
    fail("has torch." + std::string(type.name) + " elements; only float32, float16 and bfloat16 weights are supported");
  }
  const std::string key(view.storage.key);
  std::span<const std::byte> storage = archive.at("data/" + key, where + ": " + tensor);
  const int64_t capacity = view.storage.numel;  // elements
  // Division, not multiplication: a forged element count must not wrap around to the member's size.
  const bool whole_elements = storage.size() % type.element_size == 0;
  if (!whole_elements || storage.size() / type.element_size != static_cast<uint64_t>(capacity)) {
    fail("has storage '" + key + "' of " + std::to_string(storage.size()) + " bytes, not " + std::to_string(capacity) +
         " " + std::string(type.name) + " elements");
  }
  // Overflow-safe element count: stop as soon as it cannot fit in the storage.
  int64_t numel = 1;
  for (int64_t extent : view.shape) {
    if (extent < 0) fail("has a negative size " + shape_string(view.shape));
    numel = extent == 0 || numel <= capacity / extent ? numel * extent : capacity + 1;
  }
  if (view.offset < 0 || numel > capacity || view.offset > capacity - numel) {
    fail("of shape " + shape_string(view.shape) + " at offset " + std::to_string(view.offset) +
         " extends past the end of its storage of " + std::to_string(capacity) + " elements");
  }
  if (numel > 0 && !is_c_contiguous(view)) {
    fail("is not contiguous (stride " + shape_string(view.stride) + " for shape " + shape_string(view.shape) +
         "); save tensor.contiguous() instead");
  }
  size_t element_size = type.element_size;
  return TensorEntry{std::move(name), *type.dtype, view.shape,
                     storage.data() + static_cast<size_t>(view.offset) * element_size,
                     static_cast<size_t>(numel) * element_size};
}

std::string key_list(const pickle::Object& dict) {
  std::string keys;
  for (const auto& [key, value] : dict.entries) {
    if (const auto* text = std::get_if<std::string_view>(&key)) keys += (keys.empty() ? "" : ", ") + std::string(*text);
  }
  return keys.empty() ? "none" : keys;
}

}  // namespace

std::vector<TensorEntry> parse_torch_zip(std::span<const std::byte> bytes, const std::string& where) {
  TorchArchive archive(bytes, where);
  const pickle::Unpickled saved = pickle::unpickle(archive.at("data.pkl", where), where + ": data.pkl");
  const pickle::Object* state = saved.dict(saved.root);
  if (!state) throw Error(where, "holds no state dict: the saved object is not a dict");
  for (const auto& [key, value] : state->entries) {
    const auto* name = std::get_if<std::string_view>(&key);
    if (!name || *name != "state_dict") continue;
    state = saved.dict(value);
    if (!state) throw Error(where, "its 'state_dict' entry is not a dict");
    break;
  }

  std::vector<TensorEntry> entries;  // WeightFile refuses names that are left twice by the prefix removal
  for (const auto& [key, value] : state->entries) {
    const TensorView* view = saved.tensor(value);
    if (!view) continue;  // epoch counters, hyper-parameters and the like
    const auto* raw_name = std::get_if<std::string_view>(&key);
    if (!raw_name) throw Error(where, "a tensor in the state dict has a key that is not a string");
    std::string name(raw_name->starts_with(kDataParallelPrefix) ? raw_name->substr(kDataParallelPrefix.size())
                                                                : *raw_name);
    if (auto entry = weight_entry(std::move(name), *view, archive, where)) entries.push_back(std::move(*entry));
  }
  if (entries.empty()) throw Error(where, "holds no weight tensors (keys: " + key_list(*state) + ")");
  return entries;
}

}  // namespace winclip::detail
