// OUT/report.html: one self-contained page (inline SVG, CSS and PNG data URIs; no scripts or fonts) with the
// summary table of metrics.json, each category's image ROC and PR curves, pixel PRO curve, score histogram
// and gallery of worst-ranked images.
#include <algorithm>
#include <cstdint>
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

std::string report_base64(const std::string& bytes) {
  static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k) group = group << 8 | (k < n ? static_cast<uint8_t>(bytes[i + k]) : 0u);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? digits[(group >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

// A unit square plot: points are data coordinates in [0, 1]², flipped by the transform, written with %.9g so
// that the area under the drawn polyline is the area the metrics computed.
std::string plot(const std::string& title, const std::string& curve, const std::string& points,
                 const std::string& x_label, const std::string& y_label) {
  return "<figure data-plot=\"" + curve + "\"><figcaption>" + escape(title) +
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
  std::string svg = "<figure data-plot=\"histogram\"><figcaption>Image scores " + num(lo) + " … " + num(hi) +
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

// The PRO curve with FPR divided by the limit, so that the plot is the unit square and its area the AUPRO.
std::string pro_plot(const SeedResult& seed) {
  const double limit = PixelMetricOptions{}.fpr_limit;
  if (seed.pro_curve.empty() || !seed.metrics.pixel_aupro)
    return "<figure data-plot=\"pro\"><figcaption>Pixel PRO</figcaption><p>No PRO curve: it needs anomalous and "
           "normal pixels (and pixel metrics).</p></figure>\n";
  std::string points;
  for (const CurvePoint& p : seed.pro_curve) points += (points.empty() ? "" : " ") + num(p.x / limit) + "," + num(p.y);
  return plot("Pixel PRO to FPR " + num(limit) + ": AUPRO " + percent_cell(seed.metrics.pixel_aupro) + " %", "pro",
              points, "FPR / " + num(limit), "PRO");
}

std::string gallery_figure(const GalleryImage& g) {
  const std::string name = (g.image.parent_path().filename() / g.image.filename()).string();
  return "<figure class=\"thumb\"><img alt=\"" + escape(name) + "\" src=\"data:image/png;base64," +
         report_base64(g.png) + "\"><figcaption>" + escape(name) + "<br>score " + num(g.score) +
         "</figcaption></figure>\n";
}

std::string gallery_section(const Gallery& gallery) {
  std::string html = "<div class=\"gallery\" data-gallery=\"" + std::to_string(gallery.seed) +
                     "\"><h3>Worst-ranked images, seed " + std::to_string(gallery.seed) + "</h3>\n";
  if (!gallery.worst_defective.empty() || !gallery.worst_good.empty())
    html += "<p>Heat map over the image (one colour scale: " + num(gallery.range_min) + " … " +
            num(gallery.range_max) + "), ground truth outlined in white.</p>\n";
  const std::string at = gallery.threshold ? " the calibrated threshold " + num(*gallery.threshold) : "";
  html += gallery.threshold ? "<h4>False negatives: defective images scored at or below" + at + "</h4>\n"
                            : "<h4>Defective images with the lowest scores</h4>\n";
  html += "<div class=\"row\" data-kind=\"defective\">";
  for (const auto& g : gallery.worst_defective) html += gallery_figure(g);
  if (gallery.worst_defective.empty()) html += "<p>None.</p>";
  html += "</div>\n";
  html += gallery.threshold ? "<h4>False positives: good images scored above" + at + "</h4>\n"
                            : "<h4>Good images with the highest scores</h4>\n";
  html += "<div class=\"row\" data-kind=\"good\">";
  for (const auto& g : gallery.worst_good) html += gallery_figure(g);
  if (gallery.worst_good.empty()) html += "<p>None.</p>";
  return html + "</div></div>\n";
}

std::string category_section(const CategoryResult& c) {
  std::string html = "<section data-category=\"" + escape(c.name) + "\"><h2>" + escape(c.name) + "</h2>\n";
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
    html += pro_plot(seed);
    html += histogram(seed);
    if (seed.calibrated) {
      const CalibratedRates& calibrated = *seed.calibrated;
      const RealisedRates& r = calibrated.realised;
      html += "<p>Calibrated threshold " + num(calibrated.threshold) + " (target FPR " + num(calibrated.target_fpr) +
              ", " + std::to_string(calibrated.calibration_images) + " normals): realised FPR " +
              percent_cell(r.fpr) + " %, TPR " + percent_cell(r.tpr) + " %, precision " + percent_cell(r.precision) +
              " %, F1 " + percent_cell(r.f1) + " %</p>";
    }
    html += "</div>\n";
  }
  return html + gallery_section(c.gallery) + "</section>\n";
}

}  // namespace

std::string format_eval_html(const EvalResult& result) {
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>winclip eval</title><style>"
      "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
      "padding:2px 8px;text-align:right}figure{display:inline-block;margin:0 1em}.row{display:flex;flex-wrap:wrap}"
      ".thumb{font-size:small;text-align:center}.thumb img{display:block;max-width:160px}"
      "</style></head><body>\n<h1>winclip eval: " + escape(result.settings.value("dataset", "")) + ", " +
      std::to_string(result.settings.value("shots", 0)) +
      "-shot</h1>\n<table id=\"summary\"><tr><th>category</th><th>images</th>";
  for (const auto& field : metric_fields()) html += "<th>" + std::string(field.heading) + "</th>";
  if (result.calibrated)
    for (const auto& field : rate_fields()) html += "<th>" + std::string(field.heading) + "</th>";
  html += "</tr>\n";
  // data-* name the metrics.json entry of each cell (category or "mean", and field), for tests and scripts.
  auto row = [&](const std::string& name, int n, const Metrics& m, const std::optional<RealisedRates>& rates) {
    html += "<tr data-row=\"" + escape(name) + "\"><td>" + escape(name) + "</td><td data-field=\"n_images\">" +
            std::to_string(n) + "</td>";
    for (const auto& field : metric_fields())
      html += "<td data-field=\"" + std::string(field.name) + "\">" + percent_cell(m.*field.value) + "</td>";
    if (result.calibrated)
      for (const auto& field : rate_fields())
        html += "<td data-field=\"calibrated." + std::string(field.name) + "\">" +
                percent_cell(rates ? (*rates).*field.value : std::nullopt) + "</td>";
    html += "</tr>\n";
  };
  int total = 0;
  for (const auto& c : result.categories) row(c.name, c.n_images, c.summary.mean, c.calibrated), total += c.n_images;
  row("mean", total, result.mean.mean, result.calibrated);
  html += "</table>\n";
  for (const auto& c : result.categories) html += category_section(c);
  return html + "</body></html>\n";
}

}  // namespace winclip
