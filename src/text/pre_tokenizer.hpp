#pragma once
// Internal: open_clip's pre-tokenizer, the regular expression that cuts cleaned text into the words BPE
// encodes one by one.
#include <string_view>
#include <vector>

namespace winclip::detail {

// The matches, in order, of (ignoring case)
//   <start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// in well-formed UTF-8 text: letter runs, single digits, runs of other non-space characters.
std::vector<std::string_view> pre_tokenize(std::string_view utf8_text);

}  // namespace winclip::detail
