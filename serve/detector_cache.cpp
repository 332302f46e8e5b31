#include "serve/detector_cache.hpp"

#include <algorithm>

namespace winclip::serve {

DetectorCache::DetectorCache(std::shared_ptr<const ClipModel> model, DetectorOptions base, size_t capacity)
    : model_(std::move(model)), base_(std::move(base)), capacity_(std::max<size_t>(1, capacity)) {}

DetectorOptions DetectorCache::options_for(const std::string& class_name, TemplateSet templates,
                                           bool raw_class_name) const {
  DetectorOptions options = base_;
  options.class_name = class_name;
  options.templates = templates;
  options.raw_class_name = raw_class_name;
  return options;
}

std::shared_ptr<const Detector> DetectorCache::get(const std::string& class_name, TemplateSet templates,
                                                   bool raw_class_name) {
  const Key key{class_name, templates, raw_class_name};
  std::promise<std::shared_ptr<const Detector>> promise;
  std::shared_future<std::shared_ptr<const Detector>> future;
  bool make = false;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = detectors_.find(key); it != detectors_.end()) {
      future = it->second;
    } else {
      while (detectors_.size() >= capacity_ && !order_.empty()) {
        detectors_.erase(order_.front());
        order_.pop_front();
      }
      future = promise.get_future().share();
      detectors_.emplace(key, future);
      order_.push_back(key);
      make = true;
    }
  }
  if (make) {
    try {
      promise.set_value(std::make_shared<const Detector>(model_, options_for(class_name, templates, raw_class_name)));
    } catch (...) {
      promise.set_exception(std::current_exception());
      // A failure is not kept: the next request tries again (the cause may be passing, e.g. a full disk).
      std::lock_guard lock(mutex_);
      if (const auto it = detectors_.find(key); it != detectors_.end()) {
        detectors_.erase(it);
        order_.remove(key);
      }
    }
  }
  return future.get();
}

}  // namespace winclip::serve
