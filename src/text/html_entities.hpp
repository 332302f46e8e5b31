#pragma once
// Internal: the named HTML character references the text cleaning decodes.
#include <span>
#include <string_view>

namespace winclip::detail {

struct HtmlEntity {
  std::string_view name;  // without '&' and ';', case-sensitive ("Eacute" and "eacute" differ)
  char32_t code_point;
  bool legacy;  // HTML5 also decodes it without the ';' ("&amp", "&copy"), as Python's html.unescape does
};

// HTML 4's named references plus &apos;, with their HTML5 code points. HTML5's ~2000 further names
// (&Jscr;, &checkmark;, ...) are left undecoded: prompts and captions do not use them.
std::span<const HtmlEntity> html_entities();
const HtmlEntity* find_html_entity(std::string_view name);  // nullptr if unknown

}  // namespace winclip::detail
