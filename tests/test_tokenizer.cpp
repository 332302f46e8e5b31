// The CLIP tokenizer against open_clip v2.24's SimpleTokenizer (fixture made with the Python reference),
// four plain prompts, and ftfy / CPython behaviour documented by those projects.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "core/assets.hpp"
#include "winclip/error.hpp"
#include "text/tokenizer.hpp"

namespace winclip {
namespace {

const Tokenizer& tokenizer() { return Tokenizer::default_instance(); }

const nlohmann::json& fixture() {
  static const nlohmann::json json = [] {
    std::ifstream in(test::data_path("openclip/tokenizer.json"));
    return nlohmann::json::parse(in);
  }();
  return json;
}

std::vector<int32_t> padded(std::vector<int32_t> ids, size_t length = kDefaultContextLength) {
  ids.resize(length, 0);
  return ids;
}

std::string repeat(const std::string& word, int times) {
  std::string text;
  for (int i = 0; i < times; ++i) text += (i ? " " : "") + word;
  return text;
}

// Runs `f`, expecting an Error whose message contains `needle`.
template <typename F>
void expect_error_containing(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing: " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(TokenizerFixture, MatchesOpenClipOnAll33Strings) {
  const auto& items = fixture().at("items");
  ASSERT_EQ(items.size(), 33u);
  EXPECT_EQ(fixture().at("sot_id"), kStartOfText);
  EXPECT_EQ(fixture().at("eot_id"), kEndOfText);
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string text = items[i].at("text");
    SCOPED_TRACE("item " + std::to_string(i) + ": " + text);
    EXPECT_EQ(Tokenizer::clean(text), items[i].at("cleaned").get<std::string>());
    EXPECT_EQ(tokenizer().encode(text), items[i].at("bpe_ids").get<std::vector<int32_t>>());
    EXPECT_EQ(tokenizer().tokenize(text), items[i].at("ids").get<std::vector<int32_t>>());
  }
}

TEST(Tokenizer, SpecTestVectors) {
  EXPECT_EQ(tokenizer().tokenize("a photo of a bottle."), padded({49406, 320, 1125, 539, 320, 5392, 269, 49407}));
  EXPECT_EQ(tokenizer().tokenize("a close-up photo of the flawless metal nut."),
            padded({49406, 320, 2660, 268, 705, 1125, 539, 518, 15531, 4044, 6491, 269, 49407}));
  EXPECT_EQ(tokenizer().tokenize("a photo of a damaged pcb for anomaly detection."),
            padded({49406, 320, 1125, 539, 320, 13568, 26235, 556, 46811, 16220, 269, 49407}));
  EXPECT_EQ(tokenizer().tokenize("a jpeg corrupted photo of the transistor without defect."),
            padded({49406, 320, 73, 11207, 30429, 775, 1125, 539, 518, 32236, 17740, 2193, 44013, 269, 49407}));
}

TEST(Tokenizer, SeventyFiveWordsFitAndSeventySixAreCutKeepingEndOfText) {
  // "a" is the single token 320.
  const std::vector<int32_t> fits = tokenizer().tokenize(repeat("a", 75));
  ASSERT_EQ(fits.size(), 77u);
  EXPECT_EQ(fits.front(), kStartOfText);
  EXPECT_EQ(fits[75], 320);
  EXPECT_EQ(fits[76], kEndOfText);

  const std::vector<int32_t> cut = tokenizer().tokenize(repeat("a", 76));
  ASSERT_EQ(cut.size(), 77u);
  EXPECT_EQ(cut[75], 320);
  EXPECT_EQ(cut[76], kEndOfText);
  EXPECT_EQ(tokenizer().encode(repeat("a", 76)).size(), 76u);
}

TEST(Tokenizer, OtherContextLengths) {
  EXPECT_EQ(tokenizer().tokenize("a photo of a bottle.", 5), (std::vector<int32_t>{49406, 320, 1125, 539, 49407}));
  EXPECT_EQ(tokenizer().tokenize("a photo of a bottle.", 2), (std::vector<int32_t>{49406, 49407}));
  EXPECT_EQ(tokenizer().tokenize("a photo of a bottle.", 10),
            (std::vector<int32_t>{49406, 320, 1125, 539, 320, 5392, 269, 49407, 0, 0}));
  expect_error_containing([] { tokenizer().tokenize("a", 1); }, "context length 1");
  expect_error_containing([] { tokenizer().tokenize("a", -3); }, "context length -3");
}

TEST(Tokenizer, EmptyTextIsStartEndAndPadding) {
  EXPECT_EQ(tokenizer().tokenize(""), padded({kStartOfText, kEndOfText}));
  EXPECT_TRUE(tokenizer().encode("").empty());
  EXPECT_EQ(Tokenizer::clean(""), "");
}

TEST(Tokenizer, InvalidUtf8IsAnErrorNamingTheByte) {
  const std::vector<std::pair<std::string, int>> cases = {
      {"\xff", 0},                    // never a UTF-8 byte
      {"ab\x80", 2},                  // continuation byte without a lead
      {"abc\xc3", 3},                 // truncated sequence
      {"a\xc0\xaf", 1},               // overlong "/"
      {"x\xed\xa0\x80", 1},           // UTF-16 surrogate U+D800
      {"caf\xc3\xa9 \xf4\x90\x80\x80", 6},  // beyond U+10FFFF
  };
  for (const auto& [text, byte] : cases) {
    const std::string expected = "text is not valid UTF-8 at byte " + std::to_string(byte);
    expect_error_containing([&] { tokenizer().tokenize(text); }, expected);
    expect_error_containing([&] { Tokenizer::clean(text); }, expected);
  }
}

TEST(Tokenizer, MissingVocabularyFileIsAnErrorNamingIt) {
  test::TempDir dir;
  const auto path = dir / "nowhere.txt.gz";
  expect_error_containing([&] { Tokenizer::load(path); }, path.string());
}

TEST(Tokenizer, TruncatedVocabularyFileIsAnErrorNamingIt) {
  test::TempDir dir;
  const std::string gz = test::read_bytes(asset_path("bpe_simple_vocab_16e6.txt.gz"));
  const auto path = dir / "truncated.txt.gz";
  test::write_bytes(path, gz.substr(0, gz.size() / 2));
  expect_error_containing([&] { Tokenizer::load(path); }, path.string());
}

TEST(Tokenizer, VocabularyWithTooFewOrMalformedMergesIsAnErrorNamingIt) {
  test::TempDir dir;
  const auto short_file = dir / "short.txt";  // zlib reads a file without gzip header as it is
  test::write_bytes(short_file, "#version: 0.2\ni n\nt h");
  expect_error_containing([&] { Tokenizer::load(short_file); }, short_file.string() + ": has 2 merges");
  const auto malformed = dir / "malformed.txt";
  test::write_bytes(malformed, "#version: 0.2\ni n\nthe\n");
  expect_error_containing([&] { Tokenizer::load(malformed); }, malformed.string() + ": line 3");
}

TEST(Tokenizer, LoadedVocabularyEqualsTheDefault) {
  const Tokenizer loaded = Tokenizer::load(asset_path("bpe_simple_vocab_16e6.txt.gz"));
  EXPECT_EQ(loaded.tokenize("a photo of a bottle."), tokenizer().tokenize("a photo of a bottle."));
}

TEST(Tokenizer, ConcurrentCallsShareTheWordCacheSafely) {
  const auto& items = fixture().at("items");
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round)
        for (const auto& item : items)
          if (tokenizer().tokenize(item.at("text").get<std::string>()) != item.at("ids").get<std::vector<int32_t>>())
            ++mismatches[t];
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(mismatches.size(), 0));
}

// Examples from ftfy 6.3.1's documentation (fix_text and its fixers), then lower-cased by open_clip.
TEST(TokenizerClean, FtfyDocumentedFixes) {
  EXPECT_EQ(Tokenizer::clean("uÌˆnicode"), "ünicode");
  EXPECT_EQ(Tokenizer::clean("âœ” No problems"), "✔ no problems");
  EXPECT_EQ(Tokenizer::clean("sÃ³"), "só");
  EXPECT_EQ(Tokenizer::clean("schÃ¶n"), "schön");
  EXPECT_EQ(Tokenizer::clean("ＬＯＵＤ　ＮＯＩＳＥＳ"), "loud noises");
  EXPECT_EQ(Tokenizer::clean("Ｕﾀｰﾝ"), "uターン");
  EXPECT_EQ(Tokenizer::clean("\u201chere\u2019s a test\u201d"), "\"here's a test\"");
  EXPECT_EQ(Tokenizer::clean("ﬂuﬃeﬆ"), "fluffiest");
  EXPECT_EQ(Tokenizer::clean("\033[36;44mI'm blue, da ba dee da ba doo...\033[0m"), "i'm blue, da ba dee da ba doo...");
  EXPECT_EQ(Tokenizer::clean("\ufeffParty like\nit&rsquo;s 1999!"), "party like it's 1999!");
  EXPECT_EQ(Tokenizer::clean("P&EACUTE;REZ"), "pérez");
  EXPECT_EQ(Tokenizer::clean("BUNDESSTRA&SZLIG;E"), "bundesstrasse");
  EXPECT_EQ(Tokenizer::clean("&ntilde; &Ntilde; &NTILDE; &nTILDE;"), "ñ ñ ñ &ntilde;");
}

// ftfy keeps unescaping until nothing changes, unless a line with '<' (probably real HTML) was seen; after it
// open_clip's two html.unescape passes always run.
TEST(TokenizerClean, HtmlEntitiesFollowFtfyThenPython) {
  EXPECT_EQ(Tokenizer::clean("&amp;amp;amp;amp;"), "&");
  EXPECT_EQ(Tokenizer::clean("<b> &amp;amp;amp;"), "<b> &amp;");
  EXPECT_EQ(Tokenizer::clean("x\n<b> &amp;amp;amp;\n&amp;amp;amp;"), "x <b> &amp; &amp;");
}

// Values of CPython 3.11's html.unescape(html.unescape(s)); ftfy leaves these alone or agrees.
TEST(TokenizerClean, PythonHtmlUnescapeRules) {
  EXPECT_EQ(Tokenizer::clean("caf&#xe9"), "café");
  EXPECT_EQ(Tokenizer::clean("&#X41;"), "a");
  EXPECT_EQ(Tokenizer::clean("&#133;"), "…");
  EXPECT_EQ(Tokenizer::clean("&#x80;"), "€");
  EXPECT_EQ(Tokenizer::clean("&#0;"), "\ufffd");
  EXPECT_EQ(Tokenizer::clean("&#xD800;"), "\ufffd");
  EXPECT_EQ(Tokenizer::clean("&#99999999999;"), "\ufffd");
  EXPECT_EQ(Tokenizer::clean("&#1;x"), "x");
  EXPECT_EQ(Tokenizer::clean("&#x;"), "&#x;");
  EXPECT_EQ(Tokenizer::clean("&notit;"), "¬it;");
  EXPECT_EQ(Tokenizer::clean("&ampx &amp &COPY &frac12x"), "&x & © ½x");
  EXPECT_EQ(Tokenizer::clean("&Amp;"), "&amp;");
  EXPECT_EQ(Tokenizer::clean("&lang;"), "⟨");
}

TEST(TokenizerClean, WhitespaceControlsAndCase) {
  EXPECT_EQ(Tokenizer::clean(" \t a\u00a0\u2028b\r\n\u3000c\u2029 \f"), "a b c");
  // Python's str.isspace() counts U+001C..U+001F, but ftfy deletes them first; U+0085 becomes "…".
  EXPECT_EQ(Tokenizer::clean("a\x1c\x1f" "b"), "ab");
  EXPECT_EQ(Tokenizer::clean("a\u0085b"), "a…b");
  EXPECT_EQ(Tokenizer::clean("e\u0301"), "\u00e9");  // NFC
  EXPECT_EQ(Tokenizer::clean("ΟΔΟΣ ΣΑΣ."), "οδος σας.");  // final sigma, as str.lower()
  EXPECT_EQ(Tokenizer::clean("İ"), "i\u0307");
}

}  // namespace
}  // namespace winclip
