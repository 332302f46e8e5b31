// winclip._winclip: the Python module's compiled half, a thin shell over libwinclip (python/winclip/ holds the
// pure-Python half). Engine calls run with the GIL released, so other Python threads (a Dask worker's
// heartbeat among them) keep running while an image is scored.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "winclip/winclip.hpp"

namespace py = pybind11;
using namespace winclip;

namespace {

// Raised from C++ as OSError: the failure is about a file the caller named (missing, unreadable, corrupt).
struct FileError : Error {
  using Error::Error;
};
// Raised as ValueError: an argument the caller gave is not one the library takes.
struct ArgumentError : Error {
  using Error::Error;
};

// A path (str or os.PathLike) or a numpy uint8 image; anything else is a ValueError naming the argument.
using ImageInput = std::variant<std::filesystem::path, py::array>;

Image image_from_array(const py::array& any, const std::string& name) {
  if (!py::isinstance<py::array_t<uint8_t>>(any) || any.dtype().kind() != 'u' || any.itemsize() != 1)
    throw ArgumentError(name, "numpy image must have dtype uint8, not " + std::string(py::str(any.dtype())));
  // forcecast is safe now that the dtype is uint8: it only makes the array C-contiguous.
  auto a = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>::ensure(any);
  Image img;
  if (a.ndim() == 2 || (a.ndim() == 3 && a.shape(2) == 3)) {
    img.height = static_cast<int>(a.shape(0));
    img.width = static_cast<int>(a.shape(1));
  } else {
    std::string shape = "[";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) shape += (i ? ", " : "") + std::to_string(a.shape(i));
    throw ArgumentError(name, "numpy image must be H×W×3 (RGB) or H×W (grayscale), not " + shape + "]");
  }
  if (img.empty()) throw ArgumentError(name, "numpy image is empty");
  const size_t pixels = static_cast<size_t>(img.width) * img.height;
  img.rgb.resize(pixels * 3);
  const uint8_t* src = a.data();
  // Grayscale replicated into the three channels: what decode_image does for a grayscale file.
  if (a.ndim() == 2) {
    for (size_t i = 0; i < pixels; ++i) img.rgb[3 * i] = img.rgb[3 * i + 1] = img.rgb[3 * i + 2] = src[i];
  } else {
    std::copy(src, src + pixels * 3, img.rgb.begin());
  }
  return img;
}

Image read_file_image(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw FileError(path.string(), "no such file");
  try {
    return decode_image(path);
  } catch (const Error& e) {
    throw FileError(e.what());
  }
}

// Needs the GIL only for numpy inputs; files are decoded later, without it.
struct PendingImage {
  std::optional<Image> decoded;
  std::filesystem::path path;
};

std::vector<PendingImage> take_images(const std::vector<ImageInput>& inputs) {
  std::vector<PendingImage> pending(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (auto* arr = std::get_if<py::array>(&inputs[i]))
      pending[i].decoded = image_from_array(*arr, "image " + std::to_string(i));
    else
      pending[i].path = std::get<std::filesystem::path>(inputs[i]);
  }
  return pending;
}

std::vector<Image> decode_pending(std::vector<PendingImage>& pending) {
  std::vector<Image> images;
  images.reserve(pending.size());
  for (auto& p : pending) images.push_back(p.decoded ? std::move(*p.decoded) : read_file_image(p.path));
  return images;
}

py::array_t<float> to_numpy(const Tensor& t) {
  std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
  py::array_t<float> out(shape);
  std::copy(t.data.begin(), t.data.end(), out.mutable_data());
  return out;
}

template <typename F>
auto parse_argument(const char* field, F parse) {
  try {
    return parse();
  } catch (const Error& e) {
    throw ArgumentError(field, e.what());
  }
}

struct Model {
  std::shared_ptr<const ClipModel> model;
  std::filesystem::path path;
};

Model load_model(const std::string& path, const std::string& precision, const std::string& arch,
                 std::optional<std::string> bf16_backend) {
  ModelOptions options;
  options.arch = arch;
  options.precision = parse_argument("precision", [&] { return parse_precision(precision); });
  // As on the CLI: $WINCLIP_MATMUL is the default backend, the library itself reads no environment.
  if (!bf16_backend)
    if (const char* env = std::getenv("WINCLIP_MATMUL"); env && *env) bf16_backend = env;
  if (bf16_backend)
    options.bf16_backend = parse_argument("bf16_backend", [&] { return parse_bf16_backend(*bf16_backend); });
  py::gil_scoped_release release;
  std::filesystem::path resolved;
  try {
    resolved = resolve_model(path);
  } catch (const Error& e) {
    throw FileError(e.what());
  }
  Model m;
  m.path = resolved;
  m.model = ClipModel::load(resolved, options);
  return m;
}

// prototype_cache: None → the CLI's default cache, False → none, a path → that directory.
DetectorOptions detector_options(const std::string& class_name, const std::string& templates, bool raw_class_name,
                                 const std::string& resize, const std::vector<int>& scales, int batch_size,
                                 const py::object& prototype_cache) {
  DetectorOptions o;
  o.class_name = class_name;
  o.raw_class_name = raw_class_name;
  o.templates = parse_argument("templates", [&] { return parse_template_set(templates); });
  o.resize = parse_argument("resize", [&] { return parse_resize_mode(resize); });
  if (scales.empty()) throw ArgumentError("scales", "needs at least one window scale");
  for (int s : scales)
    if (s < 1 || s > 64) throw ArgumentError("scales", "each scale must be in 1..64, not " + std::to_string(s));
  o.scales = scales;
  if (batch_size < 1 || batch_size > 64) throw ArgumentError("batch_size", "must be in 1..64");
  o.batch_size = batch_size;
  if (prototype_cache.is_none()) {
    o.prototype_cache = default_cache_dir() / "prototypes";
  } else if (py::isinstance<py::bool_>(prototype_cache)) {
    if (prototype_cache.cast<bool>()) o.prototype_cache = default_cache_dir() / "prototypes";
  } else {
    o.prototype_cache = prototype_cache.cast<std::filesystem::path>();
  }
  return o;
}

struct PyDetector {
  Model model;
  std::unique_ptr<Detector> detector;

  void add_references(const std::vector<ImageInput>& refs) {
    if (refs.empty()) throw ArgumentError("add_references", "no reference images given");
    auto pending = take_images(refs);
    py::gil_scoped_release release;
    detector->add_references(decode_pending(pending));
  }

  std::vector<Detection> detect(const std::vector<ImageInput>& images) const {
    auto pending = take_images(images);
    py::gil_scoped_release release;
    return detector->score(decode_pending(pending));
  }

  void save_bank(const std::filesystem::path& path) const {
    py::gil_scoped_release release;
    try {
      save_bank_file(path, detector->bank_file());
    } catch (const Error& e) {
      throw FileError(e.what());
    }
  }
};

std::vector<uint8_t> labels_vector(const std::vector<int>& labels) {
  std::vector<uint8_t> out;
  out.reserve(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 0 && labels[i] != 1)
      throw ArgumentError("labels[" + std::to_string(i) + "]", "must be 0 (normal) or 1 (anomalous)");
    out.push_back(static_cast<uint8_t>(labels[i]));
  }
  return out;
}

ImageMetrics image_metrics_of(const std::vector<int>& labels, const std::vector<float>& scores) {
  if (labels.size() != scores.size())
    throw ArgumentError("scores", std::to_string(scores.size()) + " scores for " + std::to_string(labels.size()) +
                                      " labels");
  const auto l = labels_vector(labels);
  py::gil_scoped_release release;
  return image_metrics(scores, l);
}

// masks and maps: one [H, W] array each per image, or one [N, H, W] array.
PixelMetrics pixel_metrics_of(const py::object& masks, const py::object& maps, double fpr_limit) {
  if (!(fpr_limit > 0 && fpr_limit <= 1)) throw ArgumentError("fpr_limit", "must be in (0, 1]");
  std::vector<py::array_t<uint8_t, py::array::c_style | py::array::forcecast>> mask_list;
  std::vector<py::array_t<float, py::array::c_style | py::array::forcecast>> map_list;
  for (auto m : masks) {
    // Masks are compared with 0: booleans and 0/255 images alike.
    py::array a = py::array::ensure(m);
    if (a.dtype().kind() == 'f') a = py::array(a.attr("__ne__")(0));
    mask_list.push_back(py::array_t<uint8_t, py::array::c_style | py::array::forcecast>::ensure(a));
  }
  for (auto m : maps) map_list.push_back(py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(m));
  if (mask_list.size() != map_list.size())
    throw ArgumentError("maps", std::to_string(map_list.size()) + " maps for " + std::to_string(mask_list.size()) +
                                    " masks");
  for (size_t i = 0; i < mask_list.size(); ++i) {
    const auto& mk = mask_list[i];
    const auto& mp = map_list[i];
    const std::string where = "image " + std::to_string(i);
    if (!mk || !mp) throw ArgumentError(where, "masks and maps must be numeric arrays");
    if (mk.ndim() != 2 || mp.ndim() != 2 || mk.shape(0) != mp.shape(0) || mk.shape(1) != mp.shape(1))
      throw ArgumentError(where, "mask and map must be 2-D arrays of the same shape");
  }
  PixelMetricsAccumulator acc(PixelMetricOptions{.fpr_limit = fpr_limit});
  py::gil_scoped_release release;
  for (size_t i = 0; i < mask_list.size(); ++i) {
    const auto& mk = mask_list[i];
    const auto& mp = map_list[i];
    const auto n = static_cast<size_t>(mk.size());
    try {
      acc.add({mp.data(), n}, {mk.data(), n}, static_cast<int>(mk.shape(0)), static_cast<int>(mk.shape(1)),
              "image " + std::to_string(i));
    } catch (const Error& e) {
      throw ArgumentError(e.what());
    }
  }
  return acc.finish();
}

// One evaluation as `winclip eval` runs it: the same options, cache and report files. Returns the table.
std::string run_evaluation(const Model& model, const std::string& dataset, const std::filesystem::path& root,
                           const std::vector<std::string>& categories, int shots, const std::vector<uint64_t>& seeds,
                           int limit, bool pixel_metrics, const std::string& aupr, bool save_maps, bool fresh,
                           const std::string& templates, bool raw_class_name, const std::string& resize,
                           const std::vector<int>& scales, int batch_size, const std::filesystem::path& out,
                           bool write_report) {
  EvalOptions o;
  o.dataset.kind = parse_argument("dataset", [&] { return parse_dataset_kind(dataset); });
  if (o.dataset.kind == DatasetKind::Folder)
    throw ArgumentError("dataset", "the folder layout is not available here; use mvtec or visa");
  if (root.empty()) throw ArgumentError("root", "the dataset root is required");
  if (out.empty()) throw ArgumentError("out", "the output directory is required");
  if (shots < 0) throw ArgumentError("shots", "must be 0 (zero-shot) or more");
  if (shots > 0 && seeds.empty()) throw ArgumentError("seeds", "few-shot needs at least one seed");
  if (aupr != "step" && aupr != "trapezoid") throw ArgumentError("aupr", "must be step or trapezoid");
  o.dataset.root = root;
  o.categories = categories;
  o.shots = shots;
  o.seeds = seeds;
  o.limit = limit;
  o.pixel_metrics = pixel_metrics;
  o.aupr = aupr == "trapezoid" ? AuprMethod::trapezoid : AuprMethod::step;
  o.save_maps = save_maps;
  o.fresh = fresh;
  o.show_progress = false;
  o.detector = detector_options("object", templates, raw_class_name, resize, scales, batch_size, py::none());
  o.out = out;
  py::gil_scoped_release release;
  const EvalResult result = run_eval(model.model, o);
  if (write_report) write_eval_report(result, out, save_maps);
  return format_eval_table(result);
}

}  // namespace

PYBIND11_MODULE(_winclip, m) {
  m.doc() = "WinCLIP / WinCLIP+ visual anomaly detection (libwinclip)";

  static py::exception<Error> error_type(m, "Error", PyExc_RuntimeError);
  // Most derived first: the library's own error is the fallback.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ArgumentError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const FileError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const Error& e) {
      error_type(e.what());
    }
  });

  py::class_<Model>(m, "Model", "A loaded CLIP model, shared by every Detector made from it")
      .def_property_readonly("path", [](const Model& mo) { return mo.path; })
      .def_property_readonly("image_size", [](const Model& mo) { return mo.model->image_size(); })
      .def_property_readonly("precision", [](const Model& mo) { return std::string(precision_name(mo.model->precision())); })
      .def_property_readonly("fingerprint", [](const Model& mo) { return mo.model->fingerprint(); })
      .def("__repr__", [](const Model& mo) {
        return "<winclip.Model " + mo.path.string() + " " + precision_name(mo.model->precision()) + ">";
      });

  m.def("load_model", &load_model, py::arg("path"), py::kw_only(), py::arg("precision") = "fp32",
        py::arg("arch") = "", py::arg("bf16_backend") = py::none(),
        "Load a model directory, a weights file (with arch=...) or a known model name from the cache.");

  py::class_<Detection>(m, "Detection", "One image's result")
      .def_readonly("score", &Detection::score)
      .def_property_readonly("map", [](const Detection& d) { return to_numpy(d.map); })
      .def_property_readonly("patch_map", [](const Detection& d) { return to_numpy(d.patch_map); })
      .def_readonly("zero_shot_score", &Detection::zero_shot_score)
      .def("__repr__", [](const Detection& d) { return "<winclip.Detection score=" + std::to_string(d.score) + ">"; });

  py::class_<PyDetector>(m, "Detector", "WinCLIP (zero-shot) or WinCLIP+ (with references) for one object class")
      .def(py::init([](const Model& model, const std::string& class_name, const std::string& templates,
                       bool raw_class_name, const std::string& resize, const std::vector<int>& scales,
                       int batch_size, const py::object& prototype_cache) {
             auto options =
                 detector_options(class_name, templates, raw_class_name, resize, scales, batch_size, prototype_cache);
             auto d = std::make_unique<PyDetector>();
             d->model = model;
             py::gil_scoped_release release;
             d->detector = std::make_unique<Detector>(model.model, options);
             return d;
           }),
           py::arg("model"), py::kw_only(), py::arg("class_name"), py::arg("templates") = "paper",
           py::arg("raw_class_name") = false, py::arg("resize") = "squash",
           py::arg("scales") = std::vector<int>{2, 3}, py::arg("batch_size") = 2,
           py::arg("prototype_cache") = py::none())
      .def_static(
          "from_bank",
          [](const Model& model, const std::filesystem::path& path, const std::string& resize,
             const std::vector<int>& scales, int batch_size, const py::object& prototype_cache) {
            std::error_code ec;
            if (!std::filesystem::exists(path, ec)) throw FileError(path.string(), "no such file");
            // The bank fixes class and templates (as `winclip detect --bank`); resize and scales are the caller's,
            // and the library refuses scales other than the bank's.
            auto options = detector_options("object", "paper", false, resize, scales, batch_size, prototype_cache);
            auto d = std::make_unique<PyDetector>();
            d->model = model;
            py::gil_scoped_release release;
            d->detector = std::make_unique<Detector>(detector_from_bank(model.model, path, options));
            return d;
          },
          py::arg("model"), py::arg("path"), py::kw_only(), py::arg("resize") = "squash",
          py::arg("scales") = std::vector<int>{2, 3}, py::arg("batch_size") = 2,
          py::arg("prototype_cache") = py::none())
      .def("add_references", &PyDetector::add_references, py::arg("images"))
      .def("detect", &PyDetector::detect, py::arg("images"))
      .def("save_bank", &PyDetector::save_bank, py::arg("path"))
      .def_property_readonly("shots", [](const PyDetector& d) { return d.detector->shots(); })
      .def_property_readonly("class_name", [](const PyDetector& d) { return d.detector->options().class_name; })
      .def_property_readonly("object_name", [](const PyDetector& d) { return d.detector->object_name(); })
      .def_property_readonly("model", [](const PyDetector& d) { return d.model; });

  m.def(
      "read_image",
      [](const std::filesystem::path& path) {
        Image img;
        {
          py::gil_scoped_release release;
          img = read_file_image(path);
        }
        py::array_t<uint8_t> out({img.height, img.width, 3});
        std::copy(img.rgb.begin(), img.rgb.end(), out.mutable_data());
        return out;
      },
      py::arg("path"), "Decode an image file to RGB uint8 H×W×3 exactly as the detector reads files.");

  m.def(
      "write_npy",
      [](const std::filesystem::path& path, py::array_t<float, py::array::c_style | py::array::forcecast> a) {
        Shape shape(a.shape(), a.shape() + a.ndim());
        py::gil_scoped_release release;
        try {
          write_npy(path, shape, a.data());
        } catch (const Error& e) {
          throw FileError(e.what());
        }
      },
      py::arg("path"), py::arg("array"),
      "Write a float32 .npy file atomically, as `winclip detect` writes its maps (parent folders created).");

  m.def("_run_eval", &run_evaluation, py::arg("model"), py::kw_only(), py::arg("dataset"), py::arg("root"),
        py::arg("categories"), py::arg("shots"), py::arg("seeds"), py::arg("limit"), py::arg("pixel_metrics"),
        py::arg("aupr"), py::arg("save_maps"), py::arg("fresh"), py::arg("templates"), py::arg("raw_class_name"),
        py::arg("resize"), py::arg("scales"), py::arg("batch_size"), py::arg("out"), py::arg("write_report"));

  auto metrics = m.def_submodule("metrics", "Exact metrics of `winclip eval` (docs/eval.md)");
  metrics.def("image_auroc", [](const std::vector<int>& l, const std::vector<float>& s) {
    return image_metrics_of(l, s).auroc;
  }, py::arg("labels"), py::arg("scores"));
  metrics.def("image_ap", [](const std::vector<int>& l, const std::vector<float>& s) {
    return image_metrics_of(l, s).aupr;
  }, py::arg("labels"), py::arg("scores"));
  metrics.def("f1_max", [](const std::vector<int>& l, const std::vector<float>& s) {
    return image_metrics_of(l, s).f1_max;
  }, py::arg("labels"), py::arg("scores"));
  metrics.def("pixel_auroc", [](const py::object& masks, const py::object& maps) {
    return pixel_metrics_of(masks, maps, 0.3).auroc;
  }, py::arg("masks"), py::arg("maps"));
  metrics.def("pixel_f1_max", [](const py::object& masks, const py::object& maps) {
    return pixel_metrics_of(masks, maps, 0.3).f1_max;
  }, py::arg("masks"), py::arg("maps"));
  metrics.def("aupro", [](const py::object& masks, const py::object& maps, double fpr_limit) {
    return pixel_metrics_of(masks, maps, fpr_limit).aupro;
  }, py::arg("masks"), py::arg("maps"), py::kw_only(), py::arg("fpr_limit") = 0.3);
}
