#pragma once
// What the run_eval tests share: the tiny model, a small synthetic category, and options that write
// nowhere but the test's own directories.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "support/synthetic_dataset.hpp"
#include "test_support.hpp"
#include "winclip/eval.hpp"

namespace winclip::test {

inline std::shared_ptr<const ClipModel> tiny_model() {
  static std::shared_ptr<const ClipModel> model = ClipModel::load(model_dir());
  return model;
}

inline const SyntheticSpec kEvalSpec{.train = 3, .good = 2, .defects = {"hole", "scratch"}, .per_defect = 1};

// MVTec layout at `root`, results in `out`, no progress bar and no prototype cache.
inline EvalOptions eval_options_for(const std::filesystem::path& root, const std::filesystem::path& out) {
  EvalOptions o;
  o.dataset = {.kind = DatasetKind::MVTec, .root = root};
  o.out = out;
  o.show_progress = false;
  return o;
}

// The value of a metric that must be defined.
inline double defined(const std::optional<double>& v) {
  EXPECT_TRUE(v.has_value());
  return v.value_or(-1);
}

inline const CategoryResult& category_named(const EvalResult& r, const std::string& name) {
  for (const auto& c : r.categories)
    if (c.name == name) return c;
  throw std::runtime_error("no category " + name);
}

}  // namespace winclip::test
