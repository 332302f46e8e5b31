#pragma once
// Internal: the part of ftfy 6.3.1's fix_text (default configuration) that open_clip's tokenizer depends on.
#include <string>
#include <string_view>

namespace winclip::detail {

// Works line by line (each line keeps its '\n'), repeating until nothing changes:
//   unescape HTML entities (only until a line containing '<' is seen: that text is probably real HTML),
//   repair whole-line UTF-8 mojibake (Latin-1 / Windows-1252), C1 controls -> Windows-1252,
//   Latin ligatures (ﬁ -> fi), full-/half-width forms -> NFKC, curly quotes -> straight,
//   CR LF / CR / U+2028 / U+2029 -> LF, ANSI terminal escapes removed, invisible control characters
//   removed, NFC.
// Left out of ftfy: its badness heuristic and the mojibake repairs beyond whole-line Latin-1/Windows-1252
// (other code pages, spaces that were U+00A0, lossy '�' sequences, mojibake embedded in other text).
// Surrogates cannot occur: the input is decoded, well-formed UTF-8.
std::u32string fix_text(std::u32string_view text);

}  // namespace winclip::detail
