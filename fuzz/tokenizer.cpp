// CLIP's tokenizer on arbitrary text (class names and prompts come from the command line, Python callers and
// HTTP requests): valid UTF-8 must tokenize (the second time from the word cache, to the same ids), anything
// else must be refused as invalid UTF-8.
// fuzz dictionary: tokenizer.dict
#include "core/unicode.hpp"
#include "support/fuzz_target.hpp"
#include "text/tokenizer.hpp"
#include "winclip/error.hpp"

using namespace winclip;

WINCLIP_FUZZ_TARGET(tokenizer) {
  const Tokenizer& tokenizer = Tokenizer::default_instance();
  const std::string_view text = fuzz::as_text(bytes);
  const bool valid_utf8 = detail::try_decode_utf8(text).has_value();
  try {
    const std::vector<int32_t> words = tokenizer.encode(text);
    for (int32_t id : words)
      fuzz::check(id >= 0 && id <= kEndOfText, "token id " + std::to_string(id) + " out of range");
    // tokenize is [<start_of_text>] + encode + [<end_of_text>], cut to the context keeping <end_of_text> last,
    // zero-padded (a literal "<end_of_text>" in the text encodes to that id too, as in open_clip).
    std::vector<int32_t> expected{kStartOfText};
    expected.insert(expected.end(), words.begin(), words.end());
    expected.push_back(kEndOfText);
    if (expected.size() > static_cast<size_t>(kDefaultContextLength)) {
      expected.resize(kDefaultContextLength);
      expected.back() = kEndOfText;
    }
    expected.resize(kDefaultContextLength, 0);
    fuzz::check(tokenizer.tokenize(text) == expected, "tokenize disagrees with encode");
    fuzz::check(valid_utf8, "invalid UTF-8 was tokenized");
  } catch (const Error& e) {
    fuzz::check(!valid_utf8, std::string("valid UTF-8 was refused: ") + e.what());
    fuzz::check(std::string_view(e.what()).starts_with("text is not valid UTF-8"),
                std::string("unexpected tokenizer error: ") + e.what());
  }
}
