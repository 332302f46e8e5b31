#include "serve/http_server.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "winclip/error.hpp"

namespace winclip::serve {
namespace {

// What the handlers of the request being served may ask of its connection.
struct ConnectionState {
  HttpServer::Clock::time_point request_start = HttpServer::Clock::now();
  bool close = false;
};
thread_local ConnectionState* current_connection = nullptr;

// The request's bytes in, the answer's bytes out: for process_bytes.
class MemoryStream : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view in) : in_(in) {}
  bool is_readable() const override { return position_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, in_.size() - position_);
    std::memcpy(ptr, in_.data() + position_, n);
    position_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 0; }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 0; }
  socket_t socket() const override { return 0; }
  const std::string& written() const { return out_; }

 private:
  std::string_view in_;
  size_t position_ = 0;
  std::string out_;
};

}  // namespace

HttpServer::HttpServer(ConnectionLimits limits) : limits_(limits) {
  // Only for the Keep-Alive header httplib writes: our own loop applies them.
  set_keep_alive_timeout(std::chrono::duration_cast<std::chrono::seconds>(limits_.keep_alive).count());
  set_keep_alive_max_count(static_cast<size_t>(limits_.keep_alive_requests));
}

HttpServer::~HttpServer() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

int HttpServer::bind_and_listen(const std::string& host, int port) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int r = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); r != 0)
    throw Error(where, std::string("cannot resolve the address: ") + gai_strerror(r));
  std::string problem = "no address";
  for (addrinfo* a = found; a && listen_fd_ < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 128) == 0) {
      listen_fd_ = fd;
    } else {
      problem = std::strerror(errno);
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (listen_fd_ < 0) throw Error(where, "cannot listen: " + problem);
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

void HttpServer::serve() {
  if (listen_fd_ < 0) throw Error("serve: bind_and_listen first");
  for (int i = 0; i < limits_.threads; ++i) workers_.emplace_back([this] { work(); });
  // Connections wait in the kernel's backlog while every worker is busy and a few more are queued here.
  const size_t max_pending = static_cast<size_t>(limits_.threads) * 2;
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    bool full;
    {
      std::lock_guard lock(mutex_);
      full = pending_.size() >= max_pending;
    }
    if (full) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      pending_.push_back(fd);
    }
    ready_.notify_one();
  }
  ::close(listen_fd_);
  listen_fd_ = -1;
  {
    std::lock_guard lock(mutex_);
    accepting_done_ = true;
  }
  ready_.notify_all();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
}

void HttpServer::stop() { stopping_ = true; }

void HttpServer::work() {
  for (;;) {
    int fd;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return !pending_.empty() || accepting_done_; });
      if (pending_.empty()) return;
      fd = pending_.front();
      pending_.pop_front();
    }
    serve_connection(fd);
  }
}

void HttpServer::serve_connection(int fd) {
  SocketStream stream(fd, limits_.timeouts);
  ConnectionState state;
  current_connection = &state;
  for (int served = 0; served < limits_.keep_alive_requests; ++served) {
    // The next request's first byte: within the keep-alive time, and not once stopping (a request already
    // arriving is still answered).
    bool arrived = false;
    for (auto waited = std::chrono::milliseconds(0); !arrived && waited < limits_.keep_alive;
         waited += std::chrono::milliseconds(100)) {
      arrived = stream.wait_readable(std::chrono::milliseconds(100));
      if (stopping_ && !arrived) break;
    }
    if (!arrived) break;
    state.request_start = Clock::now();
    state.close = false;
    stream.begin_request();
    const bool last = stopping_ || served + 1 == limits_.keep_alive_requests;
    bool client_closes = false;
    if (!process_request(stream, last, client_closes, nullptr) || client_closes || last || state.close) break;
  }
  current_connection = nullptr;
  if (state.close) {
    close_after_draining(fd, limits_.linger);
  } else {
    ::close(fd);
  }
}

std::string HttpServer::process_bytes(std::string_view request) {
  MemoryStream stream(request);
  ConnectionState state;
  ConnectionState* outer = current_connection;
  current_connection = &state;
  bool client_closes = false;
  process_request(stream, true, client_closes, nullptr);
  current_connection = outer;
  return stream.written();
}

void HttpServer::close_after_response() {
  if (current_connection) current_connection->close = true;
}

HttpServer::Clock::time_point HttpServer::request_start() {
  return current_connection ? current_connection->request_start : Clock::now();
}

}  // namespace winclip::serve
