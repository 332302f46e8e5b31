#include "winclip/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace winclip {
namespace {

constexpr int kBarWidth = 24;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

std::string format_fixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string format_amount(uint64_t count, ProgressUnit unit) {
  return unit == ProgressUnit::Bytes ? format_bytes(count) : std::to_string(count);
}

std::string format_rate(double per_second, ProgressUnit unit) {
  if (unit == ProgressUnit::Bytes) return format_bytes(static_cast<uint64_t>(per_second)) + "/s";
  return format_fixed(per_second, per_second < 10 ? 2 : 1) + " images/s";
}

}  // namespace

std::string format_bytes(uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return format_fixed(value, 1) + " " + units[unit];
}

std::string format_duration(double seconds) {
  const auto total = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  const long long hours = total / 3600, minutes = total / 60 % 60, secs = total % 60;
  char text[48];
  if (hours > 0)
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", hours, minutes, secs);
  else
    std::snprintf(text, sizeof text, "%lld:%02lld", minutes, secs);
  return text;
}

std::string format_progress(const ProgressSnapshot& s) {
  std::string line = s.label;
  if (s.total > 0) {
    const double fraction = std::min(1.0, static_cast<double>(s.done) / static_cast<double>(s.total));
    const int filled = static_cast<int>(fraction * kBarWidth);
    line += " [" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "] ";
    line += format_fixed(100 * fraction, 0) + "%  " + format_amount(s.done, s.unit) + "/" +
            format_amount(s.total, s.unit);
  } else {
    line += "  " + format_amount(s.done, s.unit);
  }
  const uint64_t this_run = s.done > s.start ? s.done - s.start : 0;
  const double rate = s.elapsed_seconds > 0 ? static_cast<double>(this_run) / s.elapsed_seconds : 0;
  if (rate > 0) line += "  " + format_rate(rate, s.unit);
  if (s.finished)
    line += "  in " + format_duration(s.elapsed_seconds);
  else if (s.total > 0 && rate > 0 && s.done < s.total)
    line += "  ETA " + format_duration(static_cast<double>(s.total - s.done) / rate);
  return line;
}

ProgressBar::ProgressBar(std::string label, uint64_t total, ProgressUnit unit, uint64_t start, std::FILE* out)
    : out_(out),
      enabled_(out != nullptr && ::isatty(::fileno(out)) == 1),
      started_(std::chrono::steady_clock::now()),
      last_draw_(started_ - kRedrawInterval) {
  snapshot_.label = std::move(label);
  snapshot_.unit = unit;
  snapshot_.start = start;
  snapshot_.done = start;
  snapshot_.total = total;
  // At once, so a long first step (a model warming up, a slow server) already shows the work ahead.
  if (enabled_) draw();
}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::set_total(uint64_t total) { snapshot_.total = total; }

void ProgressBar::update(uint64_t done) {
  snapshot_.done = done;
  if (!enabled_ || snapshot_.finished) return;
  if (std::chrono::steady_clock::now() - last_draw_ >= kRedrawInterval) draw();
}

void ProgressBar::finish() {
  if (snapshot_.finished) return;
  snapshot_.finished = true;
  if (!enabled_) return;
  draw();
  std::fputc('\n', out_);
  std::fflush(out_);
}

void ProgressBar::draw() {
  last_draw_ = std::chrono::steady_clock::now();
  snapshot_.elapsed_seconds = std::chrono::duration<double>(last_draw_ - started_).count();
  // "\x1b[K" clears what a longer previous line left to the right of the cursor.
  std::fprintf(out_, "\r%s\x1b[K", format_progress(snapshot_).c_str());
  std::fflush(out_);
}

}  // namespace winclip
