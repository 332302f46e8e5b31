// safetensors: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
// then the data section; offsets are relative to the data section.
#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "checkpoint/little_endian.hpp"  // also asserts a little-endian host, which the writer relies on
#include "checkpoint/weight_formats.hpp"
#include "core/atomic_file.hpp"
#include "winclip/error.hpp"

namespace winclip {
namespace {

using nlohmann::json;

constexpr size_t kLengthBytes = 8;
// The reference implementation refuses larger headers too; it keeps a corrupt length from costing gigabytes.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr const char* kMetadataKey = "__metadata__";

std::string quoted(const std::string& name) { return "tensor '" + name + "'"; }

std::optional<DType> dtype_from_name(const std::string& name) {
  for (DType dtype : {DType::F32, DType::F16, DType::BF16})
    if (name == dtype_name(dtype)) return dtype;
  return std::nullopt;
}

// Parses the header, refusing duplicate keys at any level (nlohmann would silently keep the last one, so a
// file with two entries for one tensor would load whichever came last).
json parse_header(std::string_view text, const std::string& where) {
  std::vector<std::set<std::string>> keys_per_object;
  std::optional<std::string> duplicate;
  auto track_keys = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys_per_object.emplace_back();
    if (event == json::parse_event_t::object_end) keys_per_object.pop_back();
    if (event == json::parse_event_t::key && !keys_per_object.back().insert(parsed.get<std::string>()).second &&
        !duplicate)
      duplicate = parsed.get<std::string>();
    return true;
  };
  json header;
  try {
    header = json::parse(text.begin(), text.end(), track_keys);
  } catch (const json::exception& e) {
    throw Error(where, std::string("safetensors header is not valid JSON: ") + e.what());
  }
  if (duplicate) throw Error(where, "safetensors header has the key '" + *duplicate + "' twice");
  if (!header.is_object()) throw Error(where, "safetensors header is not a JSON object");
  return header;
}

uint64_t unsigned_field(const json& value, const std::string& name, const char* what) {
  if (!value.is_number_unsigned())
    throw Error(quoted(name) + ": " + what + " must be non-negative integers, got " + value.dump());
  return value.get<uint64_t>();
}

// Validates one header entry against the data section. Errors here omit the file name; the caller adds it.
TensorEntry parse_entry(const std::string& name, const json& info, const std::byte* data, uint64_t data_size) {
  auto fail = [&](const std::string& problem) { throw Error(quoted(name) + ": " + problem); };
  if (!info.is_object()) fail("header entry is not a JSON object");
  const auto dtype_it = info.find("dtype");
  const auto shape_it = info.find("shape");
  const auto offsets_it = info.find("data_offsets");
  if (dtype_it == info.end() || shape_it == info.end() || offsets_it == info.end())
    fail("header entry needs \"dtype\", \"shape\" and \"data_offsets\"");
  if (!dtype_it->is_string()) fail("dtype is not a string");

  TensorEntry entry;
  entry.name = name;
  const std::string dtype = dtype_it->get<std::string>();
  const auto known = dtype_from_name(dtype);
  if (!known) fail("dtype " + dtype + " is not supported (only F32, F16 and BF16)");
  entry.dtype = *known;

  if (!shape_it->is_array()) fail("shape is not an array");
  uint64_t numel = 1;
  for (const json& dim : *shape_it) {
    const uint64_t d = unsigned_field(dim, name, "shape dimensions");
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) || __builtin_mul_overflow(numel, d, &numel))
      fail("shape " + shape_it->dump() + " has too many elements");
    entry.shape.push_back(static_cast<int64_t>(d));
  }
  uint64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, dtype_size(entry.dtype), &nbytes))
    fail("shape " + shape_it->dump() + " has too many elements");

  if (!offsets_it->is_array() || offsets_it->size() != 2) fail("data_offsets is not a pair [begin, end]");
  const uint64_t begin = unsigned_field((*offsets_it)[0], name, "data_offsets");
  const uint64_t end = unsigned_field((*offsets_it)[1], name, "data_offsets");
  const std::string range = "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "]";
  if (begin > end) fail(range + " end before they begin");
  if (end > data_size)
    fail(range + " reach past the end of the data section (" + std::to_string(data_size) +
         " bytes); is the file truncated?");
  if (end - begin != nbytes)
    fail(range + " hold " + std::to_string(end - begin) + " bytes, but " + dtype + " " + shape_it->dump() +
         " needs " + std::to_string(nbytes));
  entry.data = data + begin;
  entry.nbytes = static_cast<size_t>(nbytes);
  return entry;
}

// The format defines __metadata__ as a string-to-string map.
std::map<std::string, std::string> parse_metadata(const json& info) {
  std::map<std::string, std::string> metadata;
  if (!info.is_object()) throw Error("__metadata__ is not a JSON object");
  for (const auto& [key, value] : info.items()) {
    if (!value.is_string()) throw Error("__metadata__ value '" + key + "' is not a string: " + value.dump());
    metadata[key] = value.get<std::string>();
  }
  return metadata;
}

// Two tensors sharing bytes would alias each other's weights; empty tensors occupy no bytes.
void check_no_overlap(const std::vector<TensorEntry>& entries) {
  std::vector<const TensorEntry*> by_start;
  for (const auto& e : entries)
    if (e.nbytes > 0) by_start.push_back(&e);
  std::sort(by_start.begin(), by_start.end(), [](auto* a, auto* b) { return a->data < b->data; });
  for (size_t i = 1; i < by_start.size(); ++i) {
    const TensorEntry& prev = *by_start[i - 1];
    if (prev.data + prev.nbytes > by_start[i]->data)
      throw Error(quoted(prev.name) + " and " + quoted(by_start[i]->name) + " overlap in the data section");
  }
}

}  // namespace

namespace detail {

SafetensorsContents parse_safetensors(std::span<const std::byte> bytes, const std::string& where) {
  if (bytes.empty()) throw Error(where, "file is empty (0 bytes), not a safetensors file");
  if (bytes.size() < kLengthBytes)
    throw Error(where, "file is too short for a safetensors header (" + std::to_string(bytes.size()) + " bytes)");
  const auto header_size = detail::load_le<uint64_t>(bytes.data());
  const uint64_t available = bytes.size() - kLengthBytes;
  if (header_size > available)
    throw Error(where, "safetensors header length " + std::to_string(header_size) + " reaches past the end of the " +
                           std::to_string(bytes.size()) + "-byte file (not a safetensors file, or truncated)");
  if (header_size > kMaxHeaderBytes)
    throw Error(where, "safetensors header length " + std::to_string(header_size) + " exceeds the 100 MB limit");

  const auto* header_text = reinterpret_cast<const char*>(bytes.data() + kLengthBytes);
  const json header = parse_header(std::string_view(header_text, header_size), where);
  const std::byte* data = bytes.data() + kLengthBytes + header_size;
  const uint64_t data_size = available - header_size;

  SafetensorsContents contents;
  try {
    for (const auto& [name, info] : header.items()) {
      if (name == kMetadataKey)
        contents.metadata = parse_metadata(info);
      else
        contents.entries.push_back(parse_entry(name, info, data, data_size));
    }
    check_no_overlap(contents.entries);
  } catch (const Error& e) {
    throw Error(where, e.what());
  }
  return contents;
}

}  // namespace detail

namespace {

// The header exactly as the Python writer lays it out: compact JSON, tensors in sorted order with their fields
// in the order dtype, shape, data_offsets, then __metadata__; padded with spaces to a multiple of 8 bytes so the
// data section starts aligned.
std::string make_header(const std::vector<std::pair<std::string, Shape>>& tensors, const std::vector<size_t>& order,
                        const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  uint64_t offset = 0;
  for (size_t i : order) {
    const auto& [name, shape] = tensors[i];
    const uint64_t nbytes = static_cast<uint64_t>(shape_numel(shape)) * dtype_size(DType::F32);
    header[name] = {{"dtype", dtype_name(DType::F32)}, {"shape", shape}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' ');
  return text;
}

}  // namespace

void save_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, Shape>>& tensors,
                      const TensorFill& fill, const std::map<std::string, std::string>& metadata) {
  const std::string where = path.string();
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors[a].first < tensors[b].first; });

  size_t data_size = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const auto& [name, shape] = tensors[order[k]];
    if (name.empty() || name == kMetadataKey) throw Error(where, "cannot write a tensor named '" + name + "'");
    if (k > 0 && name == tensors[order[k - 1]].first) throw Error(where, quoted(name) + " is given twice");
    if (std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 0; }))
      throw Error(where, quoted(name) + " has a negative dimension in shape " + shape_string(shape));
    data_size += static_cast<size_t>(shape_numel(shape)) * dtype_size(DType::F32);
  }

  const std::string header = make_header(tensors, order, metadata);
  std::string bytes(kLengthBytes + header.size() + data_size, '\0');
  const uint64_t header_size = header.size();
  std::memcpy(bytes.data(), &header_size, kLengthBytes);
  std::memcpy(bytes.data() + kLengthBytes, header.data(), header.size());

  std::vector<float> values;
  size_t offset = kLengthBytes + header.size();
  for (size_t i : order) {
    values.assign(static_cast<size_t>(shape_numel(tensors[i].second)), 0.0f);
    fill(i, values);
    if (values.empty()) continue;
    std::memcpy(bytes.data() + offset, values.data(), values.size() * sizeof(float));
    offset += values.size() * sizeof(float);
  }
  write_file_atomic(path, bytes);
}

void save_safetensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<std::pair<std::string, Shape>> layout;
  for (const auto& t : tensors) layout.emplace_back(t.name, t.shape);
  auto copy_values = [&](size_t i, std::span<float> out) {
    const NamedTensor& t = tensors[i];
    if (t.values.size() != out.size())
      throw Error(path.string(), quoted(t.name) + " has " + std::to_string(t.values.size()) + " values for shape " +
                                     shape_string(t.shape));
    std::copy(t.values.begin(), t.values.end(), out.begin());
  };
  save_safetensors(path, layout, copy_values, metadata);
}

}  // namespace winclip
