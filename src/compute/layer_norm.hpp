#pragma once
// LayerNorm over the last dimension (eps 1e-5, biased variance, affine), as torch.nn.LayerNorm.
#include <cstdint>

namespace winclip::compute {

inline constexpr float kLayerNormEps = 1e-5f;

// y may alias x. The uint16_t overload writes bfloat16 (the input of a BF16 linear layer).
void layer_norm(const float* x, int64_t rows, int64_t width, const float* gamma, const float* beta, float* y);
void layer_norm(const float* x, int64_t rows, int64_t width, const float* gamma, const float* beta, uint16_t* y);

// Two-pass in double: the reference.
void layer_norm_reference(const float* x, int64_t rows, int64_t width, const float* gamma, const float* beta,
                          float* y);

}  // namespace winclip::compute
