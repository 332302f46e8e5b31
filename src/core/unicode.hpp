#pragma once
// Internal: UTF-8 <-> code points and the few Unicode operations the CLIP text cleaning needs, each with
// the semantics of the Python function open_clip calls (str.isspace, str.lower, unicodedata.normalize).
#include <optional>
#include <string>
#include <string_view>

namespace winclip::detail {

// Strict UTF-8 as Python's bytes.decode("utf-8"): no overlong forms, surrogates or code points > U+10FFFF.
// Throws Error("text is not valid UTF-8 at byte N"), N being the offset of the offending sequence.
std::u32string decode_utf8(std::string_view bytes);
std::optional<std::u32string> try_decode_utf8(std::string_view bytes);

std::string encode_utf8(std::u32string_view text);
void append_utf8(std::string& out, char32_t c);

// str.isspace(): Unicode White_Space plus U+001C..U+001F (bidirectional class B/S).
bool is_python_space(char32_t c);
// Unicode general category Nd, what Python's `re` means by \d in a str pattern.
bool is_decimal_digit(char32_t c);

std::u32string nfc(std::u32string_view text);
std::u32string nfkc(std::u32string_view text);
// Full case mappings (one code point may become several: "ß".upper() == "SS"), with Greek final sigma.
std::u32string to_lower(std::u32string_view text);
std::u32string to_upper(std::u32string_view text);

}  // namespace winclip::detail
