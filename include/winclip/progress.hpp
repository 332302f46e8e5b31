#pragma once
// A one-line progress bar on stderr for downloads and long loops over images: label, done/total (images or
// bytes), rate (images/s or bytes/s) and time left. It draws only when stderr is a terminal, so logs and pipes
// stay clean, and at most ten times a second, so a tight loop does not spend its time printing. Use it from one
// thread.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace winclip {

enum class ProgressUnit { Images, Bytes };

// Everything one line shows. Formatting is a pure function of this, testable without a terminal.
struct ProgressSnapshot {
  std::string label;
  ProgressUnit unit = ProgressUnit::Images;
  uint64_t start = 0;  // done before this run (a resumed download or evaluation): in the bar, not the rate
  uint64_t done = 0;
  uint64_t total = 0;   // 0 = unknown: no bar, percentage or ETA
  double elapsed_seconds = 0;
  bool finished = false;  // shows the elapsed time instead of the ETA
};

std::string format_progress(const ProgressSnapshot& snapshot);
std::string format_bytes(uint64_t bytes);          // "512 B", "1.5 KiB", "714.5 MiB"
std::string format_duration(double seconds);       // "0:07", "12:34", "1:02:03"

class ProgressBar {
 public:
  ProgressBar(std::string label, uint64_t total, ProgressUnit unit = ProgressUnit::Images, uint64_t start = 0,
              std::FILE* out = stderr);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void set_total(uint64_t total);  // for a size learnt only once the work started (an HTTP response)
  void update(uint64_t done);
  void advance(uint64_t count = 1) { update(snapshot_.done + count); }
  // Draws the final line and ends it; later calls do nothing. The destructor calls it too.
  void finish();

 private:
  void draw();

  ProgressSnapshot snapshot_;
  std::FILE* out_;
  bool enabled_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace winclip
