// Image decoding through our wrapper (decode_image_bytes): format sniffing, the PNG and JPEG container
// checks, then OpenCV's decoders and the conversion to 8-bit RGB.
// fuzz dictionary: image.dict
#include "support/fuzz_target.hpp"
#include "winclip/image.hpp"

using namespace winclip;

WINCLIP_FUZZ_TARGET(image) {
  constexpr std::string_view kName = "input.img";
  fuzz::read_or_refuse(kName, [&] {
    const Image image = decode_image_bytes(bytes, std::string(kName));
    fuzz::check(!image.empty(), "decoded an empty image");
    fuzz::check(image.rgb.size() == static_cast<size_t>(image.width) * image.height * 3, "RGB buffer size");
  });
}
