#include "text/mojibake.hpp"

#include <algorithm>
#include <iterator>

#include "core/unicode.hpp"

namespace winclip::detail {
namespace {

constexpr char32_t kWindows1252C1[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

bool is_c1(char32_t c) { return c >= 0x80 && c <= 0x9F; }

// The byte `c` came from if the text was decoded as Windows-1252 (with the undefined bytes passed through),
// or nullopt if no byte decodes to it.
std::optional<unsigned char> windows1252_byte(char32_t c) {
  if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) return static_cast<unsigned char>(c);
  const auto* it = std::find(std::begin(kWindows1252C1), std::end(kWindows1252C1), c);
  if (it == std::end(kWindows1252C1)) return std::nullopt;
  return static_cast<unsigned char>(0x80 + (it - std::begin(kWindows1252C1)));
}

// The bytes the text was decoded from, trying Latin-1 first and then Windows-1252 as ftfy does; a text
// that fits both gives the same bytes either way.
std::optional<std::string> single_byte_encoding(std::u32string_view text) {
  std::string bytes;
  bytes.reserve(text.size());
  if (std::all_of(text.begin(), text.end(), [](char32_t c) { return c <= 0xFF; })) {
    for (char32_t c : text) bytes.push_back(static_cast<char>(c));
    return bytes;
  }
  for (char32_t c : text) {
    const auto byte = windows1252_byte(c);
    if (!byte) return std::nullopt;
    bytes.push_back(static_cast<char>(*byte));
  }
  return bytes;
}

}  // namespace

char32_t windows1252_c1(unsigned char byte) { return kWindows1252C1[byte - 0x80]; }

std::u32string fix_c1_controls(std::u32string_view text) {
  std::u32string fixed(text);
  for (char32_t& c : fixed)
    if (is_c1(c)) c = windows1252_c1(static_cast<unsigned char>(c));
  return fixed;
}

std::optional<std::u32string> repair_utf8_mojibake(std::u32string_view text) {
  if (std::all_of(text.begin(), text.end(), [](char32_t c) { return c < 0x80; })) return std::nullopt;
  const auto bytes = single_byte_encoding(text);
  if (!bytes) return std::nullopt;
  return try_decode_utf8(*bytes);
}

}  // namespace winclip::detail
