#pragma once
// Hand-made pieces of torch.save files for the checkpoint tests, written straight from the format
// descriptions (PKWARE APPNOTE for zip, CPython's Lib/pickletools.py for the opcodes), so the readers are
// checked against bytes that none of our reading code produced.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace winclip::test {

inline void append_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

struct ZipMemberSpec {
  std::string name;
  std::string data;
  uint16_t method = 0;  // 0 stored, 8 deflated (the data is then not actually compressed)
  uint16_t flags = 0;
  std::optional<uint64_t> declared_size;  // the size the central directory states, if not the data's
  // Where the central directory says the local header is; then no local header or data is written for the
  // member (forged archives whose entries point into other members).
  std::optional<uint64_t> header_at;
};

// A member's local header (sizes given, no extra field), as it precedes the member's data.
inline std::string zip_local_header(const std::string& name, uint64_t size, uint16_t method = 0, uint16_t flags = 0) {
  std::string out;
  append_le(out, 0x04034b50, 4);
  append_le(out, 20, 2);  // version needed
  append_le(out, flags, 2);
  append_le(out, method, 2);
  append_le(out, 0, 4);   // time, date
  append_le(out, 0, 4);   // crc
  append_le(out, size, 4);
  append_le(out, size, 4);
  append_le(out, name.size(), 2);
  append_le(out, 0, 2);   // extra
  return out + name;
}

// A zip archive of the members, without alignment padding and with zero CRCs (the reader does not check
// them). With `zip64`, sizes and offsets live in zip64 extra fields and zip64 end records, as large
// archives need.
inline std::string zip_archive(const std::vector<ZipMemberSpec>& members, bool zip64 = false) {
  constexpr uint64_t kSaturated = 0xffffffff;
  std::string out, directory;
  for (const ZipMemberSpec& m : members) {
    const uint64_t offset = m.header_at.value_or(out.size());
    const uint64_t size = m.declared_size.value_or(m.data.size());
    if (!m.header_at) out += zip_local_header(m.name, m.data.size(), m.method, m.flags) + m.data;

    std::string extra;
    if (zip64) {
      append_le(extra, 0x0001, 2);
      append_le(extra, 24, 2);
      append_le(extra, size, 8);
      append_le(extra, size, 8);
      append_le(extra, offset, 8);
    }
    append_le(directory, 0x02014b50, 4);
    append_le(directory, zip64 ? 45 : 20, 2);  // version made by
    append_le(directory, zip64 ? 45 : 20, 2);  // version needed
    append_le(directory, m.flags, 2);
    append_le(directory, m.method, 2);
    append_le(directory, 0, 4);
    append_le(directory, 0, 4);
    append_le(directory, zip64 ? kSaturated : size, 4);
    append_le(directory, zip64 ? kSaturated : size, 4);
    append_le(directory, m.name.size(), 2);
    append_le(directory, extra.size(), 2);
    append_le(directory, 0, 2);  // comment
    append_le(directory, 0, 2);  // disk
    append_le(directory, 0, 2);  // internal attributes
    append_le(directory, 0, 4);  // external attributes
    append_le(directory, zip64 ? kSaturated : offset, 4);
    directory += m.name + extra;
  }
  const uint64_t directory_offset = out.size();
  out += directory;
  if (zip64) {
    const uint64_t record_offset = out.size();
    append_le(out, 0x06064b50, 4);
    append_le(out, 44, 8);  // size of the rest of the record
    append_le(out, 45, 2);
    append_le(out, 45, 2);
    append_le(out, 0, 4);
    append_le(out, 0, 4);
    append_le(out, members.size(), 8);
    append_le(out, members.size(), 8);
    append_le(out, directory.size(), 8);
    append_le(out, directory_offset, 8);
    append_le(out, 0x07064b50, 4);
    append_le(out, 0, 4);
    append_le(out, record_offset, 8);
    append_le(out, 1, 4);
  }
  append_le(out, 0x06054b50, 4);
  append_le(out, 0, 2);
  append_le(out, 0, 2);
  append_le(out, zip64 ? 0xffff : members.size(), 2);
  append_le(out, zip64 ? 0xffff : members.size(), 2);
  append_le(out, zip64 ? kSaturated : directory.size(), 4);
  append_le(out, zip64 ? kSaturated : directory_offset, 4);
  append_le(out, 0, 2);
  return out;
}

// Pickle opcodes, protocol 2.
namespace pickle_op {
inline std::string str(std::string_view text) {  // BINUNICODE
  std::string out = "X";
  append_le(out, text.size(), 4);
  return out + std::string(text);
}
inline std::string short_str(std::string_view text) {  // SHORT_BINUNICODE
  return "\x8c" + std::string(1, static_cast<char>(text.size())) + std::string(text);
}
inline std::string integer(int32_t value) {  // BININT
  std::string out = "J";
  append_le(out, static_cast<uint32_t>(value), 4);
  return out;
}
inline std::string global(std::string_view module, std::string_view name) {
  std::string out = "c";
  out.append(module).append("\n").append(name).append("\n");
  return out;
}
inline std::string int_tuple(const std::vector<int32_t>& values) {
  std::string out = "(";
  for (int32_t v : values) out += integer(v);
  return out + "t";
}
inline const std::string kProto2 = "\x80\x02";
inline const std::string kEmptyOrderedDict = global("collections", "OrderedDict") + ")R";
}  // namespace pickle_op

// One tensor as torch.save pickles it: _rebuild_tensor_v2 of a persistent-id storage.
struct TensorSpec {
  std::string storage_class = "FloatStorage";
  std::string key = "0";
  int32_t storage_numel = 0;
  int32_t offset = 0;
  std::vector<int32_t> shape;
  std::vector<int32_t> stride;
};

inline std::string tensor_pickle(const TensorSpec& t) {
  using namespace pickle_op;
  std::string storage = "((" + str("storage") + global("torch", t.storage_class) + str(t.key) + str("cpu") +
                        integer(t.storage_numel) + "tQ";
  return global("torch._utils", "_rebuild_tensor_v2") + storage + integer(t.offset) + int_tuple(t.shape) +
         int_tuple(t.stride) + "\x89" + kEmptyOrderedDict + "tR";
}

// data.pkl of an OrderedDict mapping each name to its already pickled value.
inline std::string state_dict_pickle(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out = pickle_op::kProto2 + pickle_op::kEmptyOrderedDict + "(";
  for (const auto& [name, value] : items) out += pickle_op::str(name) + value;
  return out + "u.";
}

inline std::string float_bytes(const std::vector<float>& values) {
  std::string out(values.size() * sizeof(float), '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

// A torch.save archive named "archive" holding data.pkl, the storages (key, bytes) and the version.
inline std::string torch_archive(const std::string& data_pkl,
                                 const std::vector<std::pair<std::string, std::string>>& storages) {
  std::vector<ZipMemberSpec> members{{"archive/data.pkl", data_pkl}};
  for (const auto& [key, bytes] : storages) members.push_back({"archive/data/" + key, bytes});
  members.push_back({"archive/version", "3\n"});
  return zip_archive(members);
}

}  // namespace winclip::test
