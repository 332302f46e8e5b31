#pragma once
// Activation buffers for the matrix products. oneDNN's AMX and AVX-512 kernels run up to twice as slow on
// rows that do not start on a cache line (std::vector's large blocks start 16 bytes past a page), so every
// buffer a Linear reads or writes is cache-line aligned. Elements are default-initialised: activations are
// always written before they are read, and zero-filling tens of megabytes per image is pure waste.
#include <cstddef>
#include <new>
#include <utility>
#include <vector>

namespace winclip::compute {

inline constexpr std::size_t kCacheLine = 64;

template <typename T>
struct AlignedAllocator {
  using value_type = T;

  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kCacheLine})); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{kCacheLine}); }

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
