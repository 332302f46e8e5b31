// Zero-shot WinCLIP on one image: prints the anomaly score and writes the anomaly map as .npy.
//   detect_one MODEL CLASS IMAGE MAP.npy
#include <winclip/winclip.hpp>

#include <cstdio>
#include <memory>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MODEL CLASS IMAGE MAP.npy\n", argv[0]);
    return 2;
  }
  try {
    std::shared_ptr<const winclip::ClipModel> model = winclip::ClipModel::load(argv[1], winclip::ModelOptions{});
    winclip::DetectorOptions options;
    options.class_name = argv[2];
    const winclip::Detector detector(model, options);
    const winclip::Detection detection = detector.score(winclip::decode_image(argv[3]));
    std::printf("%.9f\n", detection.score);
    winclip::write_npy(argv[4], detection.map);
    return 0;
  } catch (const winclip::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
