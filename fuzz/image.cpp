// Image decoding through our wrapper (decode_image_bytes): format sniffing, the pixel limit read from the
// header before decoding (image_header_dimensions), the PNG and JPEG container checks, then OpenCV's decoders
// and the conversion to 8-bit RGB. What the header claims must be what the decoder gives: the limit is only
// as good as that claim.
// fuzz dictionary: image.dict
#include "core/image_container.hpp"
#include "core/image_header.hpp"
#include "support/fuzz_target.hpp"
#include "winclip/image.hpp"

using namespace winclip;

WINCLIP_FUZZ_TARGET(image) {
  constexpr std::string_view kName = "input.img";
  constexpr uint64_t kMaxPixels = uint64_t{1} << 22;
  const auto claimed = image_header_dimensions(bytes, sniff_image_format(bytes));
  fuzz::read_or_refuse(kName, [&] {
    const Image image = decode_image_bytes(bytes, std::string(kName), DecodeLimits{.max_pixels = kMaxPixels});
    fuzz::check(!image.empty(), "decoded an empty image");
    fuzz::check(image.rgb.size() == static_cast<size_t>(image.width) * image.height * 3, "RGB buffer size");
    fuzz::check(uint64_t(image.width) * uint64_t(image.height) <= kMaxPixels, "decoded more pixels than the limit");
    if (claimed)
      fuzz::check(claimed->width == image.width && claimed->height == image.height,
                  "the header claims " + std::to_string(claimed->width) + "x" + std::to_string(claimed->height) +
                      ", the decoder gave " + std::to_string(image.width) + "x" + std::to_string(image.height));
  });
}
