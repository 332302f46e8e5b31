#include "serve/socket_stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace winclip::serve {
namespace {

void address_of(const sockaddr_storage& address, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

}  // namespace

SocketStream::SocketStream(int fd, StreamTimeouts timeouts) : fd_(fd), timeouts_(timeouts) {}

void SocketStream::begin_request() {
  read_deadline_ = Clock::now() + timeouts_.request;
  write_deadline_.reset();
}

bool SocketStream::wait_for(short events, std::chrono::milliseconds timeout,
                            std::optional<Clock::time_point> deadline) const {
  const auto until = deadline ? std::min(Clock::now() + timeout, *deadline) : Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left < 0) return false;
    pollfd p{fd_, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000 * 60 * 60)));
    if (r < 0 && errno == EINTR) continue;
    // A hang-up or error counts as ready: the read or write that follows reports it.
    return r > 0;
  }
}

bool SocketStream::wait_readable(std::chrono::milliseconds timeout) const {
  return buffer_begin_ < buffer_end_ || wait_for(POLLIN, timeout, std::nullopt);
}

bool SocketStream::is_readable() const {
  return buffer_begin_ < buffer_end_ || wait_for(POLLIN, timeouts_.read, read_deadline_);
}

bool SocketStream::is_writable() const { return wait_for(POLLOUT, timeouts_.write, write_deadline_); }

ssize_t SocketStream::read(char* ptr, size_t size) {
  if (buffer_begin_ == buffer_end_) {
    if (!is_readable()) return -1;
    ssize_t n;
    do {
      n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return n;
    buffer_begin_ = 0;
    buffer_end_ = static_cast<size_t>(n);
  }
  const size_t n = std::min(size, buffer_end_ - buffer_begin_);
  std::memcpy(ptr, buffer_.data() + buffer_begin_, n);
  buffer_begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t SocketStream::write(const char* ptr, size_t size) {
  if (!write_deadline_) write_deadline_ = Clock::now() + timeouts_.request;
  if (!is_writable()) return -1;
  ssize_t n;
  do {
    n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

void SocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) address_of(address, ip, port);
}

void SocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) address_of(address, ip, port);
}

void close_after_draining(int fd, std::chrono::milliseconds linger) {
  ::shutdown(fd, SHUT_WR);
  const auto until = std::chrono::steady_clock::now() + linger;
  char sink[16384];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    const ssize_t n = ::recv(fd, sink, sizeof sink, 0);
    if (n <= 0 && !(n < 0 && errno == EINTR)) break;
  }
  ::close(fd);
}

}  // namespace winclip::serve
