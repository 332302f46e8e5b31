#pragma once
// What the endpoints share: the model, the options, and the components that live as long as the service.
#include <memory>

#include "serve/bank_store.hpp"
#include "serve/batcher.hpp"
#include "serve/detector_cache.hpp"
#include "serve/metrics.hpp"
#include "serve/service_options.hpp"

namespace winclip::serve {

struct ServiceContext {
  ServiceContext(std::shared_ptr<const ClipModel> model_, ServiceOptions options_)
      : model(std::move(model_)),
        options(std::move(options_)),
        batcher(options.batching, &metrics),
        detectors(model, options.detector),
        banks(options.bank_dir, model, options.detector) {}

  std::shared_ptr<const ClipModel> model;
  ServiceOptions options;
  Metrics metrics;
  Batcher batcher;
  DetectorCache detectors;
  BankStore banks;
};

}  // namespace winclip::serve
