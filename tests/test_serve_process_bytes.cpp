// The service answering raw request bytes without a socket (Service::process_bytes): the entry point of the
// fuzz targets, which must give the same answers as the server does over TCP.
#include <gtest/gtest.h>

#include "serve/service.hpp"
#include "test_support.hpp"

using namespace winclip;

namespace {

serve::Service& service() {
  static test::TempDir dir;
  static serve::Service instance = [] {
    serve::ServiceOptions options;
    options.bank_dir = dir / "banks";
    options.log_requests = false;
    return serve::Service(ClipModel::load(test::model_dir()), options);
  }();
  return instance;
}

std::string answer(const std::string& request) { return service().process_bytes(request); }

}  // namespace

TEST(ServeProcessBytes, AnswersLikeTheServer) {
  const std::string health = answer("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(health.rfind("HTTP/1.1 200 ", 0), 0u) << health;
  EXPECT_NE(health.find("\"status\":\"ok\""), std::string::npos) << health;
  EXPECT_EQ(answer("GET /v1/detect HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405 ", 0), 0u);
  EXPECT_EQ(answer("nonsense\r\n\r\n").rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_EQ(answer(""), "");  // nothing arrived: nothing to answer
  const std::string body =
      "--B\r\nContent-Disposition: form-data; name=\"class\"\r\n\r\nbottle\r\n--B\r\nContent-Dispo";
  const std::string truncated = answer(
      "POST /v1/detect HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=B\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(truncated.rfind("HTTP/1.1 400 ", 0), 0u) << truncated;
  EXPECT_NE(truncated.find("multipart"), std::string::npos) << truncated;
  const std::string chunked =
      answer("POST /v1/detect HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.rfind("HTTP/1.1 411 ", 0), 0u) << chunked;
}
