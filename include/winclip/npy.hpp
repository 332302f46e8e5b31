#pragma once
// NumPy .npy (format 1.0/2.0) reading and writing: the exchange format of maps, embeddings and fixtures.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "winclip/tensor.hpp"

namespace winclip {

// Reads a little-endian, C-order array of float32, float64, int32, int64 or uint8 and converts it to float32.
Tensor read_npy(const std::filesystem::path& path);
// The same for a .npy file's bytes in memory; `name` stands for the file in errors.
Tensor read_npy_bytes(std::span<const std::byte> bytes, const std::string& name);

// Writes float32 data, creating parent directories; the file appears atomically (temp + rename).
void write_npy(const std::filesystem::path& path, const Tensor& tensor);
void write_npy(const std::filesystem::path& path, const Shape& shape, const float* data);

}  // namespace winclip
