#include "text/html_unescape.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "text/html_entities.hpp"
#include "text/mojibake.hpp"
#include "core/unicode.hpp"

namespace winclip::detail {
namespace {

bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_ascii_alnum(char32_t c) { return is_ascii_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex_digit(char32_t c) { return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char32_t c) { return is_ascii_digit(c) ? int(c - '0') : int((c | 0x20) - 'a' + 10); }

// Entity names are ASCII; any other character becomes DEL, which no name contains.
std::string ascii_key(std::u32string_view text) {
  std::string key;
  for (char32_t c : text) key.push_back(c < 0x80 ? static_cast<char>(c) : '\x7f');
  return key;
}

// What a numeric reference to `value` decodes to under HTML5 (and Python's html.unescape).
std::u32string numeric_reference(char32_t value) {
  if (value == 0x00) return U"\uFFFD";
  if (value == 0x0D) return U"\r";
  if (value >= 0x80 && value <= 0x9F) return {windows1252_c1(static_cast<unsigned char>(value))};
  if ((value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) return U"\uFFFD";
  const bool noncharacter = (value >= 0xFDD0 && value <= 0xFDEF) || (value & 0xFFFE) == 0xFFFE;
  const bool control = (value >= 0x01 && value <= 0x08) || value == 0x0B || (value >= 0x0E && value <= 0x1F) ||
                       value == 0x7F;
  if (noncharacter || control) return {};
  return {value};
}

// Python's `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?)` at `amp` (text[amp] == '&'): the decoded text and the length
// consumed, or nullopt.
std::optional<std::pair<std::u32string, size_t>> match_numeric(std::u32string_view text, size_t amp) {
  size_t pos = amp + 1;
  if (pos >= text.size() || text[pos] != '#') return std::nullopt;
  ++pos;
  const bool hex = pos + 1 < text.size() && (text[pos] == 'x' || text[pos] == 'X') && is_hex_digit(text[pos + 1]);
  if (hex) ++pos;
  const size_t digits_start = pos;
  char32_t value = 0;
  constexpr char32_t kSaturated = 0x110000;  // any larger value decodes the same way
  while (pos < text.size() && (hex ? is_hex_digit(text[pos]) : is_ascii_digit(text[pos]))) {
    const char32_t next = value * (hex ? 16 : 10) + char32_t(hex_value(text[pos]));
    value = next > kSaturated ? kSaturated : next;
    ++pos;
  }
  if (pos == digits_start) return std::nullopt;
  if (pos < text.size() && text[pos] == ';') ++pos;
  return std::pair{numeric_reference(value), pos - amp};
}

// Python's `&([^\t\n\f <&#;]{1,32};?)` at `amp`, decoded by html.unescape's rules, with the length consumed.
std::optional<std::pair<std::u32string, size_t>> match_named(std::u32string_view text, size_t amp) {
  constexpr size_t kMaxName = 32;
  size_t end = amp + 1;
  const auto allowed = [](char32_t c) { return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' &&
                                               c != '&' && c != '#' && c != ';'; };
  while (end < text.size() && end - (amp + 1) < kMaxName && allowed(text[end])) ++end;
  if (end == amp + 1) return std::nullopt;
  const bool semicolon = end < text.size() && text[end] == ';';
  const std::string name = ascii_key(text.substr(amp + 1, end - (amp + 1)));
  const size_t consumed = end + (semicolon ? 1 : 0) - amp;
  if (const HtmlEntity* entity = find_html_entity(name); entity && (semicolon || entity->legacy))
    return std::pair{std::u32string{entity->code_point}, consumed};
  // The longest legacy name (at least two letters) that starts the word wins; the rest stays as text.
  const std::u32string_view word = text.substr(amp + 1, consumed - 1);
  for (size_t length = word.size() - 1; length >= 2; --length) {
    const HtmlEntity* entity = find_html_entity(name.substr(0, length));
    if (entity && entity->legacy) return std::pair{entity->code_point + std::u32string(word.substr(length)), consumed};
  }
  std::u32string literal(1, U'&');
  literal += word;
  return std::pair{literal, consumed};
}

std::string ascii_upper(std::string_view name) {
  std::string upper(name);
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return upper;
}

// ftfy's table: every "name;" entity, plus "NAME;" for an all-lower-case name when html.unescape leaves
// "&NAME;" alone, decoding to the upper-cased character.
const std::unordered_map<std::string, std::u32string>& ftfy_entities() {
  static const auto table = [] {
    std::unordered_map<std::string, std::u32string> entities;
    for (const HtmlEntity& entity : html_entities()) {
      const std::u32string character{entity.code_point};
      entities.emplace(std::string(entity.name), character);
      const std::string upper = ascii_upper(entity.name);
      const bool lower_case = std::none_of(entity.name.begin(), entity.name.end(),
                                           [](char c) { return c >= 'A' && c <= 'Z'; });
      std::u32string reference(1, U'&');
      for (char c : upper) reference.push_back(static_cast<char32_t>(c));
      reference.push_back(U';');
      if (lower_case && html_unescape(reference) == reference) entities.emplace(upper, to_upper(character));
    }
    return entities;
  }();
  return table;
}

// Length of ftfy's `&#?[0-9A-Za-z]{1,24};` at `amp`, or 0.
size_t ftfy_reference_length(std::u32string_view text, size_t amp) {
  constexpr size_t kMaxName = 24;
  size_t name_start = amp + 1;
  if (name_start < text.size() && text[name_start] == '#') ++name_start;
  size_t end = name_start;
  while (end < text.size() && end - name_start <= kMaxName && is_ascii_alnum(text[end])) ++end;
  const size_t length = end - name_start;
  if (length == 0 || length > kMaxName || end >= text.size() || text[end] != ';') return 0;
  return end + 1 - amp;
}

}  // namespace

std::u32string html_unescape(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    if (text[pos] == '&') {
      auto match = match_numeric(text, pos);
      if (!match) match = match_named(text, pos);
      if (match) {
        out += match->first;
        pos += match->second;
        continue;
      }
    }
    out.push_back(text[pos++]);
  }
  return out;
}

std::u32string ftfy_unescape_html(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const size_t length = text[pos] == '&' ? ftfy_reference_length(text, pos) : 0;
    if (length == 0) {
      out.push_back(text[pos++]);
      continue;
    }
    const std::u32string_view reference = text.substr(pos, length);
    pos += length;
    if (reference[1] == '#') {
      // A numeric reference counts only if Python decodes all of it, ';' included.
      const std::u32string decoded = html_unescape(reference);
      out += decoded.find(U';') == std::u32string::npos ? std::u32string_view(decoded) : reference;
    } else {
      const auto& entities = ftfy_entities();
      const auto it = entities.find(ascii_key(reference.substr(1, length - 2)));
      out += it != entities.end() ? std::u32string_view(it->second) : reference;
    }
  }
  return out;
}

}  // namespace winclip::detail
