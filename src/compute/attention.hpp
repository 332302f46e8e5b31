#pragma once
// Multi-head scaled dot-product attention over a packed batch of independent sequences. Attention never
// crosses a sequence boundary: that is what makes a WinCLIP window an independent sequence.
#include <cstdint>

#include "compute/sequence_batch.hpp"

namespace winclip::compute {

// qkv: [rows, 3·width] (q, k, v blocks of `width` columns, head h at columns [h·d, (h+1)·d) of each block),
// out: [rows, width]. q is scaled by 1/√d before q·kᵀ, as torch's MultiheadAttention does. Only the rows
// each sequence reads out (batch.read_out) are written. With `qkv_rows`, batch row r takes its q, k and v
// from qkv row qkv_rows[r] instead of row r (rows whose inputs are copies of other rows share them).
void multi_head_attention(const float* qkv, int64_t width, int heads, const SequenceBatch& batch, float* out,
                          const int64_t* qkv_rows = nullptr);
// The same, writing bfloat16 (the input of a BF16 output projection).
void multi_head_attention(const float* qkv, int64_t width, int heads, const SequenceBatch& batch, uint16_t* out,
                          const int64_t* qkv_rows = nullptr);
// The same from bfloat16 q, k and v (a BF16 input projection's output); scores and softmax stay float.
void multi_head_attention(const uint16_t* qkv, int64_t width, int heads, const SequenceBatch& batch,
                          uint16_t* out, const int64_t* qkv_rows = nullptr);

// The same in double with plain loops, for one sequence of `rows` tokens; `key_visible` (nullable, one flag
// per key) hides keys from every query, which is the "attention mask" formulation of a window.
void multi_head_attention_reference(const float* qkv, int64_t rows, int64_t width, int heads, bool causal,
                                    const bool* key_visible, float* out);

}  // namespace winclip::compute
