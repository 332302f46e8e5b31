#pragma once
// Malformed safetensors files, each with the parts its error must name: the table of test_checkpoint.cpp,
// also run through the command line by the robustness table (tests/e2e/test_robustness_table.cpp).
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace winclip::test {

// A safetensors file assembled byte by byte, so a test controls the header exactly.
inline std::string safetensors_bytes(const std::string& header, const std::string& data) {
  std::string length(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(length.data(), &n, sizeof(n));
  return length + header + data;
}

template <typename T>
std::string raw_bytes(std::initializer_list<T> values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), std::data(values), out.size());
  return out;
}

struct BadFile {
  std::string file;
  std::string bytes;
  std::vector<std::string> message_parts;  // besides the file name
};

inline std::vector<BadFile> bad_files() {
  const std::string one = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string valid = safetensors_bytes(one, raw_bytes<float>({1, 2}));
  std::string huge_length = valid;
  huge_length[5] = '\x01';  // header length 2^40 + 54
  return {
      {"empty.safetensors", "", {"empty"}},
      {"short.safetensors", "abc", {"too short"}},
      {"truncated.safetensors", valid.substr(0, valid.size() - 3), {"'w'", "past the end of the data section"}},
      {"header_past_end.safetensors", huge_length, {"header length 1099511627830", "past the end"}},
      {"bad_json.safetensors", safetensors_bytes(R"({"w": {"dtype": )", ""), {"not valid JSON"}},
      {"not_object.safetensors", safetensors_bytes("[1, 2]", ""), {"not a JSON object"}},
      {"missing_field.safetensors", safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2]}})", raw_bytes<float>({1, 2})),
       {"'w'", "data_offsets"}},
      {"i64.safetensors",
       safetensors_bytes(R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", std::string(8, '\0')),
       {"'ids'", "dtype I64 is not supported"}},
      {"f64.safetensors",
       safetensors_bytes(R"({"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", std::string(8, '\0')),
       {"'w'", "dtype F64"}},
      {"size_mismatch.safetensors",
       safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", std::string(12, '\0')),
       {"'w'", "hold 12 bytes", "needs 16"}},
      {"negative_offset.safetensors",
       safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", std::string(4, '\0')),
       {"'w'", "non-negative"}},
      {"reversed_offsets.safetensors",
       safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", std::string(8, '\0')),
       {"'w'", "end before they begin"}},
      {"outside.safetensors",
       safetensors_bytes(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(8, '\0')),
       {"'w'", "past the end of the data section"}},
      {"overflow.safetensors",
       safetensors_bytes(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}})", ""),
       {"'w'", "too many elements"}},
      {"overlap.safetensors",
       safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                         std::string(12, '\0')),
       {"'a'", "'b'", "overlap"}},
      {"duplicate.safetensors",
       safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         std::string(8, '\0')),
       {"'w' twice"}},
      {"bad_metadata.safetensors", safetensors_bytes(R"({"__metadata__":[1]})", ""), {"__metadata__"}},
      {"number_metadata.safetensors", safetensors_bytes(R"({"__metadata__":{"step":3}})", ""), {"'step'"}},
  };
}

}  // namespace winclip::test
