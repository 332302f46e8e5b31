#pragma once
// Shared helpers for the tests: fixture paths, comparisons, temporary directories, running the CLI.
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "winclip/image.hpp"
#include "winclip/tensor.hpp"

namespace winclip::test {

std::filesystem::path data_path(const std::string& relative);  // tests/data/<relative>
// <dir>/results.json, as `winclip detect` writes it.
nlohmann::json results_json(const std::filesystem::path& dir);
// Big-endian 4 bytes, as PNG headers and chunk lengths store them.
std::string be32(uint32_t v);
// A PNG chunk with its length and CRC.
std::string png_chunk(const std::string& type, const std::string& data);
// A complete, checksummed PNG whose header claims width × height RGB pixels around an empty zlib stream: only
// a decoder that trusts the header before the data would allocate for them.
std::string png_claiming(uint32_t width, uint32_t height);
void replace_all(std::string& text, const std::string& from, const std::string& to);
// EXPECT that `text` contains `part`, printing both when not.
void expect_mentions(const std::string& text, const std::string& part);
// tests/data/winclip/images/<name>.png, the images of the parity fixtures.
winclip::Image fixture_image(const std::string& name);
std::filesystem::path model_dir();                              // tests/data/model (tiny random CLIP)

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

double max_abs_diff(const float* a, const float* b, size_t n);

// n draws of N(0, scale²) from rng: random operands for kernel-versus-reference tests.
std::vector<float> random_normal(size_t n, std::mt19937& rng, float scale = 1.0f);
double max_abs_diff(const Tensor& a, const Tensor& b);  // fails the test if the shapes differ

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the built winclip program with `args` (each quoted for the shell).
CommandResult run_cli(const std::vector<std::string>& args);
// Runs `script` with /bin/sh in `dir`, for commands written as a user types them (globs, variables).
CommandResult run_shell(const std::string& script, const std::filesystem::path& dir);
std::filesystem::path cli_path();  // the built winclip program
// Starts the built winclip program with `args`, stdin and stdout on /dev/null and stderr into `err_file`;
// its process id, for the caller to wait for (waitpid, wait4) or signal.
int start_cli(const std::vector<std::string>& args, const std::filesystem::path& err_file);
std::string shell_quote(const std::string& s);

void write_bytes(const std::filesystem::path& path, const std::string& bytes);
std::string read_bytes(const std::filesystem::path& path);

}  // namespace winclip::test
