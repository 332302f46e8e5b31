// Means and spreads of metrics over seeds and categories.
#include <algorithm>
#include <cmath>

#include "winclip/eval.hpp"

namespace winclip {

const std::array<MetricField, 6>& metric_fields() {
  static const std::array<MetricField, 6> fields = {{
      {"image_auroc", "AUROC", &Metrics::image_auroc},
      {"image_ap", "AP", &Metrics::image_ap},
      {"image_f1max", "F1-max", &Metrics::image_f1max},
      {"pixel_auroc", "pAUROC", &Metrics::pixel_auroc},
      {"pixel_aupro", "AUPRO", &Metrics::pixel_aupro},
      {"pixel_f1max", "pF1-max", &Metrics::pixel_f1max},
  }};
  return fields;
}

const std::array<RateField, 4>& rate_fields() {
  static const std::array<RateField, 4> fields = {{
      {"fpr", "cal. FPR", "calibrated_fpr", &RealisedRates::fpr},
      {"tpr", "cal. TPR", "calibrated_tpr", &RealisedRates::tpr},
      {"precision", "cal. precision", "calibrated_precision", &RealisedRates::precision},
      {"f1", "cal. F1", "calibrated_f1", &RealisedRates::f1},
  }};
  return fields;
}

RealisedRates average_rates(const std::vector<RealisedRates>& values) {
  RealisedRates mean;
  for (const RateField& field : rate_fields()) {
    double sum = 0;
    int defined = 0;
    for (const auto& v : values)
      if (const auto& rate = v.*field.value) sum += *rate, ++defined;
    if (defined) mean.*field.value = sum / defined;
  }
  return mean;
}

Metrics average_metrics(const std::vector<Metrics>& values, const std::vector<std::string>& names,
                        const std::string& what, std::vector<std::string>& warnings) {
  Metrics mean;
  for (const MetricField& field : metric_fields()) {
    double sum = 0;
    size_t defined = 0;
    std::string skipped;
    for (size_t i = 0; i < values.size(); ++i) {
      if (const auto& v = values[i].*field.value) {
        sum += *v;
        ++defined;
      } else {
        skipped.append(skipped.empty() ? "" : ", ").append(i < names.size() ? names[i] : std::to_string(i));
      }
    }
    if (defined) mean.*field.value = sum / static_cast<double>(defined);
    if (defined && defined < values.size()) {
      const std::string warning = std::string(field.name) + ": undefined for " + skipped + "; the mean is over " +
                                  std::to_string(defined) + " of " + std::to_string(values.size()) + " " + what;
      if (std::find(warnings.begin(), warnings.end(), warning) == warnings.end()) warnings.push_back(warning);
    }
  }
  return mean;
}

Metrics metric_spread(const std::vector<Metrics>& values) {
  Metrics spread;
  for (const MetricField& field : metric_fields()) {
    std::vector<double> defined;
    for (const auto& m : values)
      if (const auto& v = m.*field.value) defined.push_back(*v);
    if (defined.empty()) continue;
    double mean = 0;
    for (double v : defined) mean += v;
    mean /= static_cast<double>(defined.size());
    double squares = 0;
    for (double v : defined) squares += (v - mean) * (v - mean);
    spread.*field.value = std::sqrt(squares / static_cast<double>(defined.size()));
  }
  return spread;
}

}  // namespace winclip
