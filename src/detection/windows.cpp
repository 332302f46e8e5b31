#include "detection/windows.hpp"

#include <cmath>
#include <string>

#include "winclip/error.hpp"

namespace winclip {

std::vector<std::vector<int>> window_patches(int grid, int scale) {
  if (scale < 1 || scale > grid)
    throw Error("window scale " + std::to_string(scale) + " does not fit a " + std::to_string(grid) + "×" +
                std::to_string(grid) + " patch grid");
  const int per_side = grid - scale + 1;
  std::vector<std::vector<int>> windows;
  windows.reserve(static_cast<size_t>(per_side * per_side));
  for (int r = 0; r < per_side; ++r)
    for (int c = 0; c < per_side; ++c) {
      std::vector<int> patches;
      for (int i = 0; i < scale; ++i)
        for (int j = 0; j < scale; ++j) patches.push_back((r + i) * grid + (c + j));
      windows.push_back(std::move(patches));
    }
  return windows;
}

std::vector<double> harmonic_aggregation(const std::vector<double>& window_scores, int grid, int scale) {
  const auto windows = window_patches(grid, scale);
  if (window_scores.size() != windows.size())
    throw Error("harmonic aggregation: " + std::to_string(window_scores.size()) + " window scores for " +
                std::to_string(windows.size()) + " windows of scale " + std::to_string(scale));
  std::vector<double> reciprocal_sum(static_cast<size_t>(grid * grid), 0.0), count(reciprocal_sum.size(), 0.0);
  for (size_t w = 0; w < windows.size(); ++w)
    for (int p : windows[w]) {
      reciprocal_sum[p] += 1.0 / window_scores[w];
      count[p] += 1.0;
    }
  std::vector<double> map(reciprocal_sum.size());
  for (size_t p = 0; p < map.size(); ++p) {
    const double v = count[p] / reciprocal_sum[p];
    map[p] = std::isinf(v) ? 0.0 : v;
  }
  return map;
}

}  // namespace winclip
