#pragma once
// Zero-shot Detectors by class, template set and naming, each made once: its prototypes come from the text
// tower (or the prototype cache on disk) the first time a class is asked for, and concurrent requests for a new
// class wait for that one computation. Bounded: the oldest entries go first.
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "winclip/detector.hpp"

namespace winclip::serve {

class DetectorCache {
 public:
  // `base`: every option but the class, templates and naming (scales, resize, prototype cache).
  DetectorCache(std::shared_ptr<const ClipModel> model, DetectorOptions base, size_t capacity = 256);
  // Error (from the library) when the class name cannot be made into prompts.
  std::shared_ptr<const Detector> get(const std::string& class_name, TemplateSet templates, bool raw_class_name);
  DetectorOptions options_for(const std::string& class_name, TemplateSet templates, bool raw_class_name) const;

 private:
  using Key = std::tuple<std::string, TemplateSet, bool>;
  std::shared_ptr<const ClipModel> model_;
  DetectorOptions base_;
  size_t capacity_;
  std::mutex mutex_;
  std::map<Key, std::shared_future<std::shared_ptr<const Detector>>> detectors_;
  std::list<Key> order_;  // oldest first
};

}  // namespace winclip::serve
