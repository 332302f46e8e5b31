#pragma once
// Many independent token sequences packed row after row into one [tokens, width] matrix, so every linear
// layer runs once over all of them (WinCLIP's hundreds of short window sequences, or a batch of prompts).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace winclip::compute {

struct SequenceBatch {
  std::vector<int64_t> offsets;  // first row of each sequence
  std::vector<int64_t> lengths;  // rows of each sequence
  bool causal = false;           // token i attends to tokens 0..i only (the text tower)
  // Leading rows of each sequence whose output is read (empty: all). A transformer computes every row of
  // its last block's keys and values but only these rows past its last attention: a WinCLIP window is
  // read out by its class token alone, so most of the last block's work on windows is never needed.
  std::vector<int64_t> read_out;
  // For each row, the row whose input it copies (its own index if none; empty: every row is its own). A
  // transformer computes its first block's keys and values once per distinct input: a WinCLIP window's
  // tokens are copies of the full image's, so the first block's input projection runs over 226 rows, not
  // thousands.
  std::vector<int64_t> input_of;

  void add(int64_t length) {
    offsets.push_back(total_rows());
    lengths.push_back(length);
  }
  // A sequence of which only the first `rows_read` rows are read out.
  void add(int64_t length, int64_t rows_read) {
    for (size_t s = read_out.size(); s < lengths.size(); ++s) read_out.push_back(lengths[s]);
    add(length);
    read_out.push_back(rows_read);
  }
  int64_t rows_read(size_t s) const { return s < read_out.size() ? read_out[s] : lengths[s]; }
  bool reads_every_row() const {
    for (size_t s = 0; s < read_out.size(); ++s)
      if (read_out[s] < lengths[s]) return false;
    return true;
  }
  int64_t total_rows() const { return offsets.empty() ? 0 : offsets.back() + lengths.back(); }
  size_t size() const { return offsets.size(); }
};

}  // namespace winclip::compute
