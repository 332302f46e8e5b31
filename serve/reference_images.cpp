#include "serve/reference_images.hpp"

#include "serve/http_error.hpp"
#include "winclip/error.hpp"

namespace winclip::serve {

std::vector<Image> decode_references(const std::vector<Upload>& refs, int64_t max_image_pixels) {
  std::vector<Image> images;
  for (const auto& ref : refs) {
    try {
      images.push_back(decode_image_bytes({reinterpret_cast<const uint8_t*>(ref.bytes.data()), ref.bytes.size()},
                                          ref.name, max_image_pixels));
    } catch (const Error& e) {
      throw HttpError(400, std::string("ref: ") + e.what());
    }
  }
  return images;
}

}  // namespace winclip::serve
