#include "serve/service.hpp"

#include <cstdio>
#include <functional>

#include "serve/endpoints.hpp"
#include "serve/http_error.hpp"
#include "serve/http_server.hpp"
#include "serve/json_reply.hpp"
#include "serve/service_context.hpp"
#include "winclip/error.hpp"

namespace winclip::serve {
namespace {

using Endpoint = void (*)(ServiceContext&, const httplib::Request&, httplib::Response&);

struct Route {
  const char* pattern;  // as Metrics::endpoint_of names it
  const char* methods;  // the Allow header
  bool open;            // answered without the API key
};

const Route* route_of(const std::string& path) {
  static const Route kRoutes[] = {
      {"/", "GET, HEAD", true},      {"/v1/health", "GET, HEAD", true},       {"/metrics", "GET, HEAD", true},
      {"/v1/detect", "POST", false}, {"/v1/banks", "GET, HEAD, POST", false}, {"/v1/banks/{name}", "DELETE", false},
  };
  const std::string endpoint = Metrics::endpoint_of(path);
  for (const auto& route : kRoutes)
    if (endpoint == route.pattern) return &route;
  return nullptr;
}

bool allows(const Route& route, const std::string& method) {
  const std::string methods = std::string(", ") + route.methods + ",";
  return methods.find(", " + method + ",") != std::string::npos;
}

// A body httplib would read: every POST, PUT, PATCH and DELETE, and any request that announces one.
bool has_body(const httplib::Request& request) {
  return request.method == "POST" || request.method == "PUT" || request.method == "PATCH" ||
         request.method == "DELETE" || request.has_header("Content-Length") || request.has_header("Transfer-Encoding");
}

// An answer given before the request's body was read: that body must not be taken for the next request.
httplib::Server::HandlerResponse refuse_unread(httplib::Response& response, int status, const std::string& message,
                                               const httplib::Request& request) {
  reply_error(response, status, message);
  if (has_body(request)) {
    response.set_header("Connection", "close");
    HttpServer::close_after_response();
  }
  return httplib::Server::HandlerResponse::Handled;
}

std::string default_message(int status, const httplib::Request& request, const ServiceOptions& options) {
  switch (status) {
    case 400:
      if (request.is_multipart_form_data()) {
        if (request.get_header_value("Content-Type").find("boundary=") == std::string::npos)
          return "Content-Type: multipart/form-data without a boundary parameter";
        return "body: malformed or truncated multipart/form-data";
      }
      return "malformed HTTP request";
    case 404:
      return "no such endpoint: " + request.path;
    case 413:
      return "body: larger than the limit of " + std::to_string(options.max_body_bytes) + " bytes (--max-body-mb)";
    case 414:
      return "request line too long";
    case 416:
      return "bad Range header";
    default:
      return "request refused (HTTP status " + std::to_string(status) + ")";
  }
}

// A request's text for the log: one line, of bounded length, whatever the client sent.
std::string loggable(const std::string& text) {
  constexpr size_t kMax = 200;
  std::string out;
  for (char c : text.substr(0, kMax)) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7F ? '?' : c;
  return text.size() > kMax ? out + "..." : out;
}

}  // namespace

Service::Service(std::shared_ptr<const ClipModel> model, ServiceOptions options)
    : context_(std::make_unique<ServiceContext>(std::move(model), std::move(options))),
      server_(std::make_unique<HttpServer>(context_->options.connections)) {
  install_routes();
}

Service::~Service() {
  server_.reset();
  context_->batcher.stop();
}

int Service::bind() { return server_->bind_and_listen(context_->options.host, context_->options.port); }

void Service::run() {
  server_->serve();
  context_->batcher.stop();
}

void Service::stop() { server_->stop(); }

std::string Service::process_bytes(std::string_view request) { return server_->process_bytes(request); }

void Service::install_routes() {
  ServiceContext& context = *context_;
  HttpServer& server = *server_;
  server.set_payload_max_length(static_cast<size_t>(context.options.max_body_bytes));

  // Before the body is read: unknown paths, methods, credentials and bodies the service would not read safely
  // (httplib reads a body without a length, or a chunked one, without any limit, and inflates gzip ones).
  server.set_pre_routing_handler([&context](const httplib::Request& request, httplib::Response& response) {
    const Route* route = route_of(request.path);
    if (!route) return refuse_unread(response, 404, "no such endpoint: " + request.path, request);
    if (!allows(*route, request.method)) {
      response.set_header("Allow", route->methods);
      return refuse_unread(response, 405,
                           request.method + " is not allowed on " + request.path + " (allowed: " + route->methods + ")",
                           request);
    }
    const std::string& key = context.options.api_key;
    if (!route->open && !key.empty() && request.get_header_value("Authorization") != "Bearer " + key) {
      response.set_header("WWW-Authenticate", "Bearer");
      return refuse_unread(response, 401, "Authorization: a valid 'Bearer <API key>' is required", request);
    }
    if (request.has_header("Transfer-Encoding"))
      return refuse_unread(response, 411, "Transfer-Encoding: not accepted; send the body with a Content-Length",
                           request);
    if (const std::string encoding = request.get_header_value("Content-Encoding");
        !encoding.empty() && encoding != "identity")
      return refuse_unread(response, 415, "Content-Encoding '" + encoding + "' is not accepted", request);
    if (has_body(request) && request.method != "DELETE" && !request.has_header("Content-Length"))
      return refuse_unread(response, 411, "Content-Length: required", request);
    if (request.has_header("Content-Length") &&
        request.get_header_value<uint64_t>("Content-Length") > static_cast<uint64_t>(context.options.max_body_bytes))
      return refuse_unread(response, 413, default_message(413, request, context.options), request);
    // httplib leaves the body of a GET unread: it must not be taken for the next request.
    if ((request.method == "GET" || request.method == "HEAD") &&
        request.get_header_value<uint64_t>("Content-Length") > 0) {
      response.set_header("Connection", "close");
      HttpServer::close_after_response();
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Answers httplib makes itself (a malformed request or multipart body, a body over the limit) get a JSON body.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([&context](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        reply_error(response, response.status, default_message(response.status, request, context.options));
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
    std::string what = "unknown";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    reply_error(response, 500, "internal error: " + what);
  });

  server.set_logger([&context](const httplib::Request& request, const httplib::Response& response) {
    const double seconds =
        std::chrono::duration<double>(HttpServer::Clock::now() - HttpServer::request_start()).count();
    context.metrics.observe_request(Metrics::endpoint_of(request.path), response.status, seconds);
    if (context.options.log_requests)
      std::fprintf(stderr, "%s %s %s %d %.1f ms\n", request.remote_addr.c_str(), loggable(request.method).c_str(),
                   loggable(request.path).c_str(), response.status, seconds * 1000);
  });

  const auto handle = [&context](Endpoint endpoint) {
    return [&context, endpoint](const httplib::Request& request, httplib::Response& response) {
      try {
        endpoint(context, request, response);
      } catch (const HttpError& e) {
        reply_error(response, e.status(), e.what());
      } catch (const QueueFull& e) {
        response.set_header("Retry-After", "1");
        reply_error(response, 503, e.what());
      } catch (const Error& e) {
        reply_error(response, 500, e.what());
      } catch (const std::bad_alloc&) {
        reply_error(response, 503, "out of memory: retry later");
      }
    };
  };
  server.Get("/", handle(web_page_endpoint));
  server.Get("/v1/health", handle(health_endpoint));
  server.Get("/metrics", handle(metrics_endpoint));
  server.Post("/v1/detect", handle(detect_endpoint));
  server.Get("/v1/banks", handle(list_banks_endpoint));
  server.Post("/v1/banks", handle(create_bank_endpoint));
  server.Delete(R"(/v1/banks/[^/]+)", handle(delete_bank_endpoint));
}

}  // namespace winclip::serve
