#include "winclip/npy.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <regex>

#include "core/atomic_file.hpp"
#include "winclip/error.hpp"

namespace winclip {
namespace {

struct NpyHeader {
  std::string descr;
  bool fortran = false;
  Shape shape;
};

NpyHeader parse_header(const std::string& text, const std::string& where) {
  NpyHeader h;
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(R"('descr'\s*:\s*'([^']*)')")))
    throw Error(where, "npy header has no 'descr'");
  h.descr = m[1];
  if (std::regex_search(text, m, std::regex(R"('fortran_order'\s*:\s*(True|False))")))
    h.fortran = m[1] == "True";
  if (!std::regex_search(text, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    throw Error(where, "npy header has no 'shape'");
  std::string dims = m[1];
  std::regex num(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it) {
    const std::string digits = it->str();
    if (digits.size() > 18) throw Error(where, "npy shape (" + dims + ") has a dimension too large");
    h.shape.push_back(std::stoll(digits));
  }
  return h;
}

template <typename T>
void convert(const std::vector<char>& raw, std::vector<float>& out) {
  for (size_t i = 0; i < out.size(); ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

}  // namespace

Tensor read_npy(const std::filesystem::path& path) {
  const std::string where = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(where, "cannot open file");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw Error(where, "not a .npy file");
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) throw Error(where, "truncated .npy header");
    header_len = b[0] | (b[1] << 8);
  } else if (magic[6] == 2 || magic[6] == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) throw Error(where, "truncated .npy header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    throw Error(where, "unsupported .npy version " + std::to_string(magic[6]));
  }
  if (header_len > (1u << 20)) throw Error(where, "implausible .npy header length");
  std::string text(header_len, '\0');
  if (!in.read(text.data(), header_len)) throw Error(where, "truncated .npy header");
  NpyHeader h = parse_header(text, where);
  if (h.fortran) throw Error(where, "Fortran-order arrays are not supported");

  size_t item = 0;
  const std::string& d = h.descr;
  if (d == "<f4" || d == "<i4") item = 4;
  else if (d == "<f8" || d == "<i8") item = 8;
  else if (d == "|u1" || d == "<u1" || d == "|b1") item = 1;
  else throw Error(where, "unsupported .npy dtype '" + d + "'");

  // The shape is checked against the bytes the file holds before anything is allocated for it.
  uint64_t bytes = item;
  for (int64_t dim : h.shape)
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(dim), &bytes)) bytes = UINT64_MAX;
  const std::streamoff data_start = in.tellg();
  in.seekg(0, std::ios::end);
  const std::streamoff file_end = in.tellg();
  in.seekg(data_start);
  if (data_start < 0 || file_end < data_start || bytes > static_cast<uint64_t>(file_end - data_start))
    throw Error(where, "truncated .npy data: shape " + shape_string(h.shape) + " needs " +
                           (bytes == UINT64_MAX ? std::string("more than 2^64") : std::to_string(bytes)) +
                           " bytes, the file holds " + std::to_string(std::max<std::streamoff>(file_end - data_start, 0)));
  Tensor t(h.shape);
  std::vector<char> raw(t.data.size() * item);
  if (!in.read(raw.data(), static_cast<std::streamsize>(raw.size())))
    throw Error(where, "truncated .npy data: expected " + std::to_string(raw.size()) + " bytes for shape " +
                           shape_string(h.shape));
  if (d == "<f4") convert<float>(raw, t.data);
  else if (d == "<i4") convert<int32_t>(raw, t.data);
  else if (d == "<f8") convert<double>(raw, t.data);
  else if (d == "<i8") convert<int64_t>(raw, t.data);
  else convert<uint8_t>(raw, t.data);
  return t;
}

void write_npy(const std::filesystem::path& path, const Shape& shape, const float* data) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) dims += std::to_string(shape[i]) + (shape.size() == 1 ? "," : (i + 1 < shape.size() ? ", " : ""));
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>((header.size() >> 8) & 0xff);
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(data), static_cast<size_t>(shape_numel(shape)) * sizeof(float));
  write_file_atomic(path, bytes);
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  write_npy(path, tensor.shape, tensor.ptr());
}

}  // namespace winclip
