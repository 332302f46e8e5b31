#include "winclip/npy.hpp"

#include <cstring>
#include <regex>

#include "core/atomic_file.hpp"
#include "core/file_bytes.hpp"
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
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it)
    h.shape.push_back(std::stoll(it->str()));
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

Tensor read_npy_bytes(std::span<const std::byte> bytes, const std::string& name) {
  const std::string& where = name;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t size = bytes.size();
  if (size < 8 || std::memcmp(p, "\x93NUMPY", 6) != 0) throw Error(where, "not a .npy file");
  size_t pos = 8;
  uint32_t header_len = 0;
  if (p[6] == 1) {
    if (size - pos < 2) throw Error(where, "truncated .npy header");
    header_len = p[pos] | (p[pos + 1] << 8);
    pos += 2;
  } else if (p[6] == 2 || p[6] == 3) {
    if (size - pos < 4) throw Error(where, "truncated .npy header");
    header_len = p[pos] | (p[pos + 1] << 8) | (p[pos + 2] << 16) | (static_cast<uint32_t>(p[pos + 3]) << 24);
    pos += 4;
  } else {
    throw Error(where, "unsupported .npy version " + std::to_string(p[6]));
  }
  if (header_len > (1u << 20)) throw Error(where, "implausible .npy header length");
  if (size - pos < header_len) throw Error(where, "truncated .npy header");
  const std::string text(reinterpret_cast<const char*>(p + pos), header_len);
  pos += header_len;
  NpyHeader h = parse_header(text, where);
  if (h.fortran) throw Error(where, "Fortran-order arrays are not supported");

  size_t item = 0;
  const std::string& d = h.descr;
  if (d == "<f4" || d == "<i4") item = 4;
  else if (d == "<f8" || d == "<i8") item = 8;
  else if (d == "|u1" || d == "<u1" || d == "|b1") item = 1;
  else throw Error(where, "unsupported .npy dtype '" + d + "'");

  Tensor t(h.shape);
  std::vector<char> raw(t.data.size() * item);
  if (size - pos < raw.size())
    throw Error(where, "truncated .npy data: expected " + std::to_string(raw.size()) + " bytes for shape " +
                           shape_string(h.shape));
  if (!raw.empty()) std::memcpy(raw.data(), p + pos, raw.size());
  if (d == "<f4") convert<float>(raw, t.data);
  else if (d == "<i4") convert<int32_t>(raw, t.data);
  else if (d == "<f8") convert<double>(raw, t.data);
  else if (d == "<i8") convert<int64_t>(raw, t.data);
  else convert<uint8_t>(raw, t.data);
  return t;
}

Tensor read_npy(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path, "a .npy file");
  return read_npy_bytes(std::as_bytes(std::span(bytes)), path.string());
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
