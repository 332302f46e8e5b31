// Load generator for `winclip serve` (issue 14): starts the server on a free loopback port, runs N concurrent
// clients for D seconds posting the sample images, and prints images/s, latency percentiles, errors, the
// server's peak RSS and its RSS growth over the run, then the images/s of `winclip detect` on the same images
// and model (its model-loading time cancelled out: a run of 1 + n images minus a run of 1).
//
//   build/bench/serve_load --model build/bench-model [--clients 16] [--duration 60] [--precision fp32]
//                          [--images samples] [--winclip build/winclip] [--max-batch 8] [--batch-wait-ms 5]
#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string winclip = "build/winclip";
  std::string model;
  std::string precision = "fp32";
  std::string images = "samples";
  std::string class_name = "metal_nut";
  int clients = 16;
  double duration = 60;
  int max_batch = 8;
  int batch_wait_ms = 5;
  int cli_images = 24;
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "serve_load: %s\nusage: serve_load --model DIR [--clients N] [--duration SECONDS] [--precision P]\n"
               "       [--images DIR] [--class NAME] [--winclip PATH] [--max-batch N] [--batch-wait-ms MS]\n"
               "       [--cli-images N]\n",
               problem.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage("missing value after " + arg);
    const std::string value = argv[++i];
    if (arg == "--winclip")
      o.winclip = value;
    else if (arg == "--model")
      o.model = value;
    else if (arg == "--precision")
      o.precision = value;
    else if (arg == "--images")
      o.images = value;
    else if (arg == "--class")
      o.class_name = value;
    else if (arg == "--clients" || arg == "-c")
      o.clients = std::stoi(value);
    else if (arg == "--duration" || arg == "-d")
      o.duration = std::stod(value);
    else if (arg == "--max-batch")
      o.max_batch = std::stoi(value);
    else if (arg == "--batch-wait-ms")
      o.batch_wait_ms = std::stoi(value);
    else if (arg == "--cli-images")
      o.cli_images = std::stoi(value);
    else
      usage("unknown option " + arg);
  }
  if (o.model.empty()) usage("--model is required");
  if (o.clients < 1 || o.duration <= 0 || o.cli_images < 1)
    usage("--clients, --duration and --cli-images must be positive");
  return o;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

long status_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == field + ":") {
      long kib = 0;
      status >> kib;
      return kib;
    }
    status.ignore(1 << 20, '\n');
  }
  return -1;
}

struct Server {
  pid_t pid = -1;
  int port = 0;
};

Server start_server(const Options& o, const fs::path& work) {
  std::vector<std::string> args = {o.winclip,
                                   "serve",
                                   "--model",
                                   o.model,
                                   "--precision",
                                   o.precision,
                                   "--port",
                                   "0",
                                   "--quiet",
                                   "--cache-dir",
                                   (work / "cache").string(),
                                   "--bank-dir",
                                   (work / "banks").string(),
                                   "--max-batch",
                                   std::to_string(o.max_batch),
                                   "--batch-wait-ms",
                                   std::to_string(o.batch_wait_ms),
                                   "--threads",
                                   std::to_string(std::max(8, o.clients + 2)),
                                   "--max-queue",
                                   std::to_string(std::max(64, o.clients * 4))};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (::pipe(out) != 0) usage("pipe failed");
  Server server;
  server.pid = ::fork();
  if (server.pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out[0]);
  const std::string prefix = "listening on http://127.0.0.1:";
  if (line.rfind(prefix, 0) != 0) usage("winclip serve did not start (" + o.winclip + "): '" + line + "'");
  server.port = std::stoi(line.substr(prefix.size()));
  return server;
}

int stop_server(const Server& server) {
  ::kill(server.pid, SIGTERM);
  int status = 0;
  ::waitpid(server.pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t i = std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())));
  return values[i];
}

// Seconds of wall time `winclip detect` takes on `images`.
double time_cli(const Options& o, const fs::path& out, const std::vector<fs::path>& images) {
  std::string command = "'" + o.winclip + "' detect --model '" + o.model + "' --precision " + o.precision +
                        " --class '" + o.class_name + "' --cache-dir '" + (out.parent_path() / "cache").string() +
                        "' --out '" + out.string() + "'";
  for (const auto& image : images) command += " '" + image.string() + "'";
  command += " >/dev/null 2>&1";
  const auto start = Clock::now();
  const int status = std::system(command.c_str());
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (status != 0) usage("winclip detect failed: " + command);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(o.images))
    if (entry.path().extension() == ".png") paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) usage("no .png images in " + o.images);
  std::vector<std::string> bodies;
  for (const auto& p : paths) bodies.push_back(read_file(p));

  const fs::path work = fs::temp_directory_path() / ("winclip-serve-load-" + std::to_string(::getpid()));
  fs::create_directories(work);
  const Server server = start_server(o, work);
  std::printf("server pid %d on port %d: %d clients, %.0f s, %zu images from %s, --precision %s, --max-batch %d\n",
              server.pid, server.port, o.clients, o.duration, paths.size(), o.images.c_str(), o.precision.c_str(),
              o.max_batch);
  std::fflush(stdout);

  const auto post = [&](httplib::Client& client, size_t i) {
    const httplib::MultipartFormDataItems items = {
        {"class", o.class_name, "", ""},
        {"image", bodies[i % bodies.size()], paths[i % paths.size()].filename().string(), "image/png"}};
    const auto r = client.Post("/v1/detect", items);
    return r && r->status == 200 && r->body.find("\"error\"") == std::string::npos;
  };
  {  // Warm-up: the prototypes of the class, the first passes.
    httplib::Client client("127.0.0.1", server.port);
    client.set_read_timeout(600, 0);
    for (size_t i = 0; i < 2; ++i)
      if (!post(client, i)) usage("the warm-up request failed");
  }
  {  // Then one request per client at once: full batches and every connection's buffers exist before the RSS
     // baseline, so that the growth printed below is what the run adds, not the first full batch.
    std::vector<std::thread> burst;
    std::atomic<bool> failed{false};
    for (int c = 0; c < o.clients; ++c)
      burst.emplace_back([&, c] {
        httplib::Client client("127.0.0.1", server.port);
        client.set_read_timeout(600, 0);
        if (!post(client, static_cast<size_t>(c))) failed = true;
      });
    for (auto& t : burst) t.join();
    if (failed) usage("a warm-up request failed");
  }

  const long rss_start = status_kib(server.pid, "VmRSS");
  std::atomic<bool> running{true};
  std::atomic<long> rss_peak{rss_start};
  // The peak of each quarter of the run: a leak climbs from quarter to quarter, while the allocator's arenas
  // settle within the first.
  std::array<std::atomic<long>, 4> rss_quarter_peak{};
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  std::thread sampler([&] {
    while (running) {
      const long rss = status_kib(server.pid, "VmRSS");
      rss_peak = std::max(rss_peak.load(), rss);
      const double done = std::chrono::duration<double>(Clock::now() - start).count() / o.duration;
      auto& quarter = rss_quarter_peak[static_cast<size_t>(std::clamp(static_cast<int>(done * 4), 0, 3))];
      quarter = std::max(quarter.load(), rss);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::mutex mutex;
  std::vector<double> latencies;
  std::atomic<long> errors{0}, images{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < o.clients; ++c)
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", server.port);
      client.set_read_timeout(600, 0);
      std::vector<double> mine;
      for (size_t i = static_cast<size_t>(c); Clock::now() < until; i += static_cast<size_t>(o.clients)) {
        const auto t0 = Clock::now();
        const bool ok = post(client, i);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (ok)
          ++images;
        else
          ++errors;
      }
      std::lock_guard lock(mutex);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  for (auto& t : clients) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  running = false;
  sampler.join();
  const long rss_end = status_kib(server.pid, "VmRSS");
  const long rss_hwm = status_kib(server.pid, "VmHWM");
  const int exit_code = stop_server(server);

  const double serve_rate = static_cast<double>(images) / elapsed;
  std::printf("serve: %.2f images/s over %.1f s; latency p50 %.0f ms, p95 %.0f ms, p99 %.0f ms; %ld errors\n",
              serve_rate, elapsed, percentile(latencies, 0.50), percentile(latencies, 0.95),
              percentile(latencies, 0.99), errors.load());
  std::printf(
      "serve: RSS %.0f MiB after warm-up, peak %.0f MiB during the run (%.0f MiB since start), "
      "growth %+.1f MiB; exit code %d after SIGTERM\n",
      rss_start / 1024.0, rss_peak.load() / 1024.0, rss_hwm / 1024.0, (rss_end - rss_start) / 1024.0, exit_code);
  std::printf("serve: RSS peak by quarter of the run %.0f, %.0f, %.0f, %.0f MiB\n", rss_quarter_peak[0] / 1024.0,
              rss_quarter_peak[1] / 1024.0, rss_quarter_peak[2] / 1024.0, rss_quarter_peak[3] / 1024.0);
  std::fflush(stdout);

  std::vector<fs::path> cli_images;
  for (int i = 0; i < o.cli_images; ++i) cli_images.push_back(paths[static_cast<size_t>(i) % paths.size()]);
  const double one = time_cli(o, work / "cli-1", {paths[0]});
  std::vector<fs::path> more = {paths[0]};
  more.insert(more.end(), cli_images.begin(), cli_images.end());
  const double many = time_cli(o, work / "cli-n", more);
  const double cli_rate = many > one ? o.cli_images / (many - one) : 0;
  std::printf("winclip detect: %.2f images/s (%d images: %.1f s for 1 + %d, %.1f s for 1)\n", cli_rate, o.cli_images,
              many, o.cli_images, one);
  std::printf("serve / detect: %.0f %%\n", cli_rate > 0 ? 100 * serve_rate / cli_rate : 0.0);
  std::error_code ec;
  fs::remove_all(work, ec);
  return errors == 0 && exit_code == 0 ? 0 : 1;
}
