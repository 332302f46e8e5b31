#pragma once
// httplib's request handling (parsing, routing, handlers, answers) over an accept loop and worker pool of our
// own, because httplib's listen() gives neither a deadline per request (its timeouts apply to each read, so a
// client trickling one byte a second holds a worker for ever) nor a stop that lets the requests in flight finish.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "serve/socket_stream.hpp"

namespace winclip::serve {

struct ConnectionLimits {
  StreamTimeouts timeouts;
  std::chrono::milliseconds keep_alive{5000};  // idle time allowed between two requests of one connection
  int keep_alive_requests = 100;               // requests per connection
  int threads = 8;                             // workers: connections served at once
  std::chrono::milliseconds linger{2000};      // draining an unread body before closing (close_after_draining)
};

class HttpServer : public httplib::Server {
 public:
  using Clock = std::chrono::steady_clock;

  explicit HttpServer(ConnectionLimits limits);
  ~HttpServer() override;

  // Binds and listens; returns the port (the one picked for port 0). Error naming the address on failure.
  int bind_and_listen(const std::string& host, int port);
  // Accepts and serves until stop(); then answers what has arrived, closes every connection and returns.
  void serve();
  // From any thread (not a signal handler): stop accepting; serve() then finishes and returns.
  void stop();
  bool stopping() const { return stopping_; }

  // One request given as raw bytes, answered without a socket: the answer's bytes (fuzz targets, tests).
  std::string process_bytes(std::string_view request);

  // Inside a handler or the pre-routing handler: close the connection after this answer, draining what the
  // client still sends (for an answer given without reading the request's body).
  static void close_after_response();
  // When the request being handled began to arrive (now, outside a connection).
  static Clock::time_point request_start();

 private:
  void work();
  void serve_connection(int fd);

  ConnectionLimits limits_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<int> pending_;  // accepted connections waiting for a worker
  bool accepting_done_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace winclip::serve
