#pragma once
// Internal: open_clip's text cleaning for its CLIP tokenizer (clean='lower').
#include <string>
#include <string_view>

namespace winclip::detail {

// ftfy.fix_text, html.unescape twice, strip, runs of whitespace -> one space, str.lower().
std::u32string clean_lower(std::u32string_view text);

}  // namespace winclip::detail
