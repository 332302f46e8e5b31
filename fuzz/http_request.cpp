// The service's HTTP request handling (`winclip serve`, serve/): a raw request — request line, headers, a body
// by Content-Length or chunked, multipart/form-data or a raw image, query parameters — through httplib's parser
// as HttpServer::process_bytes runs it for a connection, then the service's reading of what was asked
// (parse_detect_request, parse_bank_request). A request may be refused (HttpError: 400 naming the field, 415
// for the content type); nothing may crash the server or escape as another exception.
// fuzz dictionary: http.dict
#include <optional>

#include "serve/http_error.hpp"
#include "serve/http_server.hpp"
#include "serve/request_parsing.hpp"
#include "support/fuzz_target.hpp"

using namespace winclip;

namespace {

// What a handler saw go wrong: httplib turns an exception escaping a handler into a 500 answer, so the
// handlers record it and the target reports it once the request is answered.
std::optional<std::string> handler_violation;

// An upload points into the request: into its body or into one part's content.
bool inside(std::string_view upload, const httplib::Request& request) {
  auto within = [&](const std::string& whole) {
    return upload.empty() ||
           (upload.data() >= whole.data() && upload.data() + upload.size() <= whole.data() + whole.size());
  };
  if (within(request.body)) return true;
  for (const auto& [name, part] : request.files)
    if (within(part.content)) return true;
  return false;
}

void check_uploads(const std::vector<serve::Upload>& uploads, const httplib::Request& request) {
  for (const auto& upload : uploads) {
    fuzz::check(!upload.name.empty(), "an upload without a name");
    fuzz::check(inside(upload.bytes, request), "upload '" + upload.name + "' points outside the request");
  }
}

void check_asked(const serve::DetectRequest& asked, const httplib::Request& request) {
  fuzz::check(!asked.images.empty(), "a detect request without images was accepted");
  fuzz::check(!asked.class_name.empty() || !asked.bank.empty(), "a detect request without class or bank");
  fuzz::check(asked.class_name.size() <= kMaxClassNameBytes, "an over-long class name was accepted");
  check_uploads(asked.images, request);
  check_uploads(asked.refs, request);
}

void check_asked(const serve::BankRequest& asked, const httplib::Request& request) {
  fuzz::check(serve::valid_bank_name(asked.name), "an invalid bank name was accepted");
  fuzz::check(!asked.refs.empty(), "a bank request without references was accepted");
  fuzz::check(asked.class_name.size() <= kMaxClassNameBytes, "an over-long class name was accepted");
  check_uploads(asked.refs, request);
}

template <typename Parse>
httplib::Server::Handler handler(Parse parse) {
  return [parse](const httplib::Request& request, httplib::Response& response) {
    try {
      check_asked(parse(request), request);
      response.status = 200;
    } catch (const serve::HttpError& e) {
      if ((e.status() != 400 && e.status() != 415) && !handler_violation)
        handler_violation = "refused with status " + std::to_string(e.status()) + ": " + e.what();
      response.status = e.status();
    } catch (const std::exception& e) {
      if (!handler_violation) handler_violation = std::string("a handler threw: ") + e.what();
      response.status = 500;
    }
  };
}

// The service's two routes that read uploads, without a model behind them.
serve::HttpServer& server() {
  static serve::HttpServer instance(serve::ConnectionLimits{});
  static const bool routed = [] {
    instance.Post("/v1/detect", handler([](const httplib::Request& r) { return serve::parse_detect_request(r); }));
    instance.Post("/v1/banks", handler([](const httplib::Request& r) { return serve::parse_bank_request(r); }));
    instance.set_payload_max_length(size_t{1} << 20);
    return true;
  }();
  (void)routed;
  return instance;
}

}  // namespace

WINCLIP_FUZZ_TARGET(http_request) {
  handler_violation.reset();
  (void)server().process_bytes(fuzz::as_text(bytes));
  if (handler_violation) throw fuzz::ContractViolation(*handler_violation);
}
