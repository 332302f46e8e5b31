#include "text/bpe_vocab.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/unicode.hpp"
#include "winclip/error.hpp"

namespace winclip::detail {
namespace {

constexpr int32_t kByteSymbols = 256;
constexpr std::string_view kEndOfWord = "</w>";

// GPT-2's byte -> character table: printable Latin-1 bytes stand for themselves and the other 68 bytes,
// in byte order, for U+0100 onwards, so that no symbol is whitespace or a control character. Symbol ids
// follow the same order: printable bytes first.
bool is_printable_byte(int byte) {
  return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
}

struct ByteSymbol {
  unsigned char byte;
  char32_t character;
};

std::array<ByteSymbol, kByteSymbols> byte_symbols_in_id_order() {
  std::array<ByteSymbol, kByteSymbols> symbols{};
  size_t id = 0;
  for (int byte = 0; byte < kByteSymbols; ++byte)
    if (is_printable_byte(byte)) symbols[id++] = {static_cast<unsigned char>(byte), static_cast<char32_t>(byte)};
  char32_t next_character = 0x100;
  for (int byte = 0; byte < kByteSymbols; ++byte)
    if (!is_printable_byte(byte)) symbols[id++] = {static_cast<unsigned char>(byte), next_character++};
  return symbols;
}

std::string read_gzip_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(path.string(), "BPE vocabulary file not found");
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw Error(path.string(), std::string("cannot open: ") + std::strerror(errno));
  std::string text;
  char buffer[1 << 16];
  int read = 0;
  while ((read = gzread(file, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(read));
  int status = Z_OK;
  const std::string message = read < 0 ? gzerror(file, &status) : "";
  // gzclose reports a stream that stopped before its end (a truncated download).
  const int close_status = gzclose(file);
  if (read < 0) throw Error(path.string(), "corrupt gzip data: " + message);
  if (close_status != Z_OK) throw Error(path.string(), "truncated gzip data");
  return text;
}

struct MergeLine {
  std::string_view left, right;
};

// Lines 1 .. merge_count ("left right"); line 0 is the version header.
std::vector<MergeLine> parse_merge_lines(std::string_view text, const std::string& where, int32_t merge_count) {
  std::vector<MergeLine> merges;
  merges.reserve(static_cast<size_t>(merge_count));
  size_t start = text.find('\n');
  for (int32_t line = 1; line <= merge_count; ++line) {
    if (start == std::string_view::npos)
      throw Error(where, "has " + std::to_string(line - 1) + " merges, expected at least " +
                             std::to_string(merge_count));
    ++start;
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view content = text.substr(start, end - start);
    const size_t space = content.find(' ');
    const bool two_symbols = space != std::string_view::npos && space > 0 && space + 1 < content.size() &&
                             content.find(' ', space + 1) == std::string_view::npos;
    if (!two_symbols)
      throw Error(where, "line " + std::to_string(line + 1) + ": expected two symbols separated by a space");
    merges.push_back({content.substr(0, space), content.substr(space + 1)});
    start = end < text.size() ? end : std::string_view::npos;
  }
  return merges;
}

}  // namespace

BpeVocabulary BpeVocabulary::load(const std::filesystem::path& path) {
  return parse(read_gzip_file(path), path.string());
}

BpeVocabulary BpeVocabulary::parse(std::string_view text, const std::string& where, int32_t merge_count) {
  if (merge_count < 0 || merge_count > kMergeCount)
    throw Error(where, "merge count " + std::to_string(merge_count) + " outside 0.." + std::to_string(kMergeCount));
  const std::vector<MergeLine> lines = parse_merge_lines(text, where, merge_count);

  BpeVocabulary vocabulary;
  // Symbol text -> id, later entries winning as in open_clip's dict(zip(vocab, range(...))).
  std::unordered_map<std::string, int32_t> ids;
  ids.reserve(2 * kByteSymbols + lines.size());
  const auto byte_symbols = byte_symbols_in_id_order();
  for (int32_t id = 0; id < kByteSymbols; ++id) {
    const std::string character = encode_utf8(std::u32string(1, byte_symbols[id].character));
    ids.insert_or_assign(character, id);
    ids.insert_or_assign(character + std::string(kEndOfWord), kByteSymbols + id);
    vocabulary.byte_ids_[byte_symbols[id].byte] = id;
  }
  for (size_t rank = 0; rank < lines.size(); ++rank)
    ids.insert_or_assign(std::string(lines[rank].left) + std::string(lines[rank].right),
                         static_cast<int32_t>(2 * kByteSymbols + rank));

  vocabulary.merges_.reserve(lines.size());
  for (size_t rank = 0; rank < lines.size(); ++rank) {
    const auto left = ids.find(std::string(lines[rank].left));
    const auto right = ids.find(std::string(lines[rank].right));
    if (left == ids.end() || right == ids.end())
      throw Error(where, "line " + std::to_string(rank + 2) + ": merges a symbol the vocabulary lacks");
    const int32_t merged = ids.at(std::string(lines[rank].left) + std::string(lines[rank].right));
    vocabulary.merges_.insert_or_assign(pair_key(left->second, right->second),
                                        Merge{static_cast<int32_t>(rank), merged});
  }
  return vocabulary;
}

std::vector<int32_t> BpeVocabulary::encode_word(std::string_view bytes) const {
  std::vector<int32_t> symbols;
  symbols.reserve(bytes.size());
  for (char byte : bytes) symbols.push_back(byte_ids_[static_cast<unsigned char>(byte)]);
  symbols.back() += kByteSymbols;  // the word-final form ("</w>")

  while (symbols.size() > 1) {
    const Merge* best = nullptr;
    int32_t left = 0, right = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const auto it = merges_.find(pair_key(symbols[i], symbols[i + 1]));
      if (it != merges_.end() && (!best || it->second.rank < best->rank)) {
        best = &it->second;
        left = symbols[i];
        right = symbols[i + 1];
      }
    }
    if (!best) break;
    size_t out = 0;
    for (size_t i = 0; i < symbols.size(); ++out) {
      const bool pair_here = i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right;
      symbols[out] = pair_here ? best->merged_id : symbols[i];
      i += pair_here ? 2 : 1;
    }
    symbols.resize(out);
  }
  return symbols;
}

}  // namespace winclip::detail
