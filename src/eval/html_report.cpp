// OUT/report.html: one self-contained page (inline SVG and CSS, no scripts or fonts) with each category's
// image ROC and PR curves, its score histogram and the summary table of metrics.json.
#include <algorithm>
#include <cstdio>
#include <string>

#include "eval/score_text.hpp"
#include "winclip/eval.hpp"
#include "winclip/metrics.hpp"

namespace winclip {

namespace {

std::string num(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string percent_cell(const std::optional<double>& v) { return eval::percent_text(v, "–"); }

// A unit square plot: points are data coordinates in [0, 1]², flipped by the transform, written with %.9g so
// that the area under the drawn polyline is the area the metrics computed.
std::string plot(const std::string& title, const std::string& curve, const std::string& points,
                 const std::string& x_label, const std::string& y_label) {
  return "<figure><figcaption>" + escape(title) +
         "</figcaption><svg width=\"240\" height=\"240\" viewBox=\"-0.15 -0.05 1.2 1.2\">"
         "<rect x=\"0\" y=\"0\" width=\"1\" height=\"1\" fill=\"none\" stroke=\"#888\" stroke-width=\"0.005\"/>"
         "<g transform=\"matrix(1 0 0 -1 0 1)\"><polyline data-curve=\"" + curve + "\" points=\"" + points +
         "\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"0.01\"/></g>"
         "<text x=\"0.5\" y=\"1.1\" font-size=\"0.06\" text-anchor=\"middle\">" + x_label + "</text>"
         "<text x=\"-0.08\" y=\"0.5\" font-size=\"0.06\" text-anchor=\"middle\" transform=\"rotate(-90 -0.08 0.5)\">" +
         y_label + "</text></svg></figure>\n";
}

// Good and defective image scores in 20 bins, the calibrated threshold (if any) as a vertical line.
std::string histogram(const SeedResult& seed) {
  if (seed.scores.empty()) return "";
  float lo = seed.scores[0].score, hi = lo;
  for (const auto& s : seed.scores) lo = std::min(lo, s.score), hi = std::max(hi, s.score);
  const double span = hi > lo ? hi - lo : 1.0;
  constexpr int kBins = 20;
  int good[kBins] = {}, bad[kBins] = {};
  for (const auto& s : seed.scores) {
    const int bin = std::min(kBins - 1, static_cast<int>((s.score - lo) / span * kBins));
    (s.anomalous ? bad : good)[bin]++;
  }
  int most = 1;
  for (int b = 0; b < kBins; ++b) most = std::max({most, good[b], bad[b]});
  std::string svg = "<figure><figcaption>Image scores " + num(lo) + " … " + num(hi) +
                    " (green good, red defective)</figcaption><svg width=\"240\" height=\"240\" viewBox=\"-0.05 -0.05 "
                    "1.1 1.1\"><g transform=\"matrix(1 0 0 -1 0 1)\">";
  for (int b = 0; b < kBins; ++b) {
    const double x = static_cast<double>(b) / kBins, w = 0.5 / kBins;
    svg += "<rect x=\"" + num(x) + "\" y=\"0\" width=\"" + num(w) + "\" height=\"" + num(double(good[b]) / most) +
           "\" fill=\"#27ae60\"/>";
    svg += "<rect x=\"" + num(x + w) + "\" y=\"0\" width=\"" + num(w) + "\" height=\"" + num(double(bad[b]) / most) +
           "\" fill=\"#c0392b\"/>";
  }
  if (seed.calibrated) {
    const double x = std::clamp((seed.calibrated->threshold - lo) / span, 0.0, 1.0);
    svg += "<line data-threshold=\"" + num(seed.calibrated->threshold) + "\" x1=\"" + num(x) + "\" y1=\"0\" x2=\"" +
           num(x) + "\" y2=\"1\" stroke=\"#000\" stroke-width=\"0.01\" stroke-dasharray=\"0.03\"/>";
  }
  return svg + "</g></svg></figure>\n";
}

std::string category_section(const CategoryResult& c) {
  std::string html = "<section><h2>" + escape(c.name) + "</h2>\n";
  for (const SeedResult& seed : c.seeds) {
    std::vector<float> scores;
    std::vector<uint8_t> labels;
    for (const auto& s : seed.scores) scores.push_back(s.score), labels.push_back(s.anomalous ? 1 : 0);
    html += "<h3>seed " + std::to_string(seed.seed) + ": image AUROC " + percent_cell(seed.metrics.image_auroc) +
            ", AP " + percent_cell(seed.metrics.image_ap) + "</h3><div class=\"row\">\n";
    const OperatingCurve curve = operating_curve(scores, labels);
    if (curve.positives > 0 && curve.negatives > 0) {
      // The ROC from (0, 0) through every sweep point: the metrics' own trapezoids.
      std::string roc = "0,0";
      std::string pr;
      for (const auto& p : curve.points) {
        const double tpr = double(p.true_positives) / curve.positives;
        roc += " " + num(double(p.false_positives) / curve.negatives) + "," + num(tpr);
        if (p.true_positives + p.false_positives > 0)
          pr += (pr.empty() ? "" : " ") + num(tpr) + "," +
                num(double(p.true_positives) / (p.true_positives + p.false_positives));
      }
      html += plot("Image ROC", "roc", roc, "FPR", "TPR");
      html += plot("Image precision–recall", "pr", pr, "recall", "precision");
    } else {
      html += "<p>No curves: the test set needs good and defective images.</p>";
    }
    html += histogram(seed);
    if (seed.calibrated) {
      const CalibratedRates& r = *seed.calibrated;
      html += "<p>Calibrated threshold " + num(r.threshold) + " (target FPR " + num(r.target_fpr) + ", " +
              std::to_string(r.calibration_images) + " normals): realised FPR " + percent_cell(r.fpr) + " %, TPR " +
              percent_cell(r.tpr) + " %, precision " + percent_cell(r.precision) + " %, F1 " + percent_cell(r.f1) +
              " %</p>";
    }
    html += "</div>\n";
  }
  return html + "</section>\n";
}

}  // namespace

std::string format_eval_html(const EvalResult& result) {
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>winclip eval</title><style>"
      "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
      "padding:2px 8px;text-align:right}figure{display:inline-block;margin:0 1em}.row{display:flex;flex-wrap:wrap}"
      "</style></head><body>\n<h1>winclip eval: " + escape(result.settings.value("dataset", "")) + ", " +
      std::to_string(result.settings.value("shots", 0)) + "-shot</h1>\n<table><tr><th>category</th><th>images</th>";
  for (const auto& field : metric_fields()) html += "<th>" + std::string(field.heading) + "</th>";
  html += "</tr>\n";
  auto row = [&](const std::string& name, int n, const Metrics& m) {
    html += "<tr><td>" + escape(name) + "</td><td>" + std::to_string(n) + "</td>";
    for (const auto& field : metric_fields()) html += "<td>" + percent_cell(m.*field.value) + "</td>";
    html += "</tr>\n";
  };
  int total = 0;
  for (const auto& c : result.categories) row(c.name, c.n_images, c.summary.mean), total += c.n_images;
  row("mean", total, result.mean.mean);
  html += "</table>\n";
  for (const auto& c : result.categories) html += category_section(c);
  return html + "</body></html>\n";
}

}  // namespace winclip
