#pragma once
// One engine pass for the images of many requests. The vision pass does not depend on the class, prototypes or
// references, so images of concurrent requests for different classes and banks share a pass whenever their
// Detectors encode alike (Detector::encodes_like); each request then finishes its own images with its own
// Detector (Detector::score_encoded), on its own thread.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "winclip/detector.hpp"

namespace winclip::serve {

class Metrics;

struct BatcherOptions {
  int max_batch = 8;                  // images per pass
  std::chrono::milliseconds wait{5};  // how long the first image of a pass waits for others
  int max_queue = 64;                 // images waiting for the engine; more are refused (QueueFull)
};

// One image's share of a pass.
struct EncodedImage {
  std::shared_ptr<const VisionResult> pass;
  int64_t index = 0;
};

// The queue cannot take the images now: the service answers 503 with Retry-After.
class QueueFull : public std::runtime_error {
 public:
  QueueFull() : std::runtime_error("the engine's queue is full: retry later") {}
};

class Batcher {
 public:
  explicit Batcher(BatcherOptions options, Metrics* metrics = nullptr);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues `images` ([1, 3, S, S] each, from detector->preprocess), all or none: QueueFull when they do not
  // fit beside the images already waiting (a request larger than the whole queue is taken when it is empty).
  std::vector<std::future<EncodedImage>> submit(std::shared_ptr<const Detector> detector, std::vector<Tensor> images);
  // Encodes what is queued, then ends the engine thread; later submits are refused.
  void stop();

 private:
  struct Job {
    std::shared_ptr<const Detector> detector;
    Tensor image;
    std::promise<EncodedImage> promise;
    std::chrono::steady_clock::time_point queued;
  };
  void run();
  // Up to max_batch queued jobs that share the first one's pass, in queue order (mutex_ held).
  size_t compatible_jobs() const;

  BatcherOptions options_;
  Metrics* metrics_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace winclip::serve
