#include "winclip/npy.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string_view>

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

// The header is a Python dict literal, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }". It is
// scanned by hand: std::regex matches recursively, one stack frame per character, and a header of a few
// tens of kilobytes (the format allows 4 GiB; we read up to 1 MiB) overflowed the stack.
constexpr std::string_view kNpySpaces = " \t\n\v\f\r";

std::string_view skip_npy_spaces(std::string_view text) {
  const size_t first = text.find_first_not_of(kNpySpaces);
  return first == std::string_view::npos ? std::string_view() : text.substr(first);
}

// The value of the first `'key': <value>`, read by `value_at` from the text after the colon. One pass: every
// step looks further on, so a forged header costs time in proportion to its length.
template <typename Value>
std::optional<Value> npy_field(std::string_view text, std::string_view key,
                               const std::function<std::optional<Value>(std::string_view)>& value_at) {
  const std::string quoted = "'" + std::string(key) + "'";
  for (size_t at = text.find(quoted); at != std::string_view::npos; at = text.find(quoted, at + 1)) {
    const std::string_view rest = skip_npy_spaces(text.substr(at + quoted.size()));
    if (!rest.empty() && rest[0] == ':') return value_at(skip_npy_spaces(rest.substr(1)));
  }
  return std::nullopt;
}

// What lies between `open` and the next `close` at the start of `text`.
std::optional<std::string_view> enclosed(std::string_view text, char open, char close) {
  if (text.empty() || text[0] != open) return std::nullopt;
  const size_t end = text.find(close, 1);
  if (end == std::string_view::npos) return std::nullopt;
  return text.substr(1, end - 1);
}

NpyHeader parse_header(std::string_view text, const std::string& where) {
  NpyHeader h;
  const auto descr =
      npy_field<std::string_view>(text, "descr", [](std::string_view v) { return enclosed(v, '\'', '\''); });
  if (!descr) throw Error(where, "npy header has no 'descr'");
  h.descr = *descr;
  const auto fortran = npy_field<bool>(text, "fortran_order", [](std::string_view v) -> std::optional<bool> {
    if (v.starts_with("True")) return true;
    if (v.starts_with("False")) return false;
    return std::nullopt;
  });
  h.fortran = fortran.value_or(false);
  const auto dims =
      npy_field<std::string_view>(text, "shape", [](std::string_view v) { return enclosed(v, '(', ')'); });
  if (!dims) throw Error(where, "npy header has no 'shape'");
  for (size_t pos = dims->find_first_of("0123456789"); pos != std::string_view::npos;
       pos = dims->find_first_of("0123456789", pos)) {
    const size_t end = std::min(dims->find_first_not_of("0123456789", pos), dims->size());
    const std::string_view digits = dims->substr(pos, end - pos);
    int64_t dim = 0;
    if (std::from_chars(digits.data(), digits.data() + digits.size(), dim).ec != std::errc())
      throw Error(where, "npy shape dimension " + std::string(digits) + " is too large");
    h.shape.push_back(dim);
    pos = end;
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
  else throw Error(where, "unsupported .npy dtype '" + d.substr(0, 40) + (d.size() > 40 ? "...'" : "'"));

  // Checked against the bytes present before anything is allocated: a forged shape must cost no memory.
  uint64_t nbytes = 0;
  try {
    if (__builtin_mul_overflow(static_cast<uint64_t>(shape_numel(h.shape)), item, &nbytes))
      throw Error("shape " + shape_string(h.shape) + " has too many elements");
  } catch (const Error& e) {
    throw Error(where, std::string("npy ") + e.what());
  }
  if (size - pos < nbytes)
    throw Error(where, "truncated .npy data: expected " + std::to_string(nbytes) + " bytes for shape " +
                           shape_string(h.shape));
  Tensor t(h.shape);
  std::vector<char> raw(static_cast<size_t>(nbytes));
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
