#pragma once
// Internal: CLIP's byte-level BPE vocabulary (bpe_simple_vocab_16e6.txt.gz) and the merge loop.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace winclip::detail {

// Ids as open_clip numbers them: the 256 byte symbols (GPT-2's printable byte-to-character order), the same
// 256 ending a word ("</w>"), one symbol per merge (512 + rank), then <start_of_text>, <end_of_text>.
class BpeVocabulary {
 public:
  static constexpr int32_t kMergeCount = 49152 - 256 - 2;  // open_clip reads only these first merges

  // The gzip'd merges file: a version line, then "left right" per line. Errors name the file.
  static BpeVocabulary load(const std::filesystem::path& path);
  // The merges file's text, already decompressed; `where` names it in errors. Only the first `merge_count`
  // merges are read (tests and fuzzing use small vocabularies; the ids keep open_clip's numbering).
  static BpeVocabulary parse(std::string_view text, const std::string& where, int32_t merge_count = kMergeCount);

  // The ids of one pre-token (its UTF-8 bytes, non-empty): adjacent symbols are merged, lowest merge rank
  // first, every occurrence left to right, until no adjacent pair is a merge.
  std::vector<int32_t> encode_word(std::string_view bytes) const;

 private:
  struct Merge {
    int32_t rank;
    int32_t merged_id;
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (uint64_t{static_cast<uint32_t>(left)} << 32) | static_cast<uint32_t>(right);
  }

  std::array<int32_t, 256> byte_ids_{};  // + 256 for the word-final form
  std::unordered_map<uint64_t, Merge> merges_;
};

}  // namespace winclip::detail
