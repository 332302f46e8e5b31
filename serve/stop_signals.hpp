#pragma once
// SIGTERM and SIGINT as a request to stop: blocked in every thread (construct this before starting any, the
// engine's OpenMP threads included) and waited for by one thread of its own, which calls the stop function on
// the first. A signal that arrives before a function is set is remembered and handed to it when it is.
#include <functional>
#include <mutex>
#include <thread>

namespace winclip::serve {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  void on_stop(std::function<void()> stop);
  bool requested() const;

 private:
  mutable std::mutex mutex_;
  std::function<void()> stop_;
  bool requested_ = false;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace winclip::serve
