// The files an evaluation leaves (metrics.json, table.md, table.csv, scores.csv) and its printed table.
#include <algorithm>
#include <cstdio>

#include "eval/score_text.hpp"
#include "core/atomic_file.hpp"
#include "winclip/eval.hpp"

namespace winclip {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

namespace {

// Fractions, null where undefined; "<name>_std" fields only when there is a spread.
void put_metrics(ordered_json& out, const Metrics& mean, const std::optional<Metrics>& std) {
  for (const MetricField& field : metric_fields()) {
    const auto& value = mean.*field.value;
    out[field.name] = value ? ordered_json(*value) : ordered_json();
    if (std) {
      const auto& spread = (*std).*field.value;
      out[std::string(field.name) + "_std"] = spread ? ordered_json(*spread) : ordered_json();
    }
  }
}

ordered_json seed_entry(uint64_t seed, const Metrics& metrics) {
  ordered_json entry = {{"seed", seed}};
  put_metrics(entry, metrics, std::nullopt);
  return entry;
}

ordered_json optional_json(const std::optional<double>& v) { return v ? ordered_json(*v) : ordered_json(); }

ordered_json rates_json(const RealisedRates& rates) {
  ordered_json out = ordered_json::object();
  for (const RateField& field : rate_fields()) out[field.name] = optional_json(rates.*field.value);
  return out;
}

ordered_json calibrated_json(const CalibratedRates& r) {
  ordered_json out = {{"threshold", r.threshold}, {"target_fpr", r.target_fpr},
                      {"calibration_images", r.calibration_images}, {"rank", r.rank}};
  out.update(rates_json(r.realised));
  return out;
}

ordered_json metrics_json(const EvalResult& result) {
  ordered_json json = {{"dataset", result.settings.value("dataset", "")},
                       {"shots", result.settings.value("shots", 0)},
                       {"seeds", result.seeds},
                       {"settings", ordered_json::parse(result.settings.dump())}};
  ordered_json categories = ordered_json::object();
  int total_images = 0;
  for (const auto& c : result.categories) {
    ordered_json entry;
    put_metrics(entry, c.summary.mean, c.summary.std);
    entry["n_images"] = c.n_images;
    entry["per_seed"] = ordered_json::array();
    for (const auto& s : c.seeds) {
      entry["per_seed"].push_back(seed_entry(s.seed, s.metrics));
      if (s.calibrated) entry["per_seed"].back()["calibrated"] = calibrated_json(*s.calibrated);
    }
    if (c.calibrated) entry["calibrated"] = rates_json(*c.calibrated);
    categories[c.name] = std::move(entry);
    total_images += c.n_images;
  }
  json["categories"] = std::move(categories);
  ordered_json mean;
  put_metrics(mean, result.mean.mean, result.mean.std);
  mean["n_images"] = total_images;
  mean["n_categories"] = result.categories.size();
  if (result.calibrated) mean["calibrated"] = rates_json(*result.calibrated);
  mean["per_seed"] = ordered_json::array();
  for (size_t s = 0; s < result.seeds.size(); ++s)
    mean["per_seed"].push_back(seed_entry(result.seeds[s], result.mean_per_seed[s]));
  json["mean"] = std::move(mean);
  json["warnings"] = result.warnings;
  return json;
}

std::string percent(const std::optional<double>& value) { return eval::percent_text(value, ""); }

std::string table_cell(const MetricSummary& summary, const MetricField& field) {
  const auto& value = summary.mean.*field.value;
  if (!value) return "–";
  if (!summary.std || !((*summary.std).*field.value)) return percent(value);
  return percent(value) + " ± " + percent((*summary.std).*field.value);
}

struct TableRow {
  std::string name;
  int n_images = 0;
  const MetricSummary* summary = nullptr;
  const std::optional<RealisedRates>* calibrated = nullptr;
};

std::vector<TableRow> table_rows(const EvalResult& result) {
  std::vector<TableRow> rows;
  int total = 0;
  for (const auto& c : result.categories) {
    rows.push_back({c.name, c.n_images, &c.summary, &c.calibrated});
    total += c.n_images;
  }
  rows.push_back({"mean", total, &result.mean, &result.calibrated});
  return rows;
}

// Display width: "±" and "–" are one column but more than one byte.
size_t columns(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string table_csv(const EvalResult& result) {
  const bool spread = result.seeds.size() > 1;
  std::string csv = "category,n_images";
  for (const MetricField& field : metric_fields())
    csv.append(",").append(field.name).append(spread ? std::string(",") + field.name + "_std" : "");
  if (result.calibrated)
    for (const RateField& field : rate_fields()) csv.append(",").append(field.column);
  csv += "\n";
  for (const TableRow& row : table_rows(result)) {
    csv.append(csv_field(row.name)).append(",").append(std::to_string(row.n_images));
    for (const MetricField& field : metric_fields()) {
      csv.append(",").append(percent(row.summary->mean.*field.value));
      if (spread) csv.append(",").append(row.summary->std ? percent((*row.summary->std).*field.value) : "");
    }
    if (result.calibrated)
      for (const RateField& field : rate_fields())
        csv.append(",").append(*row.calibrated ? percent((**row.calibrated).*field.value) : "");
    csv += "\n";
  }
  return csv;
}

std::string scores_csv(const EvalResult& result) {
  std::string csv = "category,seed,image,label,score\n";
  for (const auto& c : result.categories)
    for (const auto& s : c.seeds)
      for (const auto& image : s.scores)
        csv += csv_field(c.name) + "," + std::to_string(s.seed) + "," + csv_field(image.image.string()) +
               (image.anomalous ? ",1," : ",0,") + eval::score_text(image.score) + "\n";
  return csv;
}

}  // namespace

std::string format_eval_table(const EvalResult& result) {
  std::vector<std::vector<std::string>> cells = {{"category", "images"}};
  for (const MetricField& field : metric_fields()) cells[0].push_back(field.heading);
  if (result.calibrated)
    for (const RateField& field : rate_fields()) cells[0].push_back(field.heading);
  for (const TableRow& row : table_rows(result)) {
    std::vector<std::string> line = {row.name, std::to_string(row.n_images)};
    for (const MetricField& field : metric_fields()) line.push_back(table_cell(*row.summary, field));
    if (result.calibrated)
      for (const RateField& field : rate_fields()) {
        const std::optional<double> rate = *row.calibrated ? (**row.calibrated).*field.value : std::nullopt;
        line.push_back(rate ? percent(rate) : "–");
      }
    cells.push_back(std::move(line));
  }
  std::vector<size_t> width(cells[0].size(), 3);
  for (const auto& line : cells)
    for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], columns(line[i]));
  auto render = [&](const std::vector<std::string>& line) {
    std::string text = "|";
    for (size_t i = 0; i < line.size(); ++i) {
      const std::string pad(width[i] - columns(line[i]), ' ');
      text += " " + (i == 0 ? line[i] + pad : pad + line[i]) + " |";  // names left, numbers right
    }
    return text + "\n";
  };
  std::string table = render(cells[0]) + "|";
  for (size_t i = 0; i < width.size(); ++i)
    table += i == 0 ? " " + std::string(width[i], '-') + " |" : " " + std::string(width[i] - 1, '-') + ": |";
  table += "\n";
  for (size_t r = 1; r < cells.size(); ++r) table += render(cells[r]);
  return table;
}

void write_eval_report(const EvalResult& result, const fs::path& out, bool with_scores) {
  write_file_atomic(out / "metrics.json", metrics_json(result).dump(1) + "\n");
  write_file_atomic(out / "table.md", format_eval_table(result));
  write_file_atomic(out / "report.html", format_eval_html(result));
  write_file_atomic(out / "table.csv", table_csv(result));
  if (with_scores) write_file_atomic(out / "scores.csv", scores_csv(result));
}

}  // namespace winclip
