// torch.save checkpoints: the zip reader (central directory, zip64 records, local headers), the restricted
// unpickler over data.pkl, and the tensors' storages, offsets and strides.
// fuzz dictionary: torch_zip.dict
#include "checkpoint/weight_formats.hpp"
#include "checkpoint/zip_reader.hpp"
#include "support/fuzz_target.hpp"

using namespace winclip;

namespace {

bool inside(std::span<const std::byte> outer, const std::byte* data, size_t size) {
  return size == 0 || (data >= outer.data() && size <= outer.size() &&
                       static_cast<size_t>(data - outer.data()) <= outer.size() - size);
}

}  // namespace

WINCLIP_FUZZ_TARGET(torch_zip) {
  constexpr std::string_view kName = "input.pt";
  const std::span<const std::byte> archive = std::as_bytes(bytes);
  fuzz::read_or_refuse(kName, [&] {
    for (const detail::ZipMember& member : detail::read_zip_members(archive, std::string(kName)))
      fuzz::check(inside(archive, member.data.data(), member.data.size()),
                  "zip member '" + member.name + "' lies outside the archive");
  });
  fuzz::read_or_refuse(kName, [&] {
    for (const TensorEntry& entry : detail::parse_torch_zip(archive, std::string(kName))) {
      fuzz::check(inside(archive, entry.data, entry.nbytes), "tensor '" + entry.name + "' lies outside the archive");
      fuzz::check(entry.nbytes == static_cast<size_t>(shape_numel(entry.shape)) * dtype_size(entry.dtype),
                  "tensor '" + entry.name + "': size and shape differ");
    }
  });
}
