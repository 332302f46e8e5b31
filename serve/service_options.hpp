#pragma once
// Everything `winclip serve` is told on its command line (docs/serve.md).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "serve/batcher.hpp"
#include "serve/http_server.hpp"
#include "winclip/detector.hpp"

namespace winclip::serve {

struct ServiceOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: a free port
  std::filesystem::path bank_dir;
  std::string api_key;  // empty: no authentication
  int64_t max_body_bytes = int64_t{64} << 20;
  int64_t max_image_pixels = 50'000'000;  // width × height of one image
  BatcherOptions batching;
  ConnectionLimits connections;
  DetectorOptions detector;  // all but class, templates and naming, which each request gives
  bool log_requests = true;  // one line per request on stderr
};

}  // namespace winclip::serve
