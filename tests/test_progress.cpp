// The progress line's text (hand-computed expectations) and its silence when stderr is not a terminal.
#include <gtest/gtest.h>

#include <cstdio>

#include "winclip/progress.hpp"

namespace winclip {
namespace {

TEST(Progress, FormatsBytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(749'207'552), "714.5 MiB");  // 714.5 * 2^20
  EXPECT_EQ(format_bytes(3ull << 30), "3.0 GiB");
}

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(format_duration(7.4), "0:07");
  EXPECT_EQ(format_duration(754), "12:34");
  EXPECT_EQ(format_duration(3723), "1:02:03");
  EXPECT_EQ(format_duration(-1), "0:00");
}

TEST(Progress, DownloadLineShowsSizeRateAndEta) {
  ProgressSnapshot s;
  s.label = "weights";
  s.unit = ProgressUnit::Bytes;
  s.total = 4 << 20;
  s.done = 1 << 20;
  s.elapsed_seconds = 2;  // 1 MiB in 2 s = 512 KiB/s; 3 MiB left = 6 s
  EXPECT_EQ(format_progress(s), "weights [######..................] 25%  1.0 MiB/4.0 MiB  512.0 KiB/s  ETA 0:06");
}

TEST(Progress, ResumedBytesCountInTheBarButNotInTheRate) {
  ProgressSnapshot s;
  s.label = "w";
  s.unit = ProgressUnit::Bytes;
  s.total = 4 << 20;
  s.start = 2 << 20;
  s.done = 3 << 20;
  s.elapsed_seconds = 1;  // this run: 1 MiB in 1 s; 1 MiB left = 1 s
  EXPECT_EQ(format_progress(s), "w [##################......] 75%  3.0 MiB/4.0 MiB  1.0 MiB/s  ETA 0:01");
}

TEST(Progress, ItemLineAndFinishedLine) {
  ProgressSnapshot s;
  s.label = "images";
  s.total = 8;
  s.done = 8;
  s.elapsed_seconds = 4;
  s.finished = true;
  EXPECT_EQ(format_progress(s), "images [########################] 100%  8/8  2.00 it/s  in 0:04");
}

TEST(Progress, UnknownTotalShowsOnlyTheCount) {
  ProgressSnapshot s;
  s.label = "config";
  s.unit = ProgressUnit::Bytes;
  s.done = 552;
  EXPECT_EQ(format_progress(s), "config  552 B");
}

TEST(Progress, DrawsNothingWhenNotATerminal) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    ProgressBar bar("loop", 10, ProgressUnit::Items, 0, file);
    for (int i = 0; i < 10; ++i) bar.advance();
  }
  EXPECT_EQ(std::ftell(file), 0);
  std::fclose(file);
}

}  // namespace
}  // namespace winclip
