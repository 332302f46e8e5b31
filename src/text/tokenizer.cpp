#include "text/tokenizer.hpp"

#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "text/bpe_vocab.hpp"
#include "text/pre_tokenizer.hpp"
#include "text/text_cleaning.hpp"
#include "core/unicode.hpp"
#include "core/assets.hpp"
#include "winclip/error.hpp"

namespace winclip {
namespace {

// Lets the word cache be searched with a string_view, without building a std::string per lookup.
struct WordHash {
  using is_transparent = void;
  size_t operator()(std::string_view word) const { return std::hash<std::string_view>{}(word); }
};

}  // namespace

struct Tokenizer::Impl {
  // Words repeat a lot (prompt templates), and BPE is the costly step. The cache is bounded so that a
  // long-lived process fed arbitrary text does not grow without limit; when full it starts over.
  static constexpr size_t kMaxCachedWords = 1 << 16;

  explicit Impl(detail::BpeVocabulary bpe) : vocabulary(std::move(bpe)) {}

  std::vector<int32_t> encode_word(std::string_view word) const {
    {
      std::shared_lock lock(cache_mutex);
      if (const auto it = cache.find(word); it != cache.end()) return it->second;
    }
    std::vector<int32_t> ids = vocabulary.encode_word(word);
    std::unique_lock lock(cache_mutex);
    if (cache.size() >= kMaxCachedWords) cache.clear();
    cache.emplace(word, ids);
    return ids;
  }

  detail::BpeVocabulary vocabulary;
  mutable std::shared_mutex cache_mutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>, WordHash, std::equal_to<>> cache;
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::load(const std::filesystem::path& vocab_gz) {
  return Tokenizer(std::make_unique<Impl>(detail::BpeVocabulary::load(vocab_gz)));
}

const Tokenizer& Tokenizer::default_instance() {
  static const Tokenizer instance = load(asset_path("bpe_simple_vocab_16e6.txt.gz"));
  return instance;
}

std::string Tokenizer::clean(std::string_view text) {
  return detail::encode_utf8(detail::clean_lower(detail::decode_utf8(text)));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  const std::string cleaned = clean(text);
  std::vector<int32_t> ids;
  for (std::string_view word : detail::pre_tokenize(cleaned)) {
    if (word == "<start_of_text>") {
      ids.push_back(kStartOfText);
    } else if (word == "<end_of_text>") {
      ids.push_back(kEndOfText);
    } else {
      const std::vector<int32_t> word_ids = impl_->encode_word(word);
      ids.insert(ids.end(), word_ids.begin(), word_ids.end());
    }
  }
  return ids;
}

std::vector<int32_t> Tokenizer::tokenize(std::string_view text, int context_length) const {
  if (context_length < 2)
    throw Error("context length " + std::to_string(context_length) +
                ": must be at least 2 (start and end of text)");
  std::vector<int32_t> ids{kStartOfText};
  const std::vector<int32_t> words = encode(text);
  ids.insert(ids.end(), words.begin(), words.end());
  ids.push_back(kEndOfText);
  const auto length = static_cast<size_t>(context_length);
  if (ids.size() > length) {
    ids.resize(length);
    ids.back() = kEndOfText;
  }
  ids.resize(length, 0);
  return ids;
}

}  // namespace winclip
