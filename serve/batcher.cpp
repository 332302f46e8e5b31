#include "serve/batcher.hpp"

#include <algorithm>

#include "serve/metrics.hpp"

namespace winclip::serve {

Batcher::Batcher(BatcherOptions options, Metrics* metrics) : options_(options), metrics_(metrics) {
  options_.max_batch = std::max(1, options_.max_batch);
  options_.max_queue = std::max(1, options_.max_queue);
  thread_ = std::thread([this] { run(); });
}

Batcher::~Batcher() { stop(); }

void Batcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::future<EncodedImage>> Batcher::submit(std::shared_ptr<const Detector> detector,
                                                       std::vector<Tensor> images) {
  std::vector<std::future<EncodedImage>> futures;
  if (images.empty()) return futures;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw QueueFull();
    if (!queue_.empty() && queue_.size() + images.size() > static_cast<size_t>(options_.max_queue)) throw QueueFull();
    const auto now = std::chrono::steady_clock::now();
    for (auto& image : images) {
      queue_.push_back({detector, std::move(image), {}, now});
      futures.push_back(queue_.back().promise.get_future());
    }
    if (metrics_) metrics_->set_queue_depth(static_cast<int64_t>(queue_.size()));
  }
  changed_.notify_all();
  return futures;
}

size_t Batcher::compatible_jobs() const {
  size_t count = 0;
  for (const auto& job : queue_) {
    if (job.detector->encodes_like(*queue_.front().detector)) ++count;
    if (count == static_cast<size_t>(options_.max_batch)) break;
  }
  return count;
}

void Batcher::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;
    // Wait for a full pass, at most `wait` after the first image was queued (not once stopping).
    const auto deadline = queue_.front().queued + options_.wait;
    while (!stopping_ && compatible_jobs() < static_cast<size_t>(options_.max_batch) &&
           changed_.wait_until(lock, deadline) != std::cv_status::timeout) {
    }
    std::vector<Job> batch;
    const Detector& first = *queue_.front().detector;
    for (auto it = queue_.begin(); it != queue_.end() && batch.size() < static_cast<size_t>(options_.max_batch);) {
      if (it->detector->encodes_like(first)) {
        batch.push_back(std::move(*it));
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    if (metrics_) metrics_->set_queue_depth(static_cast<int64_t>(queue_.size()));
    lock.unlock();

    std::shared_ptr<const VisionResult> pass;
    try {
      Shape shape = batch.front().image.shape;
      shape.at(0) = static_cast<int64_t>(batch.size());
      Tensor images(shape);
      float* dst = images.ptr();
      for (const auto& job : batch) dst = std::copy(job.image.data.begin(), job.image.data.end(), dst);
      pass = std::make_shared<const VisionResult>(batch.front().detector->encode(images));
    } catch (...) {
      for (auto& job : batch) job.promise.set_exception(std::current_exception());
    }
    if (pass)
      for (size_t i = 0; i < batch.size(); ++i) batch[i].promise.set_value({pass, static_cast<int64_t>(i)});
    if (metrics_) metrics_->observe_batch(static_cast<int64_t>(batch.size()));
    batch.clear();
    lock.lock();
  }
}

}  // namespace winclip::serve
