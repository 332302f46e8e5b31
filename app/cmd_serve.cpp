// `winclip serve`: the HTTP inspection service (serve/, docs/serve.md).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "command.hpp"
#include "model_args.hpp"
#include "serve/service.hpp"
#include "serve/stop_signals.hpp"
#include "winclip/model_store.hpp"

namespace winclip::app {
namespace {

struct ServeArgs {
  ModelArgs model;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string bank_dir;
  std::string api_key;
  double max_body_mb = 64;
  int64_t max_image_pixels = 50'000'000;
  int max_batch = 8;
  int batch_wait_ms = 5;
  int max_queue = 64;
  int threads = 8;
  double read_timeout = 5, write_timeout = 5, request_timeout = 30, keep_alive = 5;
  std::string resize = "squash";
  bool no_prototype_cache = false;
  bool quiet = false;
};

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

int serve(const ServeArgs& args) {
  serve::StopSignals signals;  // from here on SIGTERM or SIGINT stops the service (once it is up, if earlier)
  std::signal(SIGPIPE, SIG_IGN);

  const std::filesystem::path cache =
      args.model.cache_dir.empty() ? default_cache_dir() : std::filesystem::path(args.model.cache_dir);
  serve::ServiceOptions options;
  options.host = args.host;
  options.port = args.port;
  options.bank_dir = args.bank_dir.empty() ? cache / "banks" : std::filesystem::path(args.bank_dir);
  options.api_key = args.api_key;
  if (options.api_key.empty())
    if (const char* key = std::getenv("WINCLIP_API_KEY"); key) options.api_key = key;
  options.max_body_bytes = static_cast<int64_t>(args.max_body_mb * 1024 * 1024);
  options.max_image_pixels = args.max_image_pixels;
  options.batching = {args.max_batch, std::chrono::milliseconds(args.batch_wait_ms), args.max_queue};
  options.connections.threads = args.threads;
  options.connections.timeouts = {seconds_to_ms(args.read_timeout), seconds_to_ms(args.write_timeout),
                                  seconds_to_ms(args.request_timeout)};
  options.connections.keep_alive = seconds_to_ms(args.keep_alive);
  options.detector.resize = parse_resize_mode(args.resize);
  if (!args.no_prototype_cache) options.detector.prototype_cache = cache / "prototypes";
  options.log_requests = !args.quiet;

  auto model = args.model.load();
  serve::Service service(model, options);
  const int port = service.bind();
  const std::string host = args.host.find(':') != std::string::npos ? "[" + args.host + "]" : args.host;
  std::printf("listening on http://%s:%d\n", host.c_str(), port);
  std::fflush(stdout);
  std::fprintf(stderr, "winclip serve: model %s (%s), banks in %s%s\n", model->config().name.c_str(),
               precision_name(model->precision()), options.bank_dir.string().c_str(),
               options.api_key.empty() ? "" : ", API key required");
  signals.on_stop([&service] { service.stop(); });
  service.run();
  signals.on_stop(nullptr);
  std::fprintf(stderr, "winclip serve: stopped\n");
  return 0;
}

const RegisterCommand serve_command{
    {"serve", "Serve detection over HTTP (JSON API and a web page) with the model loaded once", [](CLI::App& sub) {
       auto args = std::make_shared<ServeArgs>();
       args->model.add_to(sub);
       sub.add_option("--host", args->host, "address to listen on (default 127.0.0.1: this machine only)");
       sub.add_option("--port", args->port, "port (0: any free port; the line `listening on ...` tells which)")
           ->check(CLI::Range(0, 65535));
       sub.add_option("--bank-dir", args->bank_dir, "where banks are stored (default: <cache dir>/banks)");
       sub.add_option("--api-key", args->api_key,
                      "require `Authorization: Bearer KEY` on the API (default: $WINCLIP_API_KEY; none if unset)");
       sub.add_option("--max-body-mb", args->max_body_mb, "largest request body in MiB (larger: 413)")
           ->check(CLI::Range(0.001, 4096.0));
       sub.add_option("--max-image-pixels", args->max_image_pixels,
                      "largest image, width × height, refused from its header before decoding")
           ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
       sub.add_option("--max-batch", args->max_batch, "images per engine pass, gathered across requests")
           ->check(CLI::Range(1, 256));
       sub.add_option("--batch-wait-ms", args->batch_wait_ms, "how long a pass waits for more images")
           ->check(CLI::Range(0, 10000));
       sub.add_option("--max-queue", args->max_queue, "images waiting for the engine; beyond, 503 with Retry-After")
           ->check(CLI::Range(1, 1 << 20));
       sub.add_option("--threads", args->threads, "connections served at once")->check(CLI::Range(1, 1024));
       sub.add_option("--read-timeout", args->read_timeout, "seconds of silence allowed while a request arrives")
           ->check(CLI::Range(0.01, 3600.0));
       sub.add_option("--write-timeout", args->write_timeout, "seconds without progress allowed while answering")
           ->check(CLI::Range(0.01, 3600.0));
       sub.add_option("--request-timeout", args->request_timeout,
                      "seconds for a whole request to arrive, and again for its answer to leave")
           ->check(CLI::Range(0.01, 86400.0));
       sub.add_option("--keep-alive", args->keep_alive, "seconds an idle connection is kept open")
           ->check(CLI::Range(0.0, 3600.0));
       sub.add_option("--resize", args->resize, "squash (default) or shortest, as `winclip detect --resize`")
           ->check(CLI::IsMember({"squash", "shortest"}));
       sub.add_flag("--no-prototype-cache", args->no_prototype_cache, "always run the text tower for a new class");
       sub.add_flag("--quiet", args->quiet, "no log line per request");
       return std::function<int()>([args] { return serve(*args); });
     }}};

}  // namespace
}  // namespace winclip::app
