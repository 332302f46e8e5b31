// An evaluation's cached result of one image (OUT/cache/<run>/<category>/<seed>/<defect>/<stem>.{score,npy}),
// read back when a run resumes. The input is the .score file's text followed by the .npy file's bytes, split
// at the .npy magic.
// fuzz dictionary: npy.dict
#include <algorithm>
#include <cmath>

#include "eval/result_cache.hpp"
#include "support/fuzz_target.hpp"
#include "winclip/npy.hpp"

using namespace winclip;

WINCLIP_FUZZ_TARGET(eval_cache_entry) {
  const std::string_view input = fuzz::as_text(bytes);
  const size_t magic = std::min(input.find("\x93NUMPY"), input.size());
  constexpr std::string_view kScore = "000.score", kMap = "000.npy";
  fuzz::read_or_refuse(kScore, [&] {
    const float score = eval::parse_cached_score(std::string(input.substr(0, magic)), std::string(kScore));
    fuzz::check(std::isfinite(score), "a cached score that is not finite");
  });
  fuzz::read_or_refuse(kMap, [&] {
    const Tensor map = read_npy_bytes(std::as_bytes(bytes.subspan(magic)), std::string(kMap));
    fuzz::check(static_cast<size_t>(shape_numel(map.shape)) == map.data.size(), "shape and values differ");
  });
}
