#include "text/pre_tokenizer.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>
#include <new>
#include <string>

#include "winclip/error.hpp"

namespace winclip::detail {
namespace {

// \s is PCRE2's, which unlike Python's leaves out U+001C..U+001F and U+0085. That cannot matter: cleaned
// text has no whitespace but U+0020.
constexpr std::string_view kPattern =
    R"(<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+)";

struct CodeDeleter {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

std::string pcre2_message(int error_code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(error_code, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
}

// Compiled once; PCRE2 patterns are immutable and may be matched from any number of threads.
const pcre2_code* pattern() {
  static const std::unique_ptr<pcre2_code, CodeDeleter> code = [] {
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    pcre2_code* compiled = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern.data()), kPattern.size(),
                                         PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &error_code, &error_offset, nullptr);
    if (!compiled) throw Error("pre-tokenizer pattern", pcre2_message(error_code));
    // JIT is only a speed-up: where it is unavailable pcre2_match interprets the pattern.
    pcre2_jit_compile(compiled, PCRE2_JIT_COMPLETE);
    return std::unique_ptr<pcre2_code, CodeDeleter>(compiled);
  }();
  return code.get();
}

}  // namespace

std::vector<std::string_view> pre_tokenize(std::string_view utf8_text) {
  const pcre2_code* code = pattern();
  const std::unique_ptr<pcre2_match_data, MatchDataDeleter> match(pcre2_match_data_create_from_pattern(code, nullptr));
  if (!match) throw std::bad_alloc();
  const auto subject = reinterpret_cast<PCRE2_SPTR>(utf8_text.data());
  std::vector<std::string_view> words;
  for (PCRE2_SIZE offset = 0; offset < utf8_text.size();) {
    const int rc = pcre2_match(code, subject, utf8_text.size(), offset, PCRE2_NO_UTF_CHECK, match.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) throw Error("pre-tokenizer", pcre2_message(rc));
    const PCRE2_SIZE* span = pcre2_get_ovector_pointer(match.get());
    words.push_back(utf8_text.substr(span[0], span[1] - span[0]));
    offset = span[1];  // no alternative matches the empty string, so this always advances
  }
  return words;
}

}  // namespace winclip::detail
