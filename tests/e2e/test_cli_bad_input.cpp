// Bad images among good ones: `winclip detect` scores the others, reports each failure with its reason in
// results.json and on the terminal, and exits 1. (Every other bad input, each with its message and exit code,
// is in the table of tests/e2e/test_robustness_table.cpp and docs/robustness.md.)
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace winclip;
namespace fs = std::filesystem;

TEST(CliBadInput, DetectKeepsGoingPastABadImageAndPrintsItsReason) {
  test::TempDir tmp;
  const fs::path good = test::data_path("winclip/images/test_0_good.png");
  test::write_bytes(tmp / "broken.png", "\x89PNG\r\n\x1a\nnot really");
  const auto r = test::run_cli({"detect", "--model", test::model_dir().string(), "--class", "metal_nut", "--out",
                                (tmp / "out").string(), good.string(), (tmp / "broken.png").string(),
                                test::data_path("winclip/images/test_1_crack.png").string(), (tmp / "gone.png").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto results = nlohmann::json::parse(test::read_bytes(tmp / "out" / "results.json"));
  ASSERT_EQ(results["images"].size(), 4u);
  EXPECT_TRUE(results["images"][0]["score"].is_number());
  EXPECT_TRUE(results["images"][1]["score"].is_null());
  const std::string reason = results["images"][1]["error"].get<std::string>();
  EXPECT_NE(reason.find("broken.png"), std::string::npos);
  EXPECT_TRUE(results["images"][2]["score"].is_number());
  EXPECT_TRUE(fs::exists(tmp / "out" / "maps" / "test_1_crack.npy"));

  // The terminal's result lines give the same reasons as results.json, one line per image in order.
  std::vector<std::string> lines;
  std::istringstream out(r.out);
  for (std::string line; std::getline(out, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[1], "error       " + reason) << r.out;
  EXPECT_EQ(lines[3], "error       " + results["images"][3]["error"].get<std::string>()) << r.out;
  EXPECT_NE(lines[3].find((tmp / "gone.png").string() + ": no such file"), std::string::npos) << r.out;
  EXPECT_NE(lines[0].find(good.string()), std::string::npos) << r.out;
}
