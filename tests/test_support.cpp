#include "test_support.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

namespace winclip::test {

std::filesystem::path data_path(const std::string& relative) { return std::filesystem::path(WINCLIP_TEST_DATA) / relative; }
std::filesystem::path model_dir() { return data_path("model"); }
nlohmann::json results_json(const std::filesystem::path& dir) {
  return nlohmann::json::parse(read_bytes(dir / "results.json"));
}
std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string png_chunk(const std::string& type, const std::string& data) {
  uint32_t crc = 0xffffffffu;  // the chunk CRC (ISO 3309) over type and data, bit by bit
  for (char ch : type + data) {
    crc ^= static_cast<uint8_t>(ch);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return be32(static_cast<uint32_t>(data.size())) + type + data + be32(~crc);
}

std::string png_claiming(uint32_t width, uint32_t height) {
  const std::string ihdr = be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) +
         png_chunk("IDAT", std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8)) + png_chunk("IEND", "");
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

void expect_mentions(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << text << "' lacks '" << part << "'";
}

winclip::Image fixture_image(const std::string& name) {
  return winclip::decode_image(data_path("winclip/images/" + name + ".png"));
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("winclip-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<float> random_normal(size_t n, std::mt19937& rng, float scale) {
  std::normal_distribution<float> dist(0.f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

double max_abs_diff(const float* a, const float* b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = std::fabs(static_cast<double>(a[i]) - b[i]);
    if (std::isnan(d)) return INFINITY;
    m = std::max(m, d);
  }
  return m;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(shape_string(a.shape), shape_string(b.shape));
  if (a.numel() != b.numel()) return INFINITY;
  return max_abs_diff(a.ptr(), b.ptr(), static_cast<size_t>(a.numel()));
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

namespace {
// Runs a shell command line with the standard streams redirected, and collects what it printed.
CommandResult run_redirected(std::string cmd) {
  TempDir tmp;
  cmd.append(" >").append(shell_quote((tmp / "out").string()));
  cmd.append(" 2>").append(shell_quote((tmp / "err").string())).append(" </dev/null");
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_bytes(tmp / "out");
  r.err = read_bytes(tmp / "err");
  return r;
}
}  // namespace

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult run_cli(const std::vector<std::string>& args) {
  std::string cmd = shell_quote(WINCLIP_BIN);
  for (const auto& a : args) cmd.append(" ").append(shell_quote(a));
  return run_redirected(cmd);
}

CommandResult run_shell(const std::string& script, const std::filesystem::path& dir) {
  return run_redirected("cd " + shell_quote(dir.string()) + " && { " + script + "\n}");
}

std::filesystem::path cli_path() { return WINCLIP_BIN; }

int start_cli(const std::vector<std::string>& args, const std::filesystem::path& err_file) {
  // Everything that allocates happens before fork: the child of a threaded process may only make
  // async-signal-safe calls until exec.
  std::vector<char*> argv = {const_cast<char*>(WINCLIP_BIN)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execv(WINCLIP_BIN, argv.data());
    ::_exit(127);
  }
  ::close(err);
  ::close(null);
  return pid;
}

}  // namespace winclip::test
