#include "detector_args.hpp"

#include "command.hpp"
#include "winclip/model_store.hpp"

namespace winclip::app {

void DetectorArgs::add_to(CLI::App& sub, bool with_class) {
  if (with_class)
    sub.add_option("--class", class_name, "object class, e.g. bottle or metal_nut (cleaned to \"metal nut\")");
  sub.add_flag("--raw-class-name", raw_class_name, "use the class name in prompts exactly as given (anomalib parity)");
  sub.add_option("--templates", templates, "prompt templates: paper (22) or anomalib (21)")
      ->check(CLI::IsMember({"paper", "anomalib"}));
  sub.add_option("--resize", resize, "squash (resize to S×S, default) or shortest (shorter side to S, centre crop)")
      ->check(CLI::IsMember({"squash", "shortest"}));
  one_value_per_occurrence(sub.add_option("--scales", scales, "window scales in patches, e.g. 2,3")->delimiter(','))
      ->check(CLI::Range(1, 64));
  sub.add_option("--batch-size", batch_size, "images per forward pass")->check(CLI::Range(1, 64));
  sub.add_flag("--no-prototype-cache", no_prototype_cache, "always run the text tower; do not read or write the cache");
}

DetectorOptions DetectorArgs::options(const ModelArgs& model) const {
  DetectorOptions o;
  o.class_name = class_name;
  o.raw_class_name = raw_class_name;
  o.templates = parse_template_set(templates);
  o.resize = parse_resize_mode(resize);
  o.scales = scales;
  o.batch_size = batch_size;
  if (!no_prototype_cache)
    o.prototype_cache = (model.cache_dir.empty() ? default_cache_dir() : std::filesystem::path(model.cache_dir)) /
                        "prototypes";
  return o;
}

}  // namespace winclip::app
