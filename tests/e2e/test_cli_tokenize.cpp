// `winclip tokenize [--context-length N] TEXT...`: one line of ids per text, padding included.
#include <gtest/gtest.h>

#include <string>

#include "test_support.hpp"

namespace winclip {
namespace {

std::string padded_line(const std::string& ids, int padding) {
  std::string line = ids;
  for (int i = 0; i < padding; ++i) line += " 0";
  return line + "\n";
}

TEST(CliTokenize, PrintsOneLineOfIdsPerText) {
  const auto r = test::run_cli({"tokenize", "a photo of a bottle.", "A close-up photo of the flawless metal nut."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, padded_line("49406 320 1125 539 320 5392 269 49407", 77 - 8) +
                       padded_line("49406 320 2660 268 705 1125 539 518 15531 4044 6491 269 49407", 77 - 13));
}

TEST(CliTokenize, ContextLengthOption) {
  const auto r = test::run_cli({"tokenize", "--context-length", "5", "a photo of a bottle."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "49406 320 1125 539 49407\n");
}

TEST(CliTokenize, EmptyText) {
  const auto r = test::run_cli({"tokenize", ""});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, padded_line("49406 49407", 75));
}

TEST(CliTokenize, InvalidUtf8IsAnError) {
  const auto r = test::run_cli({"tokenize", "fine", "caf\xe9"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("text is not valid UTF-8 at byte 3"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(CliTokenize, ContextLengthBelowTwoIsAnError) {
  const auto r = test::run_cli({"tokenize", "--context-length", "1", "a"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("context length 1"), std::string::npos) << r.err;
}

TEST(CliTokenize, TextIsRequired) {
  const auto r = test::run_cli({"tokenize"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace winclip
