// The BPE merges file (bpe_simple_vocab_16e6.txt.gz once decompressed): lines of "left right" merges, each
// side a symbol the vocabulary must already know. The first byte chooses how many merges to read (a real
// vocabulary needs 48894 lines, more than a fuzzer's input holds), the rest is the file's text; the words of
// the text are then encoded with the vocabulary read.
#include <algorithm>

#include "support/fuzz_target.hpp"
#include "text/bpe_vocab.hpp"

using namespace winclip;

WINCLIP_FUZZ_TARGET(bpe_vocab) {
  if (bytes.empty()) return;
  constexpr std::string_view kName = "bpe_vocab.txt";
  const int32_t merges = bytes[0];
  const std::string_view text = fuzz::as_text(bytes.subspan(1));
  fuzz::read_or_refuse(kName, [&] {
    const auto vocabulary = detail::BpeVocabulary::parse(text, std::string(kName), merges);
    constexpr int32_t kIds = 2 * 256 + detail::BpeVocabulary::kMergeCount + 2;
    size_t words = 0;
    for (size_t start = 0; start < text.size() && words < 64; ++words) {
      const size_t end = std::min(text.find_first_of(" \n", start), text.size());
      if (end > start)
        for (int32_t id : vocabulary.encode_word(text.substr(start, end - start)))
          fuzz::check(id >= 0 && id < kIds, "BPE id " + std::to_string(id) + " out of range");
      start = end + 1;
    }
  });
}
