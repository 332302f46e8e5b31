#include <algorithm>
#include <cmath>

#include "winclip/error.hpp"
#include "detection/maps.hpp"

namespace winclip {

namespace {
struct Tap {
  int64_t lo, hi;
  float frac;
};

// torch computes the source coordinate in float with scale = in/out.
std::vector<Tap> taps(int64_t in, int64_t out) {
  std::vector<Tap> t(static_cast<size_t>(out));
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int64_t i = 0; i < out; ++i) {
    const float src = std::max(0.0f, scale * (static_cast<float>(i) + 0.5f) - 0.5f);
    const int64_t lo = std::min<int64_t>(static_cast<int64_t>(src), in - 1);
    t[i] = {lo, std::min(lo + 1, in - 1), src - static_cast<float>(lo)};
  }
  return t;
}
}  // namespace

Tensor upsample_bilinear(const Tensor& map, int out_height, int out_width) {
  if (map.shape.size() != 2 || map.numel() == 0) throw Error("upsample: map has shape " + shape_string(map.shape));
  const int64_t h = map.shape[0], w = map.shape[1];
  const auto ty = taps(h, out_height), tx = taps(w, out_width);
  Tensor out({out_height, out_width});
  for (int64_t y = 0; y < out_height; ++y) {
    const float* r0 = map.ptr() + ty[y].lo * w;
    const float* r1 = map.ptr() + ty[y].hi * w;
    const float fy = ty[y].frac;
    for (int64_t x = 0; x < out_width; ++x) {
      const Tap& t = tx[x];
      const float top = (1 - t.frac) * r0[t.lo] + t.frac * r0[t.hi];
      const float bottom = (1 - t.frac) * r1[t.lo] + t.frac * r1[t.hi];
      out.ptr()[y * out_width + x] = (1 - fy) * top + fy * bottom;
    }
  }
  return out;
}

}  // namespace winclip
