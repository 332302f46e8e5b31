#include "serve/metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace winclip::serve {
namespace {

std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

}  // namespace

Metrics::Metrics() {
  latency_.bounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  latency_.counts.assign(latency_.bounds.size() + 1, 0);
  batch_sizes_.bounds = {1, 2, 4, 8, 16, 32, 64};
  batch_sizes_.counts.assign(batch_sizes_.bounds.size() + 1, 0);
}

void Metrics::Histogram::observe(double value) {
  const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
  ++counts[static_cast<size_t>(bucket)];
  sum += value;
  ++count;
}

void Metrics::observe_request(const std::string& endpoint, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{endpoint, status}];
  latency_.observe(seconds);
}

void Metrics::add_images_scored(int64_t count) {
  std::lock_guard lock(mutex_);
  images_scored_ += count;
}

void Metrics::add_image_errors(int64_t count) {
  std::lock_guard lock(mutex_);
  image_errors_ += count;
}

void Metrics::set_queue_depth(int64_t images) {
  std::lock_guard lock(mutex_);
  queue_depth_ = images;
}

void Metrics::observe_batch(int64_t images) {
  std::lock_guard lock(mutex_);
  batch_sizes_.observe(static_cast<double>(images));
}

std::string Metrics::endpoint_of(const std::string& path) {
  for (const char* route : {"/", "/v1/health", "/v1/detect", "/v1/banks", "/metrics"})
    if (path == route) return route;
  if (path.rfind("/v1/banks/", 0) == 0 && path.find('/', 10) == std::string::npos) return "/v1/banks/{name}";
  return "other";
}

void Metrics::render_histogram(std::string& out, const std::string& name, const std::string& help, const Histogram& h) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    out += name + "_bucket{le=\"" + number_text(h.bounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(h.count) + "\n";
  out += name + "_sum " + number_text(h.sum) + "\n";
  out += name + "_count " + std::to_string(h.count) + "\n";
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out +=
      "# HELP winclip_requests_total HTTP requests answered, by endpoint and status code.\n"
      "# TYPE winclip_requests_total counter\n";
  for (const auto& [key, count] : requests_)
    out += "winclip_requests_total{endpoint=\"" + key.first + "\",code=\"" + std::to_string(key.second) + "\"} " +
           std::to_string(count) + "\n";
  render_histogram(out, "winclip_request_duration_seconds",
                   "Time from a request's first byte to its answer handed to the socket.", latency_);
  out +=
      "# HELP winclip_images_scored_total Images scored.\n# TYPE winclip_images_scored_total counter\n"
      "winclip_images_scored_total " +
      std::to_string(images_scored_) + "\n";
  out +=
      "# HELP winclip_image_errors_total Uploaded images that could not be scored (undecodable, too large).\n"
      "# TYPE winclip_image_errors_total counter\n"
      "winclip_image_errors_total " +
      std::to_string(image_errors_) + "\n";
  out +=
      "# HELP winclip_queue_depth Images waiting for the engine.\n# TYPE winclip_queue_depth gauge\n"
      "winclip_queue_depth " +
      std::to_string(queue_depth_) + "\n";
  render_histogram(out, "winclip_batch_size", "Images per engine pass.", batch_sizes_);
  return out;
}

}  // namespace winclip::serve
