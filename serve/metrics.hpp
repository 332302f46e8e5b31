#pragma once
// The service's counters for GET /metrics, in Prometheus' text format (version 0.0.4): requests by endpoint and
// status code, request latency, images scored, the batcher's queue depth and batch sizes.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace winclip::serve {

class Metrics {
 public:
  Metrics();
  void observe_request(const std::string& endpoint, int status, double seconds);
  void add_images_scored(int64_t count);
  void add_image_errors(int64_t count);
  void set_queue_depth(int64_t images);
  void observe_batch(int64_t images);
  std::string render() const;

  // The endpoint label of a request path: the route's pattern ("/v1/banks/{name}"), or "other".
  static std::string endpoint_of(const std::string& path);

 private:
  struct Histogram {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;  // per bound, not cumulative; one more for +Inf
    double sum = 0;
    uint64_t count = 0;
    void observe(double value);
  };
  static void render_histogram(std::string& out, const std::string& name, const std::string& help,
                               const Histogram& histogram);

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  Histogram latency_, batch_sizes_;
  int64_t images_scored_ = 0, image_errors_ = 0, queue_depth_ = 0;
};

}  // namespace winclip::serve
