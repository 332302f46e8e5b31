#pragma once
// Decoding the reference images of a request: all are needed, so one that cannot be decoded refuses the
// request (400 naming the field and the file).
#include <cstdint>
#include <vector>

#include "serve/request_parsing.hpp"
#include "winclip/image.hpp"

namespace winclip::serve {

std::vector<Image> decode_references(const std::vector<Upload>& refs, int64_t max_image_pixels);

}  // namespace winclip::serve
