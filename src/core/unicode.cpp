#include "core/unicode.hpp"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "winclip/error.hpp"

namespace winclip::detail {
namespace {

// Length of the well-formed UTF-8 sequence at `pos` (its code point in `cp`), or 0 if it is ill-formed.
size_t decode_one(std::string_view bytes, size_t pos, char32_t& cp) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned char lead = byte(pos);
  size_t length = 0;
  if (lead < 0x80) {
    cp = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, cp = lead & 0x07;
  } else {
    return 0;
  }
  if (bytes.size() - pos < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    const unsigned char continuation = byte(pos + i);
    if ((continuation & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (continuation & 0x3F);
  }
  static constexpr char32_t kShortestForm[] = {0, 0, 0x80, 0x800, 0x10000};
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (cp < kShortestForm[length] || cp > 0x10FFFF || surrogate) return 0;
  return length;
}

// Decodes up to the first ill-formed sequence; `error_at` is its offset, or npos if there is none.
std::u32string decode_prefix(std::string_view bytes, size_t& error_at) {
  std::u32string text;
  text.reserve(bytes.size());
  error_at = std::string_view::npos;
  for (size_t pos = 0; pos < bytes.size();) {
    char32_t cp = 0;
    const size_t length = decode_one(bytes, pos, cp);
    if (length == 0) {
      error_at = pos;
      break;
    }
    text.push_back(cp);
    pos += length;
  }
  return text;
}

icu::UnicodeString to_icu(std::u32string_view text) {
  icu::UnicodeString s;
  for (char32_t c : text) s.append(static_cast<UChar32>(c));
  return s;
}

std::u32string from_icu(const icu::UnicodeString& s) {
  std::u32string text;
  text.reserve(static_cast<size_t>(s.length()));
  for (int32_t i = 0; i < s.length(); i = s.moveIndex32(i, 1)) text.push_back(static_cast<char32_t>(s.char32At(i)));
  return text;
}

void check_icu(UErrorCode status, const char* operation) {
  if (U_FAILURE(status)) throw Error(std::string("ICU ") + operation + " failed: " + u_errorName(status));
}

std::u32string normalize(std::u32string_view text, const icu::Normalizer2* (*instance)(UErrorCode&),
                         const char* name) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = instance(status);
  check_icu(status, name);
  const icu::UnicodeString normalized = normalizer->normalize(to_icu(text), status);
  check_icu(status, name);
  return from_icu(normalized);
}

}  // namespace

std::u32string decode_utf8(std::string_view bytes) {
  size_t error_at = 0;
  std::u32string text = decode_prefix(bytes, error_at);
  if (error_at != std::string_view::npos)
    throw Error("text is not valid UTF-8 at byte " + std::to_string(error_at));
  return text;
}

std::optional<std::u32string> try_decode_utf8(std::string_view bytes) {
  size_t error_at = 0;
  std::u32string text = decode_prefix(bytes, error_at);
  if (error_at != std::string_view::npos) return std::nullopt;
  return text;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(out, c);
  return out;
}

bool is_python_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

bool is_decimal_digit(char32_t c) { return u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER; }

std::u32string nfc(std::u32string_view text) { return normalize(text, &icu::Normalizer2::getNFCInstance, "NFC"); }

std::u32string nfkc(std::u32string_view text) {
  return normalize(text, &icu::Normalizer2::getNFKCInstance, "NFKC");
}

std::u32string to_lower(std::u32string_view text) {
  icu::UnicodeString s = to_icu(text);
  s.toLower(icu::Locale::getRoot());
  return from_icu(s);
}

std::u32string to_upper(std::u32string_view text) {
  icu::UnicodeString s = to_icu(text);
  s.toUpper(icu::Locale::getRoot());
  return from_icu(s);
}

}  // namespace winclip::detail
