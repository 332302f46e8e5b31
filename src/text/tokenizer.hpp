#pragma once
// CLIP's text tokenizer, exactly as open_clip v2.24's SimpleTokenizer with clean='lower': ftfy-style text
// repair, HTML unescaping, whitespace collapse and lower-casing, a regular-expression pre-tokenizer, then
// byte-level BPE with the merges of bpe_simple_vocab_16e6.txt.gz.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace winclip {

inline constexpr int32_t kStartOfText = 49406, kEndOfText = 49407;
inline constexpr int kDefaultContextLength = 77;  // every CLIP text tower's sequence length

class Tokenizer {
 public:
  // Reads the gzip'd BPE merges; an Error names the file (missing, corrupt, too few merges).
  static Tokenizer load(const std::filesystem::path& vocab_gz);
  // assets/bpe_simple_vocab_16e6.txt.gz, loaded on first use (thread-safe) and kept.
  static const Tokenizer& default_instance();

  // The text open_clip tokenizes: ftfy-like fixes, html.unescape twice, whitespace runs -> one space
  // (stripped), lower-cased. Throws Error("text is not valid UTF-8 at byte N").
  static std::string clean(std::string_view text);

  // BPE ids of the cleaned text, without start/end of text. A literal "<start_of_text>" or
  // "<end_of_text>" in the text encodes to that special id, as in open_clip.
  std::vector<int32_t> encode(std::string_view text) const;

  // [kStartOfText] + encode(text) + [kEndOfText], cut to context_length keeping kEndOfText last, then
  // zero-padded to context_length. context_length < 2 is an Error. Safe to call from several threads.
  std::vector<int32_t> tokenize(std::string_view text, int context_length = kDefaultContextLength) const;

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace winclip
