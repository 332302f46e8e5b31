#pragma once
// The handlers of the API (docs/serve.md). Each throws HttpError for a request it refuses and QueueFull when the
// engine's queue cannot take the images; the service turns both into answers.
#include <httplib.h>

#include "serve/service_context.hpp"

namespace winclip::serve {

void health_endpoint(ServiceContext& context, const httplib::Request& request, httplib::Response& response);
void detect_endpoint(ServiceContext& context, const httplib::Request& request, httplib::Response& response);
void create_bank_endpoint(ServiceContext& context, const httplib::Request& request, httplib::Response& response);
void list_banks_endpoint(ServiceContext& context, const httplib::Request& request, httplib::Response& response);
void delete_bank_endpoint(ServiceContext& context, const httplib::Request& request, httplib::Response& response);
void metrics_endpoint(ServiceContext& context, const httplib::Request& request, httplib::Response& response);
void web_page_endpoint(ServiceContext& context, const httplib::Request& request, httplib::Response& response);

}  // namespace winclip::serve
