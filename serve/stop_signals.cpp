#include "serve/stop_signals.hpp"

#include <pthread.h>
#include <signal.h>

namespace winclip::serve {
namespace {

sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

void ignore_stop_signal(int) {}

}  // namespace

StopSignals::StopSignals() {
  // A shell starts background commands with SIGINT ignored; an ignored signal might be dropped even while
  // blocked, so each gets a handler (never run: the signals stay blocked) before being waited for.
  struct sigaction action {};
  action.sa_handler = ignore_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  const sigset_t set = stop_signal_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this] {
    const sigset_t signals = stop_signal_set();
    for (;;) {
      int number = 0;
      if (sigwait(&signals, &number) != 0) continue;
      std::function<void()> stop;
      {
        std::lock_guard lock(mutex_);
        if (finished_) return;
        requested_ = true;
        stop = stop_;
      }
      if (stop) stop();
    }
  });
}

StopSignals::~StopSignals() {
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
  }
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

void StopSignals::on_stop(std::function<void()> stop) {
  bool call = false;
  {
    std::lock_guard lock(mutex_);
    stop_ = stop;
    call = requested_;
  }
  if (call && stop) stop();
}

bool StopSignals::requested() const {
  std::lock_guard lock(mutex_);
  return requested_;
}

}  // namespace winclip::serve
