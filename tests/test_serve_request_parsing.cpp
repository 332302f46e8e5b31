// How the service reads a request (serve/request_parsing): fields, files in upload order, and a 400 naming the
// field (or 415 for the content type) for everything it refuses. Pure functions: no server involved.
#include <gtest/gtest.h>

#include <functional>

#include "serve/http_error.hpp"
#include "serve/request_parsing.hpp"

using namespace winclip;
using namespace winclip::serve;

namespace {

httplib::MultipartFormData file(const std::string& name, const std::string& filename, const std::string& content) {
  return {name, content, filename, "image/png"};
}
httplib::MultipartFormData text(const std::string& name, const std::string& value) { return {name, value, "", ""}; }

httplib::Request multipart(const std::vector<httplib::MultipartFormData>& parts) {
  httplib::Request r;
  r.method = "POST";
  r.set_header("Content-Type", "multipart/form-data; boundary=xyz");
  for (const auto& p : parts) r.files.emplace(p.name, p);
  return r;
}

// The HttpError a parse throws: its status and message; fails the test if none is thrown.
std::pair<int, std::string> refusal(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const HttpError& e) {
    return {e.status(), e.what()};
  }
  ADD_FAILURE() << "not refused";
  return {0, ""};
}

void expect_bad_field(const httplib::Request& request, const std::string& field) {
  const auto [status, message] = refusal([&] { parse_detect_request(request); });
  EXPECT_EQ(status, 400) << message;
  EXPECT_EQ(message.rfind(field + ": ", 0), 0u) << "'" << message << "' does not start with the field " << field;
}

}  // namespace

TEST(ServeRequestParsing, MultipartFieldsAndImagesInUploadOrder) {
  // Uploads view the request's bytes (no copy of an image), so the request outlives the parsed form.
  const httplib::Request request =
      multipart({file("image", "b.png", "B"), text("class", "metal_nut"), file("ref", "", "R"),
                 file("image", "a.png", "A"), text("templates", "anomalib"), text("raw_class_name", "true"),
                 text("threshold", "0.25"), text("outputs", "overlay, mask"), file("image", "", "C")});
  const auto r = parse_detect_request(request);
  ASSERT_EQ(r.images.size(), 3u);
  EXPECT_EQ(r.images[0].name, "b.png");
  EXPECT_EQ(r.images[1].name, "a.png");
  EXPECT_EQ(r.images[2].name, "image-3");  // no file name: named by its place
  EXPECT_EQ(r.images[1].bytes, "A");
  ASSERT_EQ(r.refs.size(), 1u);
  EXPECT_EQ(r.refs[0].name, "ref-1");
  EXPECT_EQ(r.class_name, "metal_nut");
  EXPECT_EQ(r.templates, TemplateSet::Anomalib);
  EXPECT_TRUE(r.raw_class_name);
  EXPECT_EQ(r.threshold, 0.25);
  EXPECT_FALSE(r.outputs.map);
  EXPECT_TRUE(r.outputs.overlay);
  EXPECT_TRUE(r.outputs.mask);
}

TEST(ServeRequestParsing, DefaultsAndBankWithoutClass) {
  const auto r = parse_detect_request(multipart({file("image", "x.png", "X"), text("bank", "nut-1.v2")}));
  EXPECT_EQ(r.bank, "nut-1.v2");
  EXPECT_EQ(r.class_name, "");
  EXPECT_EQ(r.templates, TemplateSet::Paper);
  EXPECT_FALSE(r.raw_class_name);
  EXPECT_FALSE(r.threshold.has_value());
  EXPECT_TRUE(r.outputs.map);
  EXPECT_FALSE(r.outputs.overlay);
}

TEST(ServeRequestParsing, RawImageBodyTakesTheFieldsFromTheQuery) {
  httplib::Request request;
  request.method = "POST";
  request.set_header("Content-Type", "image/PNG");
  request.body = "PNGBYTES";
  request.params = {{"class", "bottle"}, {"threshold", "1e-1"}, {"name", "cam7.png"}};
  const auto r = parse_detect_request(request);
  ASSERT_EQ(r.images.size(), 1u);
  EXPECT_EQ(r.images[0].name, "cam7.png");
  EXPECT_EQ(r.images[0].bytes, "PNGBYTES");
  EXPECT_EQ(r.class_name, "bottle");
  EXPECT_EQ(r.threshold, 0.1);
  request.params = {{"class", "bottle"}, {"ref", "x"}};  // references only come as files
  const auto [status, message] = refusal([&] { parse_detect_request(request); });
  EXPECT_EQ(status, 400);
  EXPECT_NE(message.find("unknown field 'ref'"), std::string::npos) << message;
}

TEST(ServeRequestParsing, OtherContentTypesAre415) {
  for (const std::string type : {"text/plain", "application/json", "", "image/gif"}) {
    httplib::Request request;
    request.method = "POST";
    if (!type.empty()) request.set_header("Content-Type", type);
    request.params = {{"class", "bottle"}};
    const auto [status, message] = refusal([&] { parse_detect_request(request); });
    EXPECT_EQ(status, 415) << type;
    EXPECT_NE(message.find("Content-Type"), std::string::npos) << message;
  }
}

TEST(ServeRequestParsing, EachBadFieldIsNamed) {
  const auto image = file("image", "x.png", "X");
  expect_bad_field(multipart({image}), "class");
  expect_bad_field(multipart({image, text("class", "")}), "class");
  expect_bad_field(multipart({image, text("class", std::string(kMaxClassNameBytes + 1, 'a'))}), "class");
  expect_bad_field(multipart({text("class", "bottle")}), "image");
  expect_bad_field(multipart({image, text("class", "bottle"), text("templates", "clip")}), "templates");
  expect_bad_field(multipart({image, text("class", "bottle"), text("raw_class_name", "yes")}), "raw_class_name");
  for (const std::string bad : {"abc", "", "0.5x", "nan", "inf", "1e999"})
    expect_bad_field(multipart({image, text("class", "bottle"), text("threshold", bad)}), "threshold");
  expect_bad_field(multipart({image, text("class", "bottle"), text("outputs", "map,heatmap")}), "outputs");
  expect_bad_field(multipart({image, text("bank", "../etc/passwd")}), "bank");
  expect_bad_field(multipart({image, text("class", "a"), text("class", "b")}), "class");
  auto twice = multipart({image, text("class", "a")});
  twice.params = {{"class", "b"}};  // a field as a part and as a query parameter
  expect_bad_field(twice, "class");
  const auto [status, message] = refusal([&] {
    parse_detect_request(multipart({image, text("class", "a"), text("clas", "b")}));
  });
  EXPECT_EQ(status, 400);
  EXPECT_NE(message.find("unknown field 'clas'"), std::string::npos) << message;
}

TEST(ServeRequestParsing, BankRequests) {
  const auto r =
      parse_bank_request(multipart({text("name", "nut"), text("class", "metal_nut"), file("ref", "a.png", "A"),
                                    file("ref", "b.png", "B"), text("templates", "anomalib")}));
  EXPECT_EQ(r.name, "nut");
  EXPECT_EQ(r.class_name, "metal_nut");
  EXPECT_EQ(r.templates, TemplateSet::Anomalib);
  ASSERT_EQ(r.refs.size(), 2u);
  EXPECT_EQ(r.refs[1].name, "b.png");
  const auto ref = file("ref", "a.png", "A");
  for (const auto& [parts, field] : std::vector<std::pair<std::vector<httplib::MultipartFormData>, std::string>>{
           {{text("class", "x"), ref}, "name"},
           {{text("name", ".hidden"), text("class", "x"), ref}, "name"},
           {{text("name", std::string(65, 'a')), text("class", "x"), ref}, "name"},
           {{text("name", "n"), ref}, "class"},
           {{text("name", "n"), text("class", "x")}, "ref"}}) {
    const auto [status, message] = refusal([&] { parse_bank_request(multipart(parts)); });
    EXPECT_EQ(status, 400);
    EXPECT_EQ(message.rfind(field + ": ", 0), 0u) << message;
  }
  httplib::Request raw;
  raw.set_header("Content-Type", "image/png");
  EXPECT_EQ(refusal([&] { parse_bank_request(raw); }).first, 415);
}

TEST(ServeRequestParsing, BankNames) {
  for (const std::string& good : std::vector<std::string>{"a", "Nut_2", "bottle.v1-final", std::string(64, 'z')})
    EXPECT_TRUE(valid_bank_name(good)) << good;
  for (const std::string& bad :
       std::vector<std::string>{"", "-a", ".a", "_a", "a/b", "a b", "..", std::string(65, 'z'), "é"})
    EXPECT_FALSE(valid_bank_name(bad)) << bad;
}
