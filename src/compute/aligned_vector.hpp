#pragma once
// Activation buffers for the matrix products. oneDNN's AMX and AVX-512 kernels run up to twice as slow on
// rows that do not start on a cache line (std::vector's large blocks start 16 bytes past a page), so every
// buffer a Linear reads or writes is cache-line aligned. Elements are default-initialised: activations are
// always written before they are read, and zero-filling tens of megabytes per image is pure waste.
//
// Buffers of 2 MiB or more (activations, packed weights) start on a 2 MiB boundary and are offered to the
// kernel as transparent huge pages: in THP's "madvise" mode, the one our machines run, only that request
// grants them. A tile load reads 16 rows kilobytes apart, so on 4 KiB pages every load touches many pages:
// the bf16 products ran 5–13 % slower (bench/bench_matmul.cpp). WINCLIP_HUGE_PAGES=0 turns this off.
#include <cstddef>
#include <new>
#include <utility>
#include <vector>

namespace winclip::compute {

inline constexpr std::size_t kCacheLine = 64;
inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

// Where a buffer of `bytes` starts: a multiple of this (kHugePage or kCacheLine).
std::size_t buffer_alignment(std::size_t bytes);
void* allocate_buffer(std::size_t bytes);
void free_buffer(void* p, std::size_t bytes) noexcept;

template <typename T>
struct AlignedAllocator {
  using value_type = T;

  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(allocate_buffer(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { free_buffer(p, n * sizeof(T)); }

  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  friend bool operator==(const AlignedAllocator&, const AlignedAllocator&) { return true; }
};

template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace winclip::compute
