// Ground-truth masks of evaluation datasets: decoded as stored, binarised, resized like their image.
// fuzz dictionary: image.dict
#include "eval/ground_truth.hpp"
#include "support/fuzz_target.hpp"

using namespace winclip;

WINCLIP_FUZZ_TARGET(ground_truth) {
  constexpr std::string_view kName = "input_mask.png";
  constexpr int kSize = 24;
  for (ResizeMode mode : {ResizeMode::Squash, ResizeMode::Shortest}) {
    fuzz::read_or_refuse(kName, [&] {
      const GroundTruth gt = load_ground_truth_bytes(bytes, std::string(kName), kSize, mode);
      fuzz::check(gt.pixels.size() == static_cast<size_t>(kSize) * kSize, "mask size");
      for (uint8_t p : gt.pixels) fuzz::check(p <= 1, "mask pixel not 0 or 1");
    });
  }
}
