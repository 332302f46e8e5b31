// Zip archives as torch.save writes them (PKWARE APPNOTE 6.3): everything is found through the central
// directory, because torch streams its members with data descriptors and leaves the local sizes zero.
#include "checkpoint/zip_reader.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "checkpoint/little_endian.hpp"
#include "winclip/error.hpp"

namespace winclip::detail {
namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEndSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EndSize = 56;
constexpr size_t kMaxCommentSize = 0xffff;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint32_t kZip64Marker32 = 0xffffffff;
constexpr uint16_t kEncryptedFlag = 0x0001;
constexpr uint16_t kStoredMethod = 0;

using Bytes = std::span<const std::byte>;

// `size` bytes at `offset` of `bytes`, or an Error saying which record does not fit.
Bytes slice(Bytes bytes, uint64_t offset, uint64_t size, const std::string& where, std::string_view what) {
  if (offset > bytes.size() || size > bytes.size() - offset) {
    throw Error(where, "truncated zip archive: " + std::string(what) + " at offset " + std::to_string(offset) +
                           " needs " + std::to_string(size) + " bytes, only " +
                           std::to_string(bytes.size() - std::min<uint64_t>(offset, bytes.size())) + " left");
  }
  return bytes.subspan(static_cast<size_t>(offset), static_cast<size_t>(size));
}

struct CentralDirectory {
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t count = 0;
};

// The end record sits at the very end, after an optional comment of up to 64 KiB that could itself
// contain the signature; requiring the comment length to reach exactly the end of the file disambiguates.
size_t find_end_record(Bytes archive, const std::string& where) {
  if (archive.size() >= kEndSize) {
    size_t lowest = archive.size() - kEndSize - std::min(archive.size() - kEndSize, kMaxCommentSize);
    for (size_t pos = archive.size() - kEndSize + 1; pos-- > lowest;) {
      const std::byte* record = archive.data() + pos;
      const size_t comment_size = load_le<uint16_t>(record + 20);
      if (load_le<uint32_t>(record) == kEndSignature && pos + kEndSize + comment_size == archive.size()) {
        return pos;
      }
    }
  }
  throw Error(where, "not a zip archive or truncated: no end-of-central-directory record");
}

CentralDirectory read_central_directory_location(Bytes archive, const std::string& where) {
  size_t end_pos = find_end_record(archive, where);
  const std::byte* end = archive.data() + end_pos;
  if (load_le<uint16_t>(end + 4) != 0 || load_le<uint16_t>(end + 6) != 0) {
    throw Error(where, "multi-disk zip archives are not supported");
  }
  CentralDirectory directory{load_le<uint32_t>(end + 16), load_le<uint32_t>(end + 12), load_le<uint16_t>(end + 10)};
  uint64_t directory_limit = end_pos;

  // torch always writes the zip64 records; their values take precedence over the saturated 16/32-bit ones.
  if (end_pos >= kZip64LocatorSize) {
    const std::byte* locator = end - kZip64LocatorSize;
    if (load_le<uint32_t>(locator) == kZip64LocatorSignature) {
      uint64_t zip64_pos = load_le<uint64_t>(locator + 8);
      if (load_le<uint32_t>(locator + 4) != 0 || load_le<uint32_t>(locator + 16) > 1) {
        throw Error(where, "multi-disk zip archives are not supported");
      }
      Bytes record = slice(archive.first(end_pos - kZip64LocatorSize), zip64_pos, kZip64EndSize, where,
                           "zip64 end-of-central-directory record");
      if (load_le<uint32_t>(record.data()) != kZip64EndSignature) {
        throw Error(where, "bad zip64 end-of-central-directory record at offset " + std::to_string(zip64_pos));
      }
      directory = {load_le<uint64_t>(record.data() + 48), load_le<uint64_t>(record.data() + 40),
                   load_le<uint64_t>(record.data() + 32)};
      directory_limit = zip64_pos;
    }
  }
  slice(archive.first(static_cast<size_t>(directory_limit)), directory.offset, directory.size, where,
        "central directory");
  return directory;
}

// Sizes and offsets saturated at 0xffffffff are stored, in this order, in the zip64 extra field.
void apply_zip64_extra(Bytes extra, uint64_t& uncompressed, uint64_t& compressed, uint64_t& local_offset,
                       const std::string& where) {
  size_t pos = 0;
  while (pos + 4 <= extra.size()) {
    uint16_t id = load_le<uint16_t>(extra.data() + pos);
    Bytes field = slice(extra, pos + 4, load_le<uint16_t>(extra.data() + pos + 2), where, "zip extra field");
    pos += 4 + field.size();
    if (id != kZip64ExtraId) continue;
    size_t used = 0;
    for (uint64_t* value : {&uncompressed, &compressed, &local_offset}) {
      if (*value != kZip64Marker32) continue;
      *value = load_le<uint64_t>(slice(field, used, 8, where, "zip64 extra field").data());
      used += 8;
    }
  }
}

// Where a member lies in the archive, from its local header to the end of its data.
struct MemberExtent {
  uint64_t begin = 0, end = 0;
  size_t index = 0;  // into the members
};

ZipMember read_member(Bytes archive, Bytes directory, size_t& pos, uint64_t data_limit, const std::string& where,
                      MemberExtent& extent) {
  Bytes header = slice(directory, pos, kCentralHeaderSize, where, "central directory entry");
  const std::byte* h = header.data();
  if (load_le<uint32_t>(h) != kCentralHeaderSignature) {
    throw Error(where, "bad central directory entry at offset " + std::to_string(pos));
  }
  uint16_t name_size = load_le<uint16_t>(h + 28);
  uint16_t extra_size = load_le<uint16_t>(h + 30);
  uint16_t comment_size = load_le<uint16_t>(h + 32);
  Bytes name_bytes = slice(directory, pos + kCentralHeaderSize, name_size, where, "member name");
  Bytes extra = slice(directory, pos + kCentralHeaderSize + name_size, extra_size, where, "zip extra field");
  slice(directory, pos + kCentralHeaderSize + name_size + extra_size, comment_size, where, "member comment");
  pos += kCentralHeaderSize + name_size + extra_size + comment_size;

  ZipMember member{std::string(reinterpret_cast<const char*>(name_bytes.data()), name_bytes.size()), {}};
  const std::string member_where = where + ": zip member '" + member.name + "'";
  auto fail = [&](const std::string& problem) { throw Error(where, "zip member '" + member.name + "' " + problem); };
  if (load_le<uint16_t>(h + 8) & kEncryptedFlag) fail("is encrypted");
  if (uint16_t method = load_le<uint16_t>(h + 10); method != kStoredMethod) {
    fail("is compressed (method " + std::to_string(method) + "); only stored members are supported, as torch.save "
         "writes them");
  }
  uint64_t compressed = load_le<uint32_t>(h + 20);
  uint64_t uncompressed = load_le<uint32_t>(h + 24);
  uint64_t local_offset = load_le<uint32_t>(h + 42);
  apply_zip64_extra(extra, uncompressed, compressed, local_offset, member_where);
  if (compressed != uncompressed) {
    fail("is stored with different compressed and uncompressed sizes");
  }

  Bytes local = slice(archive, local_offset, kLocalHeaderSize, member_where, "local header");
  uint16_t local_name_size = load_le<uint16_t>(local.data() + 26);
  Bytes local_name = slice(archive, local_offset + kLocalHeaderSize, local_name_size, member_where, "local name");
  if (load_le<uint32_t>(local.data()) != kLocalHeaderSignature ||
      !std::equal(local_name.begin(), local_name.end(), name_bytes.begin(), name_bytes.end())) {
    fail("has a local header at offset " + std::to_string(local_offset) + " that does not match the central directory");
  }
  uint64_t data_offset = local_offset + kLocalHeaderSize + local_name_size + load_le<uint16_t>(local.data() + 28);
  member.data = slice(archive.first(static_cast<size_t>(data_limit)), data_offset, uncompressed, member_where, "data");
  extent.begin = local_offset;
  extent.end = data_offset + uncompressed;
  return member;
}

// Members sharing bytes are how overlapping-file zip bombs multiply their size; torch.save never writes
// them, and two entries of one name would leave it open which one is read.
void check_members_apart(const std::vector<ZipMember>& members, std::vector<MemberExtent> extents,
                         const std::string& where) {
  std::sort(extents.begin(), extents.end(), [](const MemberExtent& a, const MemberExtent& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < extents.size(); ++i)
    if (extents[i].begin < extents[i - 1].end)
      throw Error(where, "zip members '" + members[extents[i - 1].index].name + "' and '" +
                             members[extents[i].index].name + "' overlap (at offset " +
                             std::to_string(extents[i].begin) + ")");
  std::vector<std::string_view> names;
  for (const ZipMember& m : members) names.push_back(m.name);
  std::sort(names.begin(), names.end());
  if (auto twice = std::adjacent_find(names.begin(), names.end()); twice != names.end())
    throw Error(where, "zip member '" + std::string(*twice) + "' appears twice");
}

}  // namespace

std::vector<ZipMember> read_zip_members(Bytes archive, const std::string& where) {
  CentralDirectory location = read_central_directory_location(archive, where);
  Bytes directory = archive.subspan(static_cast<size_t>(location.offset), static_cast<size_t>(location.size));
  std::vector<ZipMember> members;
  members.reserve(static_cast<size_t>(std::min<uint64_t>(location.count, directory.size() / kCentralHeaderSize)));
  size_t pos = 0;
  std::vector<MemberExtent> extents;
  for (uint64_t i = 0; i < location.count; ++i) {
    MemberExtent extent{.index = members.size()};
    members.push_back(read_member(archive, directory, pos, location.offset, where, extent));
    extents.push_back(extent);
  }
  check_members_apart(members, std::move(extents), where);
  return members;
}

}  // namespace winclip::detail
