#include "text/text_cleaning.hpp"

#include "text/ftfy_fixes.hpp"
#include "text/html_unescape.hpp"
#include "core/unicode.hpp"

namespace winclip::detail {
namespace {

// strip(), re.sub(r"\s+", " "), strip(). open_clip's `regex` module reads \s as Unicode White_Space, which
// lacks str.isspace()'s U+001C..U+001F; fix_text removes those and html.unescape never produces them, so
// the one predicate serves both.
std::u32string collapse_whitespace(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char32_t c : text) {
    if (is_python_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(U' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::u32string clean_lower(std::u32string_view text) {
  const std::u32string unescaped = html_unescape(html_unescape(fix_text(text)));
  return to_lower(collapse_whitespace(unescaped));
}

}  // namespace winclip::detail
