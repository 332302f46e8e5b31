// `winclip serve`'s API as a client sees it (issue 14's contract): health, detection by multipart and by raw
// body with the same scores, maps and pictures as `winclip detect`, references, banks, the API key, metrics.
#include <gtest/gtest.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "e2e/serve_process.hpp"
#include "test_support.hpp"
#include "winclip/npy.hpp"

using namespace winclip;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

fs::path sample(const std::string& name) { return test::data_path("../../samples/" + name); }

httplib::MultipartFormData image_part(const std::string& name, const std::string& field = "image") {
  return {field, test::read_bytes(sample(name)), fs::path(name).filename().string(), "image/png"};
}
httplib::MultipartFormData field(const std::string& name, const std::string& value) { return {name, value, "", ""}; }

int status(const httplib::Result& r) { return r ? r->status : 0; }

Json json_of(const httplib::Result& r) {
  EXPECT_TRUE(r) << "no answer: " << httplib::to_string(r.error());
  if (!r) return Json();
  return Json::parse(r->body);
}

std::vector<float> map_floats(const Json& map) {
  const auto bytes = test::base64_decode(map["data"].get<std::string>());
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

std::string decoded(const Json& base64) {
  const auto bytes = test::base64_decode(base64.get<std::string>());
  return std::string(bytes.begin(), bytes.end());
}

// Runs `winclip detect` with `args` into DIR and returns its results.json.
Json cli_detect(const fs::path& cache, const fs::path& out, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"detect", "--model",   test::model_dir().string(), "--cache-dir", cache.string(),
                                  "--out",  out.string()};
  all.insert(all.end(), args.begin(), args.end());
  const auto r = test::run_cli(all);
  EXPECT_TRUE(r.exit_code == 0) << r.err;
  return Json::parse(test::read_bytes(out / "results.json"));
}

}  // namespace

TEST(Serve, HealthNamesTheModel) {
  test::TempDir tmp;
  test::ServeProcess server(tmp.path(), {"--bank-dir", (tmp / "banks").string()});
  ASSERT_TRUE(server.started());
  const Json health = json_of(server.client().Get("/v1/health"));
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["precision"], "fp32");
  EXPECT_EQ(health["image_size"], 240);
  EXPECT_FALSE(health["model"].get<std::string>().empty());
  // One log line per request on stderr, written just after the answer.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.stderr_text().find("GET /v1/health 200") == std::string::npos &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_NE(server.stderr_text().find("GET /v1/health 200"), std::string::npos) << server.stderr_text();
}

TEST(Serve, MultipartDetectionEqualsTheCliInUploadOrder) {
  test::TempDir tmp;
  test::ServeProcess server(tmp.path(), {"--bank-dir", (tmp / "banks").string()});
  ASSERT_TRUE(server.started());
  // Not in name order: the answer keeps the upload order.
  const std::vector<std::string> names = {"nut_stain.png", "nut_good.png", "nut_scratch.png"};
  httplib::MultipartFormDataItems items = {field("class", "metal_nut"), field("threshold", "0.5"),
                                           field("outputs", "map,overlay,mask")};
  for (const auto& n : names) items.push_back(image_part(n));
  const auto r = server.client().Post("/v1/detect", items);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const Json answer = Json::parse(r->body);
  EXPECT_EQ(answer["class"], "metal_nut");
  EXPECT_EQ(answer["shots"], 0);
  EXPECT_EQ(answer["templates"], "paper");
  EXPECT_EQ(answer["threshold"], 0.5);
  EXPECT_EQ(answer["threshold_source"], "argument");
  EXPECT_FALSE(answer.contains("model_path"));

  std::vector<std::string> cli_args = {"--class", "metal_nut", "--threshold", "0.5"};
  for (const auto& n : names) cli_args.push_back(sample(n).string());
  const Json cli = cli_detect(tmp.path(), tmp / "cli", cli_args);
  ASSERT_EQ(answer["images"].size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    const Json& got = answer["images"][i];
    const Json& want = cli["images"][i];
    EXPECT_EQ(got["name"], names[i]);
    EXPECT_NEAR(got["score"].get<double>(), want["score"].get<double>(), 1e-6) << names[i];
    EXPECT_EQ(got["anomalous"], want["anomalous"]);
    EXPECT_EQ(got["map"]["width"], 240);
    EXPECT_EQ(got["map"]["height"], 240);
    EXPECT_EQ(got["map"]["dtype"], "float32");
    const std::vector<float> map = map_floats(got["map"]);
    const Tensor cli_map = read_npy(tmp / "cli" / want["map"].get<std::string>());
    ASSERT_EQ(map.size(), static_cast<size_t>(cli_map.numel()));
    EXPECT_LE(test::max_abs_diff(map.data(), cli_map.ptr(), map.size()), 1e-6) << names[i];
    EXPECT_EQ(decoded(got["overlay_png"]), test::read_bytes(tmp / "cli" / want["overlay"].get<std::string>()));
    EXPECT_EQ(decoded(got["mask_png"]), test::read_bytes(tmp / "cli" / want["mask"].get<std::string>()));
  }
}

TEST(Serve, RawBodyWithQueryParametersScoresOneImage) {
  test::TempDir tmp;
  test::ServeProcess server(tmp.path(), {"--bank-dir", (tmp / "banks").string()});
  ASSERT_TRUE(server.started());
  auto client = server.client();
  const auto raw =
      client.Post("/v1/detect?class=metal_nut&name=cam1.png", test::read_bytes(sample("nut_scratch.png")), "image/png");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  const Json one = Json::parse(raw->body);
  ASSERT_EQ(one["images"].size(), 1u);
  EXPECT_EQ(one["images"][0]["name"], "cam1.png");
  EXPECT_TRUE(one["images"][0]["anomalous"].is_null());  // no threshold
  EXPECT_FALSE(one["images"][0].contains("overlay_png"));
  const Json multi = json_of(client.Post(
      "/v1/detect", httplib::MultipartFormDataItems{field("class", "metal_nut"), image_part("nut_scratch.png")}));
  EXPECT_EQ(one["images"][0]["score"], multi["images"][0]["score"]);
}

TEST(Serve, ReferencesGiveWinClipPlusAsTheCli) {
  test::TempDir tmp;
  test::ServeProcess server(tmp.path(), {"--bank-dir", (tmp / "banks").string()});
  ASSERT_TRUE(server.started());
  const Json answer = json_of(server.client().Post(
      "/v1/detect", {field("class", "metal_nut"), field("templates", "anomalib"), field("raw_class_name", "true"),
                     image_part("nut_scratch.png"), image_part("nut_good.png"), image_part("ref/nut_ref_0.png", "ref"),
                     image_part("ref/nut_ref_1.png", "ref")}));
  EXPECT_EQ(answer["shots"], 2);
  EXPECT_EQ(answer["templates"], "anomalib");
  const Json cli = cli_detect(tmp.path(), tmp / "cli",
                              {"--class", "metal_nut", "--templates", "anomalib", "--raw-class-name", "--ref",
                               sample("ref/nut_ref_0.png").string(), "--ref", sample("ref/nut_ref_1.png").string(),
                               sample("nut_scratch.png").string(), sample("nut_good.png").string()});
  ASSERT_EQ(answer["images"].size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_NEAR(answer["images"][i]["score"].get<double>(), cli["images"][i]["score"].get<double>(), 1e-6);
}

TEST(Serve, BanksAreStoredListedUsedDeletedAndSurviveARestart) {
  test::TempDir tmp;
  const std::vector<std::string> args = {"--bank-dir", (tmp / "banks").string()};
  Json first_score;
  {
    test::ServeProcess server(tmp.path(), args);
    ASSERT_TRUE(server.started());
    auto client = server.client();
    const auto created =
        client.Post("/v1/banks", httplib::MultipartFormDataItems{field("name", "nut-1"), field("class", "metal_nut"),
                                                                 image_part("ref/nut_ref_0.png", "ref"),
                                                                 image_part("ref/nut_ref_1.png", "ref")});
    ASSERT_TRUE(created);
    ASSERT_EQ(created->status, 201) << created->body;
    EXPECT_EQ(Json::parse(created->body), (Json{{"name", "nut-1"}, {"class", "metal_nut"}, {"shots", 2}}));
    const Json list = json_of(client.Get("/v1/banks"));
    ASSERT_EQ(list["banks"].size(), 1u);
    EXPECT_EQ(list["banks"][0]["name"], "nut-1");
    EXPECT_EQ(list["banks"][0]["shots"], 2);
    const Json used = json_of(client.Post(
        "/v1/detect", httplib::MultipartFormDataItems{field("bank", "nut-1"), image_part("nut_stain.png")}));
    EXPECT_EQ(used["shots"], 2);
    EXPECT_EQ(used["class"], "metal_nut");
    first_score = used["images"][0]["score"];
    // The same references given with the request: the same detector.
    const Json refs = json_of(client.Post(
        "/v1/detect", httplib::MultipartFormDataItems{field("class", "metal_nut"), image_part("nut_stain.png"),
                                                      image_part("ref/nut_ref_0.png", "ref"),
                                                      image_part("ref/nut_ref_1.png", "ref")}));
    EXPECT_EQ(refs["images"][0]["score"], first_score);
    const auto other_class = client.Post(
        "/v1/detect",
        httplib::MultipartFormDataItems{field("bank", "nut-1"), field("class", "bottle"), image_part("nut_stain.png")});
    ASSERT_TRUE(other_class);
    EXPECT_EQ(other_class->status, 400);
    EXPECT_NE(other_class->body.find("class"), std::string::npos);
  }
  // The bank file is `winclip bank build`'s format: `winclip detect --bank` uses it.
  const Json cli = cli_detect(tmp.path(), tmp / "cli",
                              {"--bank", (tmp / "banks" / "nut-1.bank").string(), sample("nut_stain.png").string()});
  EXPECT_NEAR(cli["images"][0]["score"].get<double>(), first_score.get<double>(), 1e-6);

  test::ServeProcess restarted(tmp.path(), args);
  ASSERT_TRUE(restarted.started());
  auto client = restarted.client();
  EXPECT_EQ(json_of(client.Get("/v1/banks"))["banks"].size(), 1u);
  const Json again = json_of(
      client.Post("/v1/detect", httplib::MultipartFormDataItems{field("bank", "nut-1"), image_part("nut_stain.png")}));
  EXPECT_EQ(again["images"][0]["score"], first_score);
  const auto deleted = client.Delete("/v1/banks/nut-1");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 204);
  EXPECT_FALSE(fs::exists(tmp / "banks" / "nut-1.bank"));
  const auto missing = client.Delete("/v1/banks/nut-1");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(Json::parse(missing->body)["error"].get<std::string>().find("nut-1"), std::string::npos);
  EXPECT_EQ(json_of(client.Get("/v1/banks"))["banks"].size(), 0u);
  const auto unknown =
      client.Post("/v1/detect", httplib::MultipartFormDataItems{field("bank", "nut-1"), image_part("nut_stain.png")});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(Json::parse(unknown->body)["error"].get<std::string>().rfind("bank: ", 0), 0u) << unknown->body;
}

TEST(Serve, ApiKeyGuardsTheApiButNotHealthOrMetrics) {
  test::TempDir tmp;
  for (const bool from_environment : {false, true}) {
    std::vector<std::string> args = {"--bank-dir", (tmp / "banks").string()};
    std::map<std::string, std::string> env;
    if (from_environment)
      env["WINCLIP_API_KEY"] = "s3cret";
    else
      args.insert(args.end(), {"--api-key", "s3cret"});
    test::ServeProcess server(tmp.path(), args, env);
    ASSERT_TRUE(server.started());
    auto client = server.client();
    EXPECT_EQ(status(client.Get("/v1/health")), 200);
    EXPECT_EQ(status(client.Get("/metrics")), 200);
    const httplib::MultipartFormDataItems items = {field("class", "metal_nut"), image_part("nut_good.png")};
    const auto refused = client.Post("/v1/detect", items);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
    EXPECT_NE(Json::parse(refused->body)["error"].get<std::string>().find("Authorization"), std::string::npos);
    EXPECT_EQ(status(client.Get("/v1/banks")), 401);
    EXPECT_EQ(status(client.Post("/v1/detect", httplib::Headers{{"Authorization", "Bearer wrong"}}, items)), 401);
    EXPECT_EQ(status(client.Post("/v1/detect", httplib::Headers{{"Authorization", "Bearer s3cret"}}, items)), 200);
    EXPECT_EQ(status(client.Get("/v1/banks", {{"Authorization", "Bearer s3cret"}})), 200);
  }
}

TEST(Serve, MetricsCountRequestsImagesAndBatches) {
  test::TempDir tmp;
  test::ServeProcess server(tmp.path(), {"--bank-dir", (tmp / "banks").string()});
  ASSERT_TRUE(server.started());
  auto client = server.client();
  const auto value = [&](const std::string& series) -> double {
    const auto r = client.Get("/metrics");
    if (!r) return -1;
    const size_t at = r->body.find("\n" + series + " ");
    if (at == std::string::npos) return 0;
    return std::stod(r->body.substr(at + series.size() + 2));
  };
  const auto r = client.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(r->body.find("# TYPE winclip_request_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(r->body.find("# TYPE winclip_queue_depth gauge"), std::string::npos);
  const double images = value("winclip_images_scored_total"), batches = value("winclip_batch_size_count");
  const std::string detect_200 = R"(winclip_requests_total{endpoint="/v1/detect",code="200"})";
  const double detects = value(detect_200);
  ASSERT_EQ(status(client.Post("/v1/detect",
                               httplib::MultipartFormDataItems{field("class", "metal_nut"), image_part("nut_good.png"),
                                                               image_part("nut_stain.png")})),
            200);
  EXPECT_EQ(value("winclip_images_scored_total"), images + 2);
  EXPECT_GE(value("winclip_batch_size_count"), batches + 1);
  EXPECT_EQ(value(detect_200), detects + 1);
  EXPECT_GE(value("winclip_request_duration_seconds_count"), 4);
  EXPECT_EQ(value("winclip_queue_depth"), 0);
}
