#pragma once
// httplib's Stream over one accepted connection, with a deadline for each request on top of the per-read and
// per-write timeouts: a client that sends (or reads) one byte a second meets every timeout and would hold a
// worker for ever without it.
#include <httplib.h>

#include <array>
#include <chrono>
#include <optional>

namespace winclip::serve {

struct StreamTimeouts {
  std::chrono::milliseconds read{5000};      // silence while reading
  std::chrono::milliseconds write{5000};     // no progress while writing
  std::chrono::milliseconds request{30000};  // the whole request to arrive; then the whole answer to leave
};

class SocketStream : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;

  SocketStream(int fd, StreamTimeouts timeouts);

  // A request begins: it must arrive within timeouts.request from now, and its answer leave within
  // timeouts.request from its first byte.
  void begin_request();
  // True when a byte can be read within `timeout` (buffered bytes count).
  bool wait_readable(std::chrono::milliseconds timeout) const;

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

 private:
  bool wait_for(short events, std::chrono::milliseconds timeout, std::optional<Clock::time_point> deadline) const;

  int fd_;
  StreamTimeouts timeouts_;
  std::optional<Clock::time_point> read_deadline_, write_deadline_;
  std::array<char, 4096> buffer_{};
  size_t buffer_begin_ = 0, buffer_end_ = 0;
};

// Closes a connection whose request body was not read (refused before it): stops sending, then reads and
// drops what the client still sends, for up to `linger`, so that it reads our answer instead of a reset.
void close_after_draining(int fd, std::chrono::milliseconds linger);

}  // namespace winclip::serve
