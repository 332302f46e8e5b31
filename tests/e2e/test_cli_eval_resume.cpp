// `winclip eval` stopped by signals part-way and run again: nothing finished is recomputed, no file is left
// half-written, and the results equal those of an uninterrupted run byte for byte.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <cmath>
#include <fstream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"
#include "winclip/npy.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

// Enough images that a run lasts far longer than it takes to notice its first results and signal it.
const test::SyntheticSpec kResumeSpec{.train = 3, .good = 10, .defects = {"hole", "scratch"}, .per_defect = 10};

// `winclip eval` started in the background, its stderr kept in a file.
class BackgroundEval {
 public:
  BackgroundEval(const std::vector<std::string>& args, const fs::path& err_file)
      : pid_(test::start_cli(args, err_file)) {}
  ~BackgroundEval() {
    if (!finished_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }

  bool running() {
    if (finished_) return false;
    finished_ = ::waitpid(pid_, &status_, WNOHANG) == pid_;
    return !finished_;
  }
  void signal(int number) const { ::kill(pid_, number); }
  // Whether a signal sent to the process is still waiting to be delivered (Linux: /proc/<pid>/status).
  bool pending(int number) const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    const uint64_t bit = uint64_t{1} << (number - 1);
    for (std::string line; std::getline(status, line);) {
      const bool pending_list = line.starts_with("SigPnd:") || line.starts_with("ShdPnd:");
      if (pending_list && (std::stoull(line.substr(7), nullptr, 16) & bit)) return true;
    }
    return false;
  }
  int wait() {
    if (!finished_) ::waitpid(pid_, &status_, 0);
    finished_ = true;
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool finished_ = false;
};

// The finished images of the cache: .score file → the inode of it and of its map. A file rewritten
// atomically gets a new inode, so unchanged inodes mean nothing was recomputed.
std::map<fs::path, std::pair<ino_t, ino_t>> finished_images(const fs::path& out) {
  std::map<fs::path, std::pair<ino_t, ino_t>> finished;
  if (!fs::exists(out / "cache")) return finished;
  for (const auto& f : fs::recursive_directory_iterator(out / "cache")) {
    if (f.path().extension() != ".score") continue;
    const fs::path map_file = fs::path(f.path()).replace_extension(".npy");
    struct stat score{}, map{};
    if (::stat(f.path().c_str(), &score) == 0 && ::stat(map_file.c_str(), &map) == 0)
      finished[f.path()] = {score.st_ino, map.st_ino};
  }
  return finished;
}

// Starts the run, and as soon as more than `after` images are finished sends it SIGINT; with `twice`, again
// right after the first was delivered (two signals pending at once would count as one), long before the image
// in progress is done.
int interrupt(const std::vector<std::string>& args, const fs::path& err_file, size_t after, bool twice) {
  BackgroundEval run(args, err_file);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (run.running() && finished_images(args.back()).size() <= after && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  run.signal(SIGINT);
  if (twice) {
    while (run.pending(SIGINT)) std::this_thread::sleep_for(std::chrono::microseconds(50));
    run.signal(SIGINT);
  }
  return run.wait();
}

// Every file the run left reads whole, and no temporary file is left.
void expect_only_complete_files(const fs::path& out, bool temporaries_allowed) {
  for (const auto& f : fs::recursive_directory_iterator(out)) {
    if (!f.is_regular_file()) continue;
    const std::string name = f.path().filename().string();
    if (name.find(".tmp.") != std::string::npos) {
      EXPECT_TRUE(temporaries_allowed) << f.path();
      continue;
    }
    const std::string extension = f.path().extension().string();
    if (extension == ".npy") {
      EXPECT_EQ(read_npy(f.path()).shape, (Shape{240, 240})) << f.path();
    } else if (extension == ".json") {
      EXPECT_TRUE(nlohmann::json::accept(test::read_bytes(f.path()))) << f.path();
    } else if (extension == ".score") {
      const std::string text = test::read_bytes(f.path());
      EXPECT_TRUE(!text.empty() && text.back() == '\n' && std::isfinite(std::stof(text))) << f.path();
    }
  }
}

void expect_kept(const std::map<fs::path, std::pair<ino_t, ino_t>>& before, const fs::path& out) {
  const auto after = finished_images(out);
  for (const auto& [score, inodes] : before) {
    ASSERT_TRUE(after.count(score)) << score;
    EXPECT_EQ(after.at(score), inodes) << score << " was computed again";
  }
}

// One-shot evaluation of the MVTec layout at `root`, one image per batch, maps saved.
std::vector<std::string> eval_args(const fs::path& root, const fs::path& cache, const std::string& seeds,
                                   const fs::path& out) {
  return {"eval", "--model", test::model_dir().string(), "--cache-dir", cache.string(), "--dataset", "mvtec",
          "--root", root.string(), "--shots", "1", "--seeds", seeds, "--batch-size", "1", "--save-maps",
          "--out", out.string()};
}

// The reports, maps and masks of `resumed` are byte for byte those of `whole`.
void expect_same_outputs(const fs::path& whole, const fs::path& resumed) {
  for (const char* file : {"metrics.json", "table.md", "table.csv", "scores.csv", "report.html"})
    EXPECT_EQ(test::read_bytes(resumed / file), test::read_bytes(whole / file)) << file;
  for (const char* folder : {"maps", "masks"})
    for (const auto& f : fs::recursive_directory_iterator(whole / folder)) {
      if (!f.is_regular_file()) continue;
      EXPECT_EQ(test::read_bytes(f.path()), test::read_bytes(resumed / fs::relative(f.path(), whole))) << f.path();
    }
}

}  // namespace

// A double Ctrl-C kills the run at once; a single one lets it stop cleanly after the image in progress
// (exit 130, no temporary file). Each rerun continues from what is cached, down to identical outputs.
TEST(CliEvalResume, InterruptedRunsResumeWithoutRecomputingToIdenticalResults) {
  test::TempDir root, whole, resumed, cache, logs;
  test::make_mvtec_category(root.path(), "bottle", kResumeSpec);
  auto args = [&](const test::TempDir& out) { return eval_args(root.path(), cache.path(), "0,1", out.path()); };
  const auto reference = test::run_cli(args(whole));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const size_t total = finished_images(whole.path()).size();
  ASSERT_EQ(total, 2u * 30u);

  const int killed = interrupt(args(resumed), logs / "killed.err", 5, true);
  ASSERT_TRUE(WIFSIGNALED(killed) && WTERMSIG(killed) == SIGINT) << test::read_bytes(logs / "killed.err");
  expect_only_complete_files(resumed.path(), true);  // only a temporary file may be left by a kill
  const auto first_part = finished_images(resumed.path());
  ASSERT_GT(first_part.size(), 5u);
  ASSERT_LT(first_part.size(), total);
  EXPECT_FALSE(fs::exists(resumed / "metrics.json"));

  const int stopped = interrupt(args(resumed), logs / "stopped.err", first_part.size() + 5, false);
  const std::string err = test::read_bytes(logs / "stopped.err");
  ASSERT_TRUE(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 130) << err;
  EXPECT_NE(err.find("stopping after the images in progress"), std::string::npos) << err;
  EXPECT_NE(err.find("interrupted; finished images are kept in " + resumed.path().string() + "/cache"),
            std::string::npos)
      << err;
  expect_kept(first_part, resumed.path());
  for (const auto& f : fs::recursive_directory_iterator(resumed.path()))  // the killed run's leftovers aside
    if (f.path().filename().string().find(".tmp.") != std::string::npos) fs::remove(f.path());
  expect_only_complete_files(resumed.path(), false);
  const auto second_part = finished_images(resumed.path());
  ASSERT_GT(second_part.size(), first_part.size() + 5);
  ASSERT_LT(second_part.size(), total);

  const auto finished = test::run_cli(args(resumed));
  ASSERT_EQ(finished.exit_code, 0) << finished.err;
  expect_kept(second_part, resumed.path());
  expect_same_outputs(whole.path(), resumed.path());
}

namespace {

// Starts the run and kills it with SIGKILL, which no handler can delay, as soon as `ready` holds; the wait
// status. A run that finishes first is not killed.
int kill_when(const std::vector<std::string>& args, const fs::path& err_file, const std::function<bool()>& ready) {
  BackgroundEval run(args, err_file);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (run.running() && !ready() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  run.signal(SIGKILL);
  return run.wait();
}

bool killed(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }

}  // namespace

// kill -9 after the first cache entry, in the middle, while the first category's outputs are written, and once
// the last entry is there (the reports being written): every rerun keeps what was finished, and the last one
// ends with exactly the outputs of a run never interrupted.
TEST(CliEvalResume, KilledWithSigkillAtAnyPointResumesToIdenticalResults) {
  test::TempDir root, whole, resumed, cache, logs;
  const test::SyntheticSpec spec{.train = 3, .good = 6, .defects = {"hole"}, .per_defect = 6};
  test::make_mvtec_category(root.path(), "bottle", spec);
  test::make_mvtec_category(root.path(), "cable", spec);
  auto args = [&](const test::TempDir& out) { return eval_args(root.path(), cache.path(), "0", out.path()); };
  const auto reference = test::run_cli(args(whole));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const size_t total = finished_images(whole.path()).size();
  ASSERT_EQ(total, 2u * 12u);

  const fs::path out = resumed.path();
  const std::vector<std::pair<std::string, std::function<bool()>>> points = {
      {"first entry", [&] { return !finished_images(out).empty(); }},
      {"middle entry", [&] { return finished_images(out).size() >= total / 4; }},
      {"first category's maps", [&] { return fs::exists(out / "maps" / "bottle"); }},
      {"last entry", [&] { return finished_images(out).size() >= total; }},
  };
  for (size_t i = 0; i < points.size(); ++i) {
    SCOPED_TRACE(points[i].first);
    const auto before = finished_images(out);
    // Each point is reached in its own run: the first category is not finished before the third.
    if (i < 3) {
      ASSERT_FALSE(fs::exists(out / "maps" / "bottle"));
    }
    const fs::path err = logs / ("kill" + std::to_string(i) + ".err");
    const int status = kill_when(args(resumed), err, points[i].second);
    // The last point may come too late to kill: the run is all but done then.
    if (i + 1 < points.size()) EXPECT_TRUE(killed(status)) << status << test::read_bytes(err);
    else EXPECT_TRUE(killed(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) << status;
    expect_only_complete_files(out, true);
    expect_kept(before, out);
  }

  const auto finished = test::run_cli(args(resumed));
  ASSERT_EQ(finished.exit_code, 0) << finished.err;
  for (const auto& f : fs::recursive_directory_iterator(out / "cache"))
    EXPECT_EQ(f.path().filename().string().find(".tmp."), std::string::npos) << f.path() << " was left";
  expect_same_outputs(whole.path(), out);
  for (const auto& f : fs::directory_iterator(out))
    EXPECT_EQ(f.path().filename().string().find(".tmp."), std::string::npos) << f.path() << " was left";
}
