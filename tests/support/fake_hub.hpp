#pragma once
// Runs tests/support/http_server.py, a stand-in for the Hugging Face hub on 127.0.0.1, for one test: it
// serves one repository made of the given files, with the faults the test asks for, and is killed when the
// object dies (it also exits by itself after two minutes).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace winclip::test {

// The tiny model's repository files: name on the hub → fixture file.
inline std::map<std::string, std::filesystem::path> tiny_repo_files() {
  return {{"open_clip_config.json", data_path("model/open_clip_config.json")},
          {"open_clip_model.safetensors", data_path("model/open_clip_model.safetensors")},
          {"open_clip_pytorch_model.bin", data_path("torch/open_clip_pytorch_model.bin")}};
}

// A loopback port with nothing listening: bound, read back, released.
inline int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

class FakeHub {
 public:
  // `flags` go to http_server.py as they are, e.g. {"--not-found", "open_clip_model.safetensors"}.
  explicit FakeHub(const std::string& repo, const std::map<std::string, std::filesystem::path>& files,
                   const std::vector<std::string>& flags = {}) {
    std::filesystem::create_directories(root_.path() / repo);
    for (const auto& [name, source] : files) std::filesystem::create_symlink(source, root_.path() / repo / name);
    start(flags);
  }

  ~FakeHub() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Every request so far: {"method", "path", "range" (null or "bytes=N-")}.
  std::vector<nlohmann::json> requests() const {
    std::vector<nlohmann::json> entries;
    std::ifstream log(log_path());
    for (std::string line; std::getline(log, line);) entries.push_back(nlohmann::json::parse(line));
    return entries;
  }

  // The Range headers of the body requests (those the hub's redirect leads to) for one file.
  std::vector<std::string> ranges_requested(const std::string& file) const {
    std::vector<std::string> ranges;
    for (const auto& entry : requests())
      if (entry["path"].get<std::string>().starts_with("/cdn/") && entry["path"].get<std::string>().ends_with("/" + file))
        ranges.push_back(entry["range"].is_null() ? "" : entry["range"].get<std::string>());
    return ranges;
  }

 private:
  std::filesystem::path log_path() const { return root_.path() / "requests.jsonl"; }

  void start(const std::vector<std::string>& flags) {
    const std::string script = (std::filesystem::path(WINCLIP_TEST_DATA) / ".." / "support" / "http_server.py").string();
    std::vector<std::string> argv = {"python3", script, "--root", root_.path().string(), "--log", log_path().string(),
                                     "--lifetime", "120"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], STDOUT_FILENO);
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      std::vector<char*> c_argv;
      for (auto& arg : argv) c_argv.push_back(arg.data());
      c_argv.push_back(nullptr);
      ::execvp("python3", c_argv.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    // The server prints its port once it listens; give it ten seconds.
    pollfd ready{pipe_fds[0], POLLIN, 0};
    std::string line;
    char c;
    while (::poll(&ready, 1, 10000) == 1 && ::read(pipe_fds[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(pipe_fds[0]);
    ASSERT_FALSE(line.empty()) << "http_server.py did not start";
    port_ = std::stoi(line);
  }

  TempDir root_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace winclip::test
