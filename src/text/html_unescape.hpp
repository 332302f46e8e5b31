#pragma once
// Internal: the two HTML-entity decoders the CLIP cleaning applies (ftfy's, then Python's twice).
#include <string>
#include <string_view>

namespace winclip::detail {

// Python's html.unescape (HTML5 rules): "&#NNN" / "&#xHH" with optional ';' (NUL, CR, C1 and out-of-range
// values mapped as HTML5 says), "&name;", legacy names also without ';' and as the longest prefix of a
// longer word ("&notit;" -> "¬it;").
std::u32string html_unescape(std::u32string_view text);

// ftfy's unescape_html: only complete references "&name;" / "&#...;" of at most 24 letters and digits, and
// also the all-caps form of a lower-case name ("&EACUTE;" -> "É") for text that was upper-cased.
std::u32string ftfy_unescape_html(std::u32string_view text);

}  // namespace winclip::detail
