// Writes the seed corpus of every fuzz target into OUT/<target>/: small valid (and a few almost valid)
// instances of each format, made with the library's own writers or taken from the test fixtures, so that
// the fuzzer starts from inputs that reach deep into each reader. Run by CMake when the fuzz targets are
// built: make_seeds OUT TESTS_DATA_DIR.
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "checkpoint/checkpoint.hpp"
#include "checkpoint/zip_reader.hpp"
#include "core/assets.hpp"
#include "winclip/error.hpp"
#include "winclip/model_config.hpp"
#include "winclip/npy.hpp"
#include "winclip/reference_bank.hpp"

namespace fs = std::filesystem;
using namespace winclip;

namespace {

fs::path out_root;

void write_seed(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(out_root / target);
  std::ofstream(out_root / target / name, std::ios::binary) << bytes;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string u64_le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<char>(v >> (8 * i));
  return s;
}

std::string safetensors_bytes(const std::string& header, const std::string& data) {
  return u64_le(header.size()) + header + data;
}

void safetensors_seeds() {
  const fs::path tmp = out_root / "safetensors" / "f32_with_metadata.safetensors";
  fs::create_directories(tmp.parent_path());
  save_safetensors(tmp, {{"a", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"b.weight", {4}, {-1, 0.5f, 0, 2}}},
                   {{"format", "pt"}});
  write_seed("safetensors", "f16_bf16.safetensors",
             safetensors_bytes(R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                               R"("b":{"dtype":"BF16","shape":[1,2],"data_offsets":[4,8]}})",
                               std::string("\x00\x3c\x00\xc0\x80\x3f\x00\x40", 8)));
  write_seed("safetensors", "scalar_and_empty.safetensors",
             safetensors_bytes(R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
                               R"("e":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]},"__metadata__":{"k":"v"}})",
                               std::string("\x00\x00\x80\x3f", 4)));
  write_seed("safetensors", "header_only.safetensors", safetensors_bytes("{}      ", ""));
}

void bank_seeds() {
  BankFile bank;
  bank.model_fingerprint = "0123456789abcdef";
  bank.architecture = "ViT-Tiny";
  bank.class_name = "metal nut";
  bank.object_name = "metal nut";
  bank.resize_mode = "squash";
  bank.prototypes = Tensor({2, 4}, {1, 0, 0, 0, 0, 1, 0, 0});
  fs::create_directories(out_root / "bank_file");
  save_bank_file(out_root / "bank_file" / "zero_shot.bank", bank);
  bank.bank.shots = 1;
  bank.bank.scales = {2, 3};
  bank.bank.patch_features = Tensor({4, 3}, std::vector<float>(12, 0.25f));
  bank.bank.window_features = {Tensor({1, 4}, {1, 2, 3, 4}), Tensor({1, 4}, {4, 3, 2, 1})};
  save_bank_file(out_root / "bank_file" / "one_shot.bank", bank);
  bank.calibration = BankCalibration{0.5, 0.6, 0.1, 0.01, 29, 29 * 576, 3, 167, "all"};
  save_bank_file(out_root / "bank_file" / "calibrated.bank", bank);
}

void torch_seeds(const fs::path& data) {
  for (const auto& entry : fs::directory_iterator(data / "torch")) {
    if (entry.path().extension() != ".pt" || entry.file_size() > 8192) continue;
    const std::string bytes = read_all(entry.path());
    write_seed("torch_zip", entry.path().filename().string(), bytes);
    for (const auto& member : detail::read_zip_members(std::as_bytes(std::span(bytes.data(), bytes.size())), "seed"))
      if (member.name.ends_with("/data.pkl"))
        write_seed("pickle", entry.path().stem().string() + ".pkl",
                   std::string(reinterpret_cast<const char*>(member.data.data()), member.data.size()));
  }
}

void config_seeds(const fs::path& data) {
  write_seed("model_config", "open_clip_config.json", read_all(data / "model" / "open_clip_config.json"));
  write_seed("model_config", "model_cfg_only.json", read_all(data / "tiny_random_clip.config.json"));
  for (const std::string& name : builtin_architectures()) {
    fs::create_directories(out_root / "model_config");
    write_open_clip_config(out_root / "model_config" / (name + ".json"), builtin_config(name));
  }
}

std::string gunzip(const fs::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw Error(path.string(), "cannot open");
  std::string text;
  char buffer[1 << 16];
  int read = 0;
  while ((read = gzread(file, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(read));
  gzclose(file);
  return text;
}

void bpe_seeds() {
  const std::string text = gunzip(asset_path("bpe_simple_vocab_16e6.txt.gz"));
  for (int merges : {8, 64, 255}) {
    size_t end = 0;
    for (int line = 0; line <= merges + 2; ++line) end = text.find('\n', end) + 1;
    write_seed("bpe_vocab", "first_" + std::to_string(merges) + "_merges.txt",
               std::string(1, static_cast<char>(merges)) + text.substr(0, end));
  }
}

void tokenizer_seeds(const fs::path& data) {
  const auto doc = nlohmann::json::parse(read_all(data / "openclip" / "tokenizer.json"));
  int i = 0;
  for (const auto& item : doc.at("items"))
    write_seed("tokenizer", "item" + std::to_string(i++) + ".txt", item.at("text").get<std::string>());
  write_seed("tokenizer", "special_tokens.txt", "<start_of_text>a photo<end_of_text> of a <start_of_text>");
  write_seed("tokenizer", "not_utf8.txt", "caf\xe9 \xff\xfe bottle");
}

std::string npy_bytes(const std::string& descr, const std::string& shape, const std::string& data, int version = 1,
                      const char* fortran_order = "False") {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': " + fortran_order + ", 'shape': " + shape + ", }";
  const size_t prefix = version == 1 ? 10 : 12;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += static_cast<char>(version);
  bytes += '\0';
  for (size_t b = 0; b < (version == 1 ? 2u : 4u); ++b) bytes += static_cast<char>((header.size() >> (8 * b)) & 0xff);
  return bytes + header + data;
}

void npy_seeds(const fs::path& data) {
  fs::create_directories(out_root / "npy");
  write_npy(out_root / "npy" / "f4_2x3.npy", Tensor({2, 3}, {1, 2, 3, 4, 5, 6}));
  write_seed("npy", "i4.npy", npy_bytes("<i4", "(2,)", std::string("\x01\x00\x00\x00\xff\xff\xff\xff", 8)));
  write_seed("npy", "u1.npy", npy_bytes("|u1", "(1, 3)", "abc"));
  write_seed("npy", "b1_v2.npy", npy_bytes("|b1", "(2,)", std::string("\x01\x00", 2), 2));
  write_seed("npy", "f8_scalar.npy", npy_bytes("<f8", "()", std::string("\x00\x00\x00\x00\x00\x00\xf0\x3f", 8)));
  write_seed("npy", "i8_empty.npy", npy_bytes("<i8", "(0, 4)", ""));
  write_seed("npy", "fortran.npy", npy_bytes("<f4", "(1,)", std::string("\x00\x00\x80\x3f", 4), 1, "True"));
  for (const char* fixture : {"winclip/few_shot_k1/pred_score.npy", "openclip/encode_image.npy"})
    write_seed("npy", fs::path(fixture).filename().string(), read_all(data / fixture));

  // eval cache entries: the score's text, then the map.
  const std::string map = npy_bytes("<f4", "(2, 2)", std::string(16, '\0'));
  write_seed("eval_cache_entry", "entry.txt", "0.123456789\n" + map);
  write_seed("eval_cache_entry", "exponent.txt", "1.5e-07" + map);
}

void image_seeds(const fs::path& data) {
  cv::Mat rgb(6, 8, CV_8UC3), gray(6, 8, CV_8UC1), rgba(5, 7, CV_8UC4), deep(4, 5, CV_16UC3), mask(6, 8, CV_8UC1);
  cv::Mat large(32, 32, CV_8UC3);  // OpenJPEG's default resolution levels need at least 32 pixels a side
  cv::randu(large, 0, 256);
  cv::randu(rgb, 0, 256);
  cv::randu(gray, 0, 256);
  cv::randu(rgba, 0, 256);
  cv::randu(deep, 0, 65536);
  mask = 0;
  mask(cv::Rect(2, 1, 3, 3)) = 255;
  struct Encoding {
    const char* name;
    const char* ext;
    const cv::Mat* image;
  };
  const Encoding encodings[] = {{"rgb", ".png", &rgb}, {"gray", ".png", &gray},  {"rgba", ".png", &rgba},
                                {"deep", ".png", &deep}, {"rgb", ".jpg", &rgb},  {"gray", ".jpg", &gray},
                                {"rgb", ".bmp", &rgb},  {"rgba", ".tif", &rgba}, {"rgb", ".webp", &rgb},
                                {"rgb", ".jp2", &large},  {"rgb", ".ppm", &rgb},   {"gray", ".pgm", &gray}};
  for (const auto& [name, ext, image] : encodings) {
    std::vector<uint8_t> bytes;
    try {
      if (!cv::imencode(ext, *image, bytes)) continue;
    } catch (const cv::Exception&) {
      continue;  // this OpenCV has no encoder for the format
    }
    write_seed("image", std::string(name) + ext, std::string(bytes.begin(), bytes.end()));
  }
  write_seed("image", "exif_orientation6.jpg", read_all(data / "images" / "exif_orientation6.jpg"));
  for (const auto& [name, image] : {std::pair{"mask", &mask}, std::pair{"rgba", &rgba}, std::pair{"deep", &deep}}) {
    std::vector<uint8_t> bytes;
    cv::imencode(".png", *image, bytes);
    write_seed("ground_truth", std::string(name) + ".png", std::string(bytes.begin(), bytes.end()));
  }
}

void visa_seeds() {
  write_seed("visa_split", "1cls.csv",
             "object,split,label,image,mask\n"
             "candle,train,normal,candle/Data/Images/Normal/0000.JPG,\n"
             "candle,test,anomaly,candle/Data/Images/Anomaly/000.JPG,candle/Data/Masks/Anomaly/000.png\n"
             "pcb1,test,normal,pcb1/Data/Images/Normal/0100.JPG,\r\n");
  write_seed("visa_split", "quoted_reordered.csv",
             "\"image\",label,split,object,mask\r\n\"a,\"\"b\"\".JPG\",normal,train,\"x y\",\n");
}

std::string http_post(const std::string& target, const std::string& type, const std::string& body,
                      bool chunked = false) {
  std::string request = "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + type + "\r\n";
  if (!chunked) return request + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  char size[32];
  std::snprintf(size, sizeof size, "%zx", body.size());
  return request + "Transfer-Encoding: chunked\r\n\r\n" + size + "\r\n" + body + "\r\n0\r\n\r\n";
}

std::string form_part(const std::string& name, const std::string& value, const std::string& filename = "") {
  std::string part = "--b\r\nContent-Disposition: form-data; name=\"" + name + "\"";
  if (!filename.empty()) part += "; filename=\"" + filename + "\"\r\nContent-Type: image/png";
  return part + "\r\n\r\n" + value + "\r\n";
}

void http_seeds() {
  const std::string image = "\x89PNG\r\n\x1a\n not decoded here";
  const std::string multipart = "multipart/form-data; boundary=b";
  write_seed("http_request", "detect_multipart.http",
             http_post("/v1/detect?threshold=0.5", multipart,
                       form_part("class", "metal nut") + form_part("image", image, "a.png") +
                           form_part("ref", image, "r.png") + form_part("outputs", "map,overlay") + "--b--\r\n"));
  write_seed("http_request", "detect_raw.http",
             http_post("/v1/detect?class=bottle&templates=anomalib&name=x.png", "image/png", image));
  write_seed("http_request", "detect_chunked.http",
             http_post("/v1/detect?bank=line1&raw_class_name=true", "image/jpeg", image, true));
  write_seed("http_request", "bank.http",
             http_post("/v1/banks", multipart,
                       form_part("name", "line1") + form_part("class", "bottle") + form_part("ref", image, "r.png") +
                           "--b--\r\n"));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_seeds OUT TESTS_DATA_DIR\n";
    return 2;
  }
  out_root = argv[1];
  const fs::path data = argv[2];
  try {
    safetensors_seeds();
    bank_seeds();
    torch_seeds(data);
    config_seeds(data);
    bpe_seeds();
    tokenizer_seeds(data);
    npy_seeds(data);
    image_seeds(data);
    visa_seeds();
    http_seeds();
  } catch (const std::exception& e) {
    std::cerr << "make_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
