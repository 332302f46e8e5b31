// CLIP's tokenizer on arbitrary text (class names and prompts come from the command line, Python callers and
// HTTP requests): valid UTF-8 must tokenize, anything else must be refused as invalid UTF-8.
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
    const std::vector<int32_t> ids = tokenizer.tokenize(text);
    fuzz::check(ids.size() == static_cast<size_t>(kDefaultContextLength), "tokenize gave the wrong length");
    fuzz::check(ids.front() == kStartOfText, "tokenize does not start with <start_of_text>");
    bool ended = false;
    for (int32_t id : ids) {
      fuzz::check(id >= 0 && id <= kEndOfText, "token id " + std::to_string(id) + " out of range");
      fuzz::check(!ended || id == 0, "tokens after <end_of_text> are not padding");
      ended = ended || id == kEndOfText;
    }
    fuzz::check(ended, "no <end_of_text>");
    fuzz::check(valid_utf8, "invalid UTF-8 was tokenized");
  } catch (const Error& e) {
    fuzz::check(!valid_utf8, std::string("valid UTF-8 was refused: ") + e.what());
    fuzz::check(std::string_view(e.what()).starts_with("text is not valid UTF-8"),
                std::string("unexpected tokenizer error: ") + e.what());
  }
}
