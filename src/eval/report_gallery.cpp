#include "eval/report_gallery.hpp"

#include <algorithm>

#include "winclip/overlay.hpp"
#include "winclip/preprocess.hpp"

namespace winclip::eval {

namespace {

// Indices of the test images of `anomalous` label on the wrong side of `threshold` (all of them without
// one), worst first: defective ones by ascending score, good ones by descending score; at most three.
std::vector<size_t> worst_of_label(const SeedResult& draw, bool anomalous, const std::optional<double>& threshold) {
  std::vector<size_t> chosen;
  for (size_t i = 0; i < draw.scores.size(); ++i) {
    const ImageScore& s = draw.scores[i];
    if (s.anomalous != anomalous) continue;
    if (threshold && (anomalous ? s.score > *threshold : s.score <= *threshold)) continue;
    chosen.push_back(i);
  }
  // Stable: ties keep test order, so the choice is the same on every run.
  std::stable_sort(chosen.begin(), chosen.end(), [&](size_t a, size_t b) {
    return anomalous ? draw.scores[a].score < draw.scores[b].score : draw.scores[a].score > draw.scores[b].score;
  });
  if (chosen.size() > 3) chosen.resize(3);
  return chosen;
}

Image gallery_thumbnail(const Image& original) {
  const int longest = std::max(original.width, original.height);
  if (longest <= kGalleryThumbnail) return original;
  const double scale = static_cast<double>(kGalleryThumbnail) / longest;
  return resize_bicubic(original, std::max(1, static_cast<int>(original.width * scale + 0.5)),
                        std::max(1, static_cast<int>(original.height * scale + 0.5)));
}

}  // namespace

Gallery worst_images(const CategoryContext& context, const SeedResult& draw) {
  Gallery gallery{.seed = draw.seed};
  if (draw.calibrated) gallery.threshold = draw.calibrated->threshold;
  const std::vector<size_t> defective = worst_of_label(draw, true, gallery.threshold);
  const std::vector<size_t> good = worst_of_label(draw, false, gallery.threshold);
  std::vector<size_t> shown = defective;
  shown.insert(shown.end(), good.begin(), good.end());
  if (shown.empty()) return gallery;

  const Category& category = context.category;
  std::vector<Tensor> maps;
  for (size_t i : shown) {
    auto entry = context.cache.read(category.name, draw.seed, category.test[i].key(), context.map_size);
    // The draw was scored and its entries verified just before; one gone now was changed by another process.
    if (!entry)
      throw Error(context.cache.dir().string(), "the cached result of " + category.test[i].key() +
                                                    " is missing or damaged while the report is written");
    maps.push_back(std::move(entry->map));
  }
  // One colour scale for all thumbnails, so that a false positive's heat compares with a defect's.
  gallery.range_min = maps[0].data[0], gallery.range_max = maps[0].data[0];
  for (const Tensor& map : maps) {
    const auto [lo, hi] = std::minmax_element(map.data.begin(), map.data.end());
    gallery.range_min = std::min(gallery.range_min, *lo), gallery.range_max = std::max(gallery.range_max, *hi);
  }
  const ResizeMode mode = context.options.detector.resize;
  for (size_t k = 0; k < shown.size(); ++k) {
    const TestImage& test = category.test[shown[k]];
    Image picture = render_overlay(gallery_thumbnail(decode_image(test.image)), maps[k], mode,
                                   {.range_min = gallery.range_min, .range_max = gallery.range_max});
    if (test.anomalous && !context.masks.empty()) {
      const std::vector<uint8_t>& pixels = context.masks[shown[k]].pixels;
      Tensor truth({context.map_size, context.map_size});
      std::transform(pixels.begin(), pixels.end(), truth.data.begin(), [](uint8_t m) { return m ? 1.0f : 0.0f; });
      draw_contour(picture, truth, mode, 0.5f, {255, 255, 255});
    }
    GalleryImage entry{.image = test.image, .anomalous = test.anomalous, .score = draw.scores[shown[k]].score,
                       .png = encode_png(picture, test.image.string())};
    (test.anomalous ? gallery.worst_defective : gallery.worst_good).push_back(std::move(entry));
  }
  return gallery;
}

}  // namespace winclip::eval
