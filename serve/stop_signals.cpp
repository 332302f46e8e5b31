#include "serve/stop_signals.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "winclip/error.hpp"

namespace winclip::serve {
namespace {

// The write end of the pipe the handler writes to: the one StopSignals of the process.
volatile sig_atomic_t stop_pipe_fd = -1;

constexpr char kSignalled = 's', kFinished = 'f';

void on_stop_signal(int) {
  const int saved = errno;
  if (stop_pipe_fd >= 0) {
    const char byte = kSignalled;
    [[maybe_unused]] const ssize_t n = ::write(stop_pipe_fd, &byte, 1);
  }
  errno = saved;
}

}  // namespace

StopSignals::StopSignals() {
  if (::pipe2(pipe_, O_CLOEXEC) != 0) throw Error("cannot create the pipe for SIGTERM and SIGINT");
  stop_pipe_fd = pipe_[1];
  thread_ = std::thread([this] {
    for (;;) {
      char byte = 0;
      const ssize_t n = ::read(pipe_[0], &byte, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n != 1 || byte == kFinished) return;
      std::function<void()> stop;
      {
        std::lock_guard lock(mutex_);
        requested_ = true;
        stop = stop_;
      }
      if (stop) stop();
    }
  });
  // After the thread exists; SA_RESTART spares most interrupted system calls an EINTR. Installing a handler
  // also undoes a SIG_IGN inherited from a shell that started us in the background.
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

StopSignals::~StopSignals() {
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  stop_pipe_fd = -1;
  const char byte = kFinished;
  while (::write(pipe_[1], &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  ::close(pipe_[0]);
  ::close(pipe_[1]);
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
