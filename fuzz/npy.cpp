// NumPy .npy files (maps, embeddings, cached results): magic, version, the Python-dict header, dtype, shape.
// fuzz dictionary: npy.dict
#include "support/fuzz_target.hpp"
#include "winclip/npy.hpp"

using namespace winclip;

WINCLIP_FUZZ_TARGET(npy) {
  constexpr std::string_view kName = "input.npy";
  fuzz::read_or_refuse(kName, [&] {
    const Tensor t = read_npy_bytes(std::as_bytes(bytes), std::string(kName));
    fuzz::check(static_cast<size_t>(shape_numel(t.shape)) == t.data.size(), "shape and values differ");
  });
}
