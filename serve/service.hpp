#pragma once
// `winclip serve`: the HTTP inspection service (docs/serve.md) over one loaded model.
#include <memory>
#include <string>
#include <string_view>

#include "serve/service_options.hpp"
#include "winclip/model.hpp"

namespace winclip::serve {

struct ServiceContext;
class HttpServer;

class Service {
 public:
  // Error for a bank directory it cannot create.
  Service(std::shared_ptr<const ClipModel> model, ServiceOptions options);
  ~Service();

  // Binds options.host:options.port; returns the port (the one picked for port 0). Error naming the address.
  int bind();
  // Serves until stop(); then answers the requests in flight and returns.
  void run();
  // From any thread (not a signal handler).
  void stop();

  // One request as raw HTTP bytes, answered without a socket (fuzz targets, tests): the answer's bytes.
  std::string process_bytes(std::string_view request);

 private:
  void install_routes();

  std::unique_ptr<ServiceContext> context_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace winclip::serve
