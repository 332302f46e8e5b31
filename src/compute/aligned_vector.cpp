#include "compute/aligned_vector.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

namespace winclip::compute {

namespace {

bool huge_pages_wanted() {
  static const bool wanted = [] {
    const char* choice = std::getenv("WINCLIP_HUGE_PAGES");
    return !(choice && std::strcmp(choice, "0") == 0);
  }();
  return wanted;
}

}  // namespace

std::size_t buffer_alignment(std::size_t bytes) {
  return bytes >= kHugePage && huge_pages_wanted() ? kHugePage : kCacheLine;
}

void* allocate_buffer(std::size_t bytes) {
  const std::size_t alignment = buffer_alignment(bytes);
  void* p = ::operator new(bytes, std::align_val_t{alignment});
  // Only whole huge pages inside the buffer: the advice must not reach memory the buffer does not own. A
  // refusal (THP disabled, an old kernel) leaves ordinary pages, which work the same, only slower.
  if (alignment == kHugePage) madvise(p, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);
  return p;
}

void free_buffer(void* p, std::size_t bytes) noexcept {
  ::operator delete(p, std::align_val_t{buffer_alignment(bytes)});
}

}  // namespace winclip::compute
