#pragma once
// What an HTTP request asks of the service, read from the request alone (no socket, model or file), so that a
// fuzz target can drive it: the fields and files of a multipart/form-data body, or one raw image body with the
// fields as query parameters. Every problem is an HttpError (400 naming the field, 415 for the content type).
#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "winclip/prompts.hpp"

namespace winclip::serve {

// An uploaded file; `bytes` points into the request, which must outlive it.
struct Upload {
  std::string name;  // the part's file name ("image-<n>" when it has none); results are named by it
  std::string_view bytes;
};

struct DetectOutputs {
  bool map = true, overlay = false, mask = false;
};

struct DetectRequest {
  std::string class_name;  // may be empty with a bank (which names its own class)
  std::string bank;        // a stored bank's name, or empty
  TemplateSet templates = TemplateSet::Paper;
  bool raw_class_name = false;
  std::optional<double> threshold;
  DetectOutputs outputs;
  std::vector<Upload> images;  // in upload order
  std::vector<Upload> refs;    // WinCLIP+ references, in upload order
};

struct BankRequest {
  std::string name;
  std::string class_name;
  TemplateSet templates = TemplateSet::Paper;
  bool raw_class_name = false;
  std::vector<Upload> refs;
};

inline constexpr size_t kMaxClassNameBytes = 1000;

// POST /v1/detect: multipart/form-data (fields image, class, ref, bank, templates, raw_class_name, threshold,
// outputs; query parameters count as fields too), or an image/png or image/jpeg body with the fields as query
// parameters (and `name`, the result's name).
DetectRequest parse_detect_request(const httplib::Request& request);
// POST /v1/banks: multipart/form-data with name, class, ref (one or more), templates, raw_class_name.
BankRequest parse_bank_request(const httplib::Request& request);

// [A-Za-z0-9][A-Za-z0-9_.-]{0,63}
bool valid_bank_name(std::string_view name);

}  // namespace winclip::serve
