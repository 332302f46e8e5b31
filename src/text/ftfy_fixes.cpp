#include "text/ftfy_fixes.hpp"

#include "text/html_unescape.hpp"
#include "text/mojibake.hpp"
#include "core/unicode.hpp"

namespace winclip::detail {
namespace {

// ftfy keeps ligatures of other scripts and æ/œ, which are used on purpose.
std::u32string_view latin_ligature(char32_t c) {
  switch (c) {
    case U'\u0132': return U"IJ";
    case U'\u0133': return U"ij";
    case U'\u0149': return U"\u02BCn";
    case U'\u01F1': return U"DZ";
    case U'\u01F2': return U"Dz";
    case U'\u01F3': return U"dz";
    case U'\u01C4': return U"D\u017D";
    case U'\u01C5': return U"D\u017E";
    case U'\u01C6': return U"d\u017E";
    case U'\u01C7': return U"LJ";
    case U'\u01C8': return U"Lj";
    case U'\u01C9': return U"lj";
    case U'\u01CA': return U"NJ";
    case U'\u01CB': return U"Nj";
    case U'\u01CC': return U"nj";
    case U'\uFB00': return U"ff";
    case U'\uFB01': return U"fi";
    case U'\uFB02': return U"fl";
    case U'\uFB03': return U"ffi";
    case U'\uFB04': return U"ffl";
    case U'\uFB05': return U"\u017Ft";
    case U'\uFB06': return U"st";
    default: return {};
  }
}

std::u32string fix_latin_ligatures(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    const std::u32string_view letters = latin_ligature(c);
    if (letters.empty()) out.push_back(c);
    else out += letters;
  }
  return out;
}

// The Halfwidth and Fullwidth Forms block becomes its NFKC form, and the ideographic space a space.
std::u32string fix_character_width(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c == U'\u3000') out.push_back(U' ');
    else if (c >= U'\uFF01' && c <= U'\uFFEF') out += nfkc(std::u32string_view(&c, 1));
    else out.push_back(c);
  }
  return out;
}

std::u32string uncurl_quotes(std::u32string_view text) {
  std::u32string out(text);
  for (char32_t& c : out) {
    if (c == U'\u02BC' || (c >= U'\u2018' && c <= U'\u201B')) c = U'\'';
    else if (c >= U'\u201C' && c <= U'\u201F') c = U'"';
  }
  return out;
}

// ftfy also turns U+0085 into LF, but fix_c1_controls has already made every U+0085 an ellipsis.
std::u32string fix_line_breaks(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == U'\r' && i + 1 < text.size() && text[i + 1] == U'\n') continue;
    out.push_back(c == U'\r' || c == U'\u2028' || c == U'\u2029' ? U'\n' : c);
  }
  return out;
}

// `\033\[((?:\d|;)*)([a-zA-Z])`, \d being any Unicode decimal digit as in Python's `re`.
std::u32string remove_terminal_escapes(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == U'\x1B' && i + 1 < text.size() && text[i + 1] == U'[') {
      size_t end = i + 2;
      while (end < text.size() && (text[end] == U';' || is_decimal_digit(text[end]))) ++end;
      const bool letter = end < text.size() && ((text[end] >= U'a' && text[end] <= U'z') ||
                                                (text[end] >= U'A' && text[end] <= U'Z'));
      if (letter) {
        i = end;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// Controls with no visible effect. Tab, LF, FF, CR, C1 controls (clues to mojibake), joiners, bidi marks
// and tag characters (used in emoji) are kept.
bool is_invisible_control(char32_t c) {
  return c <= U'\x08' || c == U'\x0B' || (c >= U'\x0E' && c <= U'\x1F') || c == U'\x7F' ||
         (c >= U'\u206A' && c <= U'\u206F') || c == U'\uFEFF' || (c >= U'\uFFF9' && c <= U'\uFFFC');
}

std::u32string remove_control_chars(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text)
    if (!is_invisible_control(c)) out.push_back(c);
  return out;
}

std::u32string fix_segment(std::u32string text, bool unescape_html) {
  while (true) {
    const std::u32string before = text;
    if (unescape_html) text = ftfy_unescape_html(text);
    // fix_encoding repeats its repair until the text is stable (mojibake of mojibake).
    while (auto repaired = repair_utf8_mojibake(text)) text = std::move(*repaired);
    text = fix_c1_controls(text);
    text = fix_latin_ligatures(text);
    text = fix_character_width(text);
    text = uncurl_quotes(text);
    text = fix_line_breaks(text);
    text = remove_terminal_escapes(text);
    text = remove_control_chars(text);
    text = nfc(text);
    if (text == before) return text;
  }
}

}  // namespace

std::u32string fix_text(std::u32string_view text) {
  std::u32string fixed;
  fixed.reserve(text.size());
  bool unescape_html = true;
  for (size_t start = 0; start < text.size();) {
    const size_t newline = text.find(U'\n', start);
    const size_t end = newline == std::u32string_view::npos ? text.size() : newline + 1;
    const std::u32string_view segment = text.substr(start, end - start);
    if (segment.find(U'<') != std::u32string_view::npos) unescape_html = false;
    fixed += fix_segment(std::u32string(segment), unescape_html);
    start = end;
  }
  return fixed;
}

}  // namespace winclip::detail
