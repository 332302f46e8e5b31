#pragma once
// WinCLIP's multi-scale windows over the ViT patch grid, and harmonic aggregation of window scores back to
// patches (paper Eq. 3).
#include <vector>

namespace winclip {

// Windows of `scale`×`scale` patches at stride 1, row-major by top-left patch: (grid−scale+1)² windows,
// each listing its patch indices (row·grid + col) in row-major order — anomalib's make_masks columns.
std::vector<std::vector<int>> window_patches(int grid, int scale);

// For every patch p: n(p) / Σ_{w ∋ p} 1/score(w), where n(p) counts the windows holding p. Reciprocals are
// summed in double; an infinite result (infinite window scores) becomes 0, as anomalib's nan_to_num does.
std::vector<double> harmonic_aggregation(const std::vector<double>& window_scores, int grid, int scale);

}  // namespace winclip
