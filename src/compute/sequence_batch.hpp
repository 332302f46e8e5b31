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

  void add(int64_t length) {
    offsets.push_back(total_rows());
    lengths.push_back(length);
  }
  int64_t total_rows() const { return offsets.empty() ? 0 : offsets.back() + lengths.back(); }
  size_t size() const { return offsets.size(); }
};

}  // namespace winclip::compute
