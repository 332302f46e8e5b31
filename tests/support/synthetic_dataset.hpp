#pragma once
// Small synthetic anomaly-detection datasets for the evaluation tests: striped, noisy textures with a
// painted defect (a bright square) and its ground-truth mask, laid out like MVTec-AD, VisA or plain folders.
// Header-only because tests/CMakeLists.txt builds test_*.cpp files only.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "winclip/image.hpp"
#include "winclip/overlay.hpp"

namespace winclip::test {

// Where the defect of an anomalous image was painted (pixel coordinates of the image).
struct Defect {
  int left = 0, top = 0, side = 0;
};

struct SyntheticSpec {
  int width = 64, height = 64;
  int train = 3;  // normal training images
  int good = 2;   // normal test images
  std::vector<std::string> defects = {"hole", "scratch"};
  int per_defect = 2;  // anomalous test images per defect type
};

// Deterministic texture: diagonal stripes whose phase depends on `seed`, plus hashed noise.
inline Image texture(int width, int height, uint32_t seed) {
  Image img{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      uint32_t h = (static_cast<uint32_t>(x) * 73856093u) ^ (static_cast<uint32_t>(y) * 19349663u) ^ (seed * 83492791u);
      h ^= h >> 13;
      h *= 0x5bd1e995u;
      const int noise = static_cast<int>((h >> 24) % 24);
      const int stripe = ((x + y + static_cast<int>(seed)) / 4) % 2 ? 40 : 0;
      for (int c = 0; c < 3; ++c)
        img.rgb[(static_cast<size_t>(y) * width + x) * 3 + c] = static_cast<uint8_t>(70 + stripe + noise + 10 * c);
    }
  return img;
}

// A square defect whose place and size vary with `index`, kept inside the image.
inline Defect defect_for(int index, int width, int height) {
  const int side = std::max(4, std::min(width, height) / 4 + (index % 3) * 2);
  return {(7 + index * 11) % (width - side), (5 + index * 17) % (height - side), side};
}

inline Image with_defect(Image img, const Defect& d) {
  for (int y = d.top; y < d.top + d.side; ++y)
    for (int x = d.left; x < d.left + d.side; ++x)
      for (int c = 0; c < 3; ++c) img.rgb[(static_cast<size_t>(y) * img.width + x) * 3 + c] = c == 0 ? 250 : 30;
  return img;
}

// `value` inside the defect, 0 elsewhere (MVTec stores 255; VisA region ids such as 1).
inline std::vector<uint8_t> defect_mask(int width, int height, const Defect& d, uint8_t value) {
  std::vector<uint8_t> mask(static_cast<size_t>(width) * height, 0);
  for (int y = d.top; y < d.top + d.side; ++y)
    for (int x = d.left; x < d.left + d.side; ++x) mask[static_cast<size_t>(y) * width + x] = value;
  return mask;
}

inline uint32_t name_seed(const std::string& name) {
  uint32_t seed = 0;
  for (unsigned char c : name) seed = seed * 31 + c;
  return seed % 1000;
}

inline std::string numbered(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "%03d", i);
  return name;
}

// <root>/<category>/{train/good, test/good, test/<defect>, ground_truth/<defect>/<stem>_mask.png}.
// Returns the defects painted, by "<defect>/<stem>".
inline std::vector<std::pair<std::string, Defect>> make_mvtec_category(const std::filesystem::path& root,
                                                                       const std::string& category,
                                                                       const SyntheticSpec& spec) {
  const auto dir = root / category;
  uint32_t seed = name_seed(category);
  for (const char* sub : {"train/good", "test/good"}) std::filesystem::create_directories(dir / sub);
  for (int i = 0; i < spec.train; ++i)
    write_png(dir / "train/good" / (numbered(i) + ".png"), texture(spec.width, spec.height, seed++));
  for (int i = 0; i < spec.good; ++i)
    write_png(dir / "test/good" / (numbered(i) + ".png"), texture(spec.width, spec.height, seed++));
  std::vector<std::pair<std::string, Defect>> painted;
  int index = 0;
  for (const auto& defect : spec.defects) {
    std::filesystem::create_directories(dir / "test" / defect);
    std::filesystem::create_directories(dir / "ground_truth" / defect);
    for (int i = 0; i < spec.per_defect; ++i, ++index) {
      const Defect d = defect_for(index, spec.width, spec.height);
      write_png(dir / "test" / defect / (numbered(i) + ".png"),
                with_defect(texture(spec.width, spec.height, seed++), d));
      write_png_gray(dir / "ground_truth" / defect / (numbered(i) + "_mask.png"), spec.width, spec.height,
                     defect_mask(spec.width, spec.height, d, 255));
      painted.emplace_back(defect + "/" + numbered(i), d);
    }
  }
  return painted;
}

// VisA: <root>/<category>/Data/Images/{Normal,Anomaly}/*.png, Data/Masks/Anomaly/*.png with region id 1,
// and <root>/split_csv/1cls.csv for all categories. Normal images: the first spec.train are train.
inline void make_visa(const std::filesystem::path& root, const std::vector<std::string>& categories,
                      const SyntheticSpec& spec) {
  std::filesystem::create_directories(root / "split_csv");
  std::ofstream csv(root / "split_csv" / "1cls.csv");
  csv << "object,split,label,image,mask\n";
  for (const auto& category : categories) {
    const std::string base = category + "/Data/";
    for (const char* sub : {"Images/Normal", "Images/Anomaly", "Masks/Anomaly"})
      std::filesystem::create_directories(root / (base + sub));
    uint32_t seed = name_seed(category);
    for (int i = 0; i < spec.train + spec.good; ++i) {
      const std::string image = base + "Images/Normal/" + numbered(i) + ".png";
      write_png(root / image, texture(spec.width, spec.height, seed++));
      csv << category << "," << (i < spec.train ? "train" : "test") << ",normal," << image << ",\n";
    }
    const int anomalies = spec.per_defect * static_cast<int>(spec.defects.size());
    for (int i = 0; i < anomalies; ++i) {
      const Defect d = defect_for(i, spec.width, spec.height);
      const std::string image = base + "Images/Anomaly/" + numbered(i) + ".png";
      const std::string mask = base + "Masks/Anomaly/" + numbered(i) + ".png";
      write_png(root / image, with_defect(texture(spec.width, spec.height, seed++), d));
      write_png_gray(root / mask, spec.width, spec.height, defect_mask(spec.width, spec.height, d, 1));
      csv << category << ",test,anomaly," << image << "," << mask << "\n";
    }
  }
}

}  // namespace winclip::test
