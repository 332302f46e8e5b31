// The README's Quick start, run as written: the commands are read from README.md itself, so the test follows
// any change to them. Two substitutions make them runnable here: --model names the tiny test model (and
// XDG_CACHE_HOME a temporary cache), and /data/mvtec a small synthetic MVTec-AD. `fetch` needs the network;
// it is tested against a local hub in test_fetch.cpp.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"
#include "winclip/overlay.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

// The lines of the first sh block under "## Quick start", without comments and blank lines.
std::vector<std::string> quick_start_lines() {
  std::ifstream in(test::data_path("../../README.md"));
  std::vector<std::string> lines;
  std::string line;
  bool in_section = false, in_block = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## Quick start";
    if (!in_section) continue;
    if (line.rfind("```", 0) == 0) {
      if (in_block) break;
      in_block = true;
      continue;
    }
    if (!in_block) continue;
    const auto comment = line.find('#');
    if (comment != std::string::npos) line = line.substr(0, comment);
    if (!trim(line).empty()) lines.push_back(trim(line));
  }
  return lines;
}

nlohmann::json read_json(const fs::path& path) { return nlohmann::json::parse(test::read_bytes(path)); }

}  // namespace

TEST(ReadmeQuickStart, CommandsRunAsWritten) {
  const std::vector<std::string> lines = quick_start_lines();
  ASSERT_FALSE(lines.empty()) << "README.md has no sh block under \"## Quick start\"";
  ASSERT_EQ(lines.front(), "B=build/winclip");

  test::TempDir dir;
  fs::create_directories(dir / "photos");
  fs::create_directories(dir / "good");
  write_png(dir / "photos" / "a.png", test::texture(64, 64, 1));
  write_png(dir / "photos" / "b.png", test::with_defect(test::texture(64, 64, 2), test::defect_for(0, 64, 64)));
  write_png(dir / "good" / "001.png", test::texture(64, 64, 3));
  write_png(dir / "good" / "002.png", test::texture(64, 64, 4));
  // Other normals for `bank calibrate --target-fpr 0.1`, which needs at least 29.
  fs::create_directories(dir / "more_good");
  for (int i = 0; i < 30; ++i) write_png(dir / "more_good" / (test::numbered(i) + ".png"), test::texture(64, 64, 10 + i));
  const fs::path mvtec = dir / "mvtec";
  test::make_mvtec_category(mvtec, "bottle", {.train = 2, .good = 1, .defects = {"broken"}, .per_defect = 1});

  const std::string setup = "B=" + test::shell_quote(test::cli_path().string()) +
                            "; export XDG_CACHE_HOME=" + test::shell_quote((dir / "cache").string()) + "\n";
  int ran = 0;
  bool calibrated = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string command = lines[i];
    SCOPED_TRACE(command);
    ASSERT_EQ(command.rfind("$B ", 0), 0u) << "a Quick start command that does not run $B";
    if (command.rfind("$B fetch", 0) == 0) continue;
    test::replace_all(command, "/data/mvtec", test::shell_quote(mvtec.string()));
    // `bank info` reads only the bank file: it takes no model.
    if (command.rfind("$B bank info", 0) != 0) command += " --model " + test::shell_quote(test::model_dir().string());
    const auto r = test::run_shell(setup + command, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ++ran;
    if (command.find("bank calibrate") != std::string::npos) calibrated = true;

    const std::string subcommand = command.substr(3, command.find(' ', 3) - 3);
    if (subcommand == "detect") {
      const auto results = read_json(dir / "out/bottles/results.json");
      ASSERT_EQ(results["images"].size(), 2u);
      EXPECT_EQ(fs::path(results["images"][0]["path"].get<std::string>()).filename(), "a.png");
      EXPECT_EQ(fs::path(results["images"][1]["path"].get<std::string>()).filename(), "b.png");
      const bool few_shot = command.find("--ref") != std::string::npos || command.find("--bank") != std::string::npos;
      EXPECT_EQ(results["shots"], few_shot ? 2 : 0);
      EXPECT_TRUE(fs::exists(dir / "out/bottles/overlays/b.png"));
      // The Quick start calibrates the bank before its last detect, which then takes the bank's thresholds.
      if (command.find("--bank") != std::string::npos && calibrated) {
        EXPECT_EQ(results["threshold_source"], "bank");
      }
    } else if (subcommand == "bank") {
      EXPECT_TRUE(fs::exists(dir / "bottle.bank"));
    } else if (subcommand == "eval") {
      const auto metrics = read_json(dir / "out/mvtec-1shot/metrics.json");
      EXPECT_EQ(metrics["shots"], 1);
      EXPECT_TRUE(metrics["categories"].contains("bottle"));
    } else {
      ADD_FAILURE() << "no check for `" << subcommand << "`: add one here";
    }
  }
  EXPECT_EQ(ran, 8) << "the Quick start's commands changed: check that this test still covers them";
}
