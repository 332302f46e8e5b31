// WinCLIP+ with a reference bank: built from normal images, saved to a bank file, loaded again, then used to
// score test images (what a line does: build the bank once, start from the file every shift).
//   few_shot MODEL CLASS BANK_FILE REF.png [REF.png ...] -- IMAGE [IMAGE ...]
#include <winclip/winclip.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::vector<winclip::Image> references;
  std::vector<std::string> images;
  bool after_separator = false;
  for (int i = 4; i < argc; ++i) {
    if (std::string(argv[i]) == "--") after_separator = true;
    else if (after_separator) images.emplace_back(argv[i]);
    else references.push_back(winclip::decode_image(argv[i]));
  }
  if (argc < 4 || references.empty() || images.empty()) {
    std::fprintf(stderr, "usage: %s MODEL CLASS BANK_FILE REF... -- IMAGE...\n", argv[0]);
    return 2;
  }
  try {
    std::shared_ptr<const winclip::ClipModel> model = winclip::ClipModel::load(argv[1], winclip::ModelOptions{});
    winclip::DetectorOptions options;
    options.class_name = argv[2];
    winclip::Detector builder(model, options);
    builder.add_references(references);
    winclip::save_bank_file(argv[3], builder.bank_file());

    // From here on only the bank file is needed: prototypes and reference features come from it.
    const winclip::Detector detector = winclip::detector_from_bank(model, argv[3], options);
    std::vector<winclip::Image> decoded;
    for (const auto& path : images) decoded.push_back(winclip::decode_image(path));
    const std::vector<winclip::Detection> detections = detector.score(decoded);
    for (size_t i = 0; i < images.size(); ++i) std::printf("%s %.9f\n", images[i].c_str(), detections[i].score);
    return 0;
  } catch (const winclip::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
