#pragma once
// Internal: the members of a zip archive held in memory, as torch.save writes them (stored, never
// compressed; zip64 records for offsets and sizes past 4 GiB). Member data is not copied: the spans point
// into the caller's bytes.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace winclip::detail {

struct ZipMember {
  std::string name;
  std::span<const std::byte> data;
};

// Reads the central directory and locates every member's data, in directory order. Throws Error naming
// `where` (and the member) for a truncated or malformed archive, a compressed or encrypted member, or a
// multi-disk archive.
std::vector<ZipMember> read_zip_members(std::span<const std::byte> archive, const std::string& where);

}  // namespace winclip::detail
