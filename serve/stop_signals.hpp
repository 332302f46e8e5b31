#pragma once
// SIGTERM and SIGINT as a request to stop. The handler only writes a byte to a pipe (all a signal handler may
// safely do, whichever thread the signal lands on: libraries start threads of their own, so blocking the
// signals in every thread cannot be relied on); a thread of its own reads the pipe and calls the stop function.
// A signal that arrives before a function is set is remembered and handed to it when it is.
#include <functional>
#include <mutex>
#include <thread>

namespace winclip::serve {

class StopSignals {
 public:
  StopSignals();  // one at a time in a process
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  void on_stop(std::function<void()> stop);
  bool requested() const;

 private:
  mutable std::mutex mutex_;
  std::function<void()> stop_;
  bool requested_ = false;
  int pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace winclip::serve
