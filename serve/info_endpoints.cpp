// GET /v1/health, GET /metrics and GET / (the web page, assets/web/index.html).
#include <fstream>
#include <sstream>

#include "core/assets.hpp"
#include "serve/endpoints.hpp"
#include "serve/http_error.hpp"
#include "serve/json_reply.hpp"
#include "winclip/error.hpp"

namespace winclip::serve {

void health_endpoint(ServiceContext& context, const httplib::Request&, httplib::Response& response) {
  const ClipModel& model = *context.model;
  reply_json(response, 200,
             {{"status", "ok"},
              {"model", model.config().name},
              {"precision", precision_name(model.precision())},
              {"image_size", model.image_size()}});
}

void metrics_endpoint(ServiceContext& context, const httplib::Request&, httplib::Response& response) {
  response.status = 200;
  response.set_content(context.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
}

void web_page_endpoint(ServiceContext&, const httplib::Request&, httplib::Response& response) {
  // Read for each request: the page is small, and an updated installation serves its new page at once.
  std::filesystem::path page;
  try {
    page = asset_path("web/index.html");
  } catch (const Error& e) {
    throw HttpError(404, std::string("the web page is not installed: ") + e.what());
  }
  std::ifstream in(page, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) throw HttpError(404, page.string() + ": cannot read the web page");
  response.status = 200;
  response.set_content(text.str(), "text/html; charset=utf-8");
}

}  // namespace winclip::serve
