// `winclip eval` stopped by signals part-way and run again: nothing finished is recomputed, no file is left
// half-written, and the results equal those of an uninterrupted run byte for byte.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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
  BackgroundEval(const std::vector<std::string>& args, const fs::path& err_file) {
    // Everything that allocates happens before fork: the child of a threaded process may only make
    // async-signal-safe calls until exec.
    std::vector<char*> argv = {const_cast<char*>(WINCLIP_BIN)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(err, STDERR_FILENO);
      ::execv(WINCLIP_BIN, argv.data());
      ::_exit(127);
    }
    ::close(err);
    ::close(null);
  }
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

}  // namespace

// A double Ctrl-C kills the run at once; a single one lets it stop cleanly after the image in progress
// (exit 130, no temporary file). Each rerun continues from what is cached, down to identical outputs.
TEST(CliEvalResume, InterruptedRunsResumeWithoutRecomputingToIdenticalResults) {
  test::TempDir root, whole, resumed, cache, logs;
  test::make_mvtec_category(root.path(), "bottle", kResumeSpec);
  auto args = [&](const test::TempDir& out) {
    return std::vector<std::string>{"eval", "--model", test::model_dir().string(), "--cache-dir",
                                    cache.path().string(), "--dataset", "mvtec", "--root", root.path().string(),
                                    "--shots", "1", "--seeds", "0,1", "--batch-size", "1", "--save-maps",
                                    "--out", out.path().string()};
  };
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
  for (const char* file : {"metrics.json", "table.md", "table.csv", "scores.csv"})
    EXPECT_EQ(test::read_bytes(resumed / file), test::read_bytes(whole / file)) << file;
  for (const char* folder : {"maps", "masks"})
    for (const auto& f : fs::recursive_directory_iterator(whole / folder)) {
      if (!f.is_regular_file()) continue;
      EXPECT_EQ(test::read_bytes(f.path()), test::read_bytes(resumed / fs::relative(f.path(), whole.path())))
          << f.path();
    }
}
