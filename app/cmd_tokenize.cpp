// `winclip tokenize`: prints the CLIP token ids of each text, one line per text, padding included.
#include <iostream>
#include <string>
#include <vector>

#include "command.hpp"
#include "text/tokenizer.hpp"

namespace winclip::app {
namespace {

struct TokenizeArgs {
  int context_length = kDefaultContextLength;
  std::vector<std::string> texts;
};

int tokenize_texts(const TokenizeArgs& args) {
  const Tokenizer& tokenizer = Tokenizer::default_instance();
  std::string out;
  for (const std::string& text : args.texts) {
    const std::vector<int32_t> ids = tokenizer.tokenize(text, args.context_length);
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) out.push_back(' ');
      out += std::to_string(ids[i]);
    }
    out.push_back('\n');
  }
  // Printed only once every text is tokenized, so an invalid text leaves no partial output.
  std::cout << out << std::flush;
  return 0;
}

const RegisterCommand tokenize_command{{
    "tokenize", "Print the CLIP token ids (open_clip's tokenizer) of each TEXT, one line per text",
    [](CLI::App& sub) {
      auto args = std::make_shared<TokenizeArgs>();
      sub.add_option("--context-length", args->context_length, "Ids per line: start, text, end, zero padding")
          ->capture_default_str();
      sub.add_option("text", args->texts, "Texts to tokenize (use -- before a text starting with '-')")->required();
      return std::function<int()>([args] { return tokenize_texts(*args); });
    }}};

}  // namespace
}  // namespace winclip::app
