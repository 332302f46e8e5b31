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

TEST(Progress, ImageLineAndFinishedLine) {
  ProgressSnapshot s;
  s.label = "detect";
  s.total = 8;
  s.done = 8;
  s.elapsed_seconds = 4;
  s.finished = true;
  EXPECT_EQ(format_progress(s), "detect [########################] 100%  8/8  2.00 images/s  in 0:04");
}

// A resumed evaluation: 600 of 1000 images were cached, 100 more took 40 s, so 300 are left at 2.5/s.
TEST(Progress, ResumedImagesCountInTheBarButNotInTheRateOrEta) {
  ProgressSnapshot s;
  s.label = "eval";
  s.total = 1000;
  s.start = 600;
  s.done = 700;
  s.elapsed_seconds = 40;
  EXPECT_EQ(format_progress(s), "eval [################........] 70%  700/1000  2.50 images/s  ETA 2:00");
  s.done = 600;  // nothing computed yet: no rate, so no ETA
  EXPECT_EQ(format_progress(s), "eval [##############..........] 60%  600/1000");
  s.done = 900;
  s.elapsed_seconds = 20;  // 300 images in 20 s
  EXPECT_EQ(format_progress(s), "eval [#####################...] 90%  900/1000  15.0 images/s  ETA 0:07");
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
    ProgressBar bar("loop", 10, ProgressUnit::Images, 0, file);
    for (int i = 0; i < 10; ++i) bar.advance();
  }
  EXPECT_EQ(std::ftell(file), 0);
  std::fclose(file);
}

}  // namespace
}  // namespace winclip
