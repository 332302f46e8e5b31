// Activation buffers: cache-line aligned when small; 2 MiB aligned and backed by transparent huge pages when
// large (the AMX products' tile loads are 5–13 % slower on 4 KiB pages).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "compute/aligned_vector.hpp"

using namespace winclip::compute;

namespace {

bool huge_pages_off_by_env() {
  const char* choice = std::getenv("WINCLIP_HUGE_PAGES");
  return choice && std::strcmp(choice, "0") == 0;
}

// THP mode of this kernel: the bracketed word of /sys/kernel/mm/transparent_hugepage/enabled, or "" if none.
std::string thp_mode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(in, line);
  const auto open = line.find('['), close = line.find(']');
  return open == std::string::npos || close == std::string::npos ? "" : line.substr(open + 1, close - open - 1);
}

// AnonHugePages (kB) of the mapping that holds `address`, from /proc/self/smaps; -1 if not found.
long huge_kb_around(const void* address) {
  const auto a = reinterpret_cast<uintptr_t>(address);
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= a && a < hi;
    } else if (inside && line.rfind("AnonHugePages:", 0) == 0) {
      return std::stol(line.substr(14));
    }
  }
  return -1;
}

}  // namespace

TEST(AlignedVector, SmallBuffersStartOnACacheLine) {
  AlignedVector<float> v(1000);
  EXPECT_EQ(buffer_alignment(v.size() * sizeof(float)), kCacheLine);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data()) % kCacheLine, 0u);
}

TEST(AlignedVector, LargeBuffersStartOnAHugePage) {
  const size_t bytes = 3 * kHugePage;
  AlignedVector<uint16_t> v(bytes / sizeof(uint16_t));
  const size_t expected = huge_pages_off_by_env() ? kCacheLine : kHugePage;
  EXPECT_EQ(buffer_alignment(bytes), expected);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data()) % expected, 0u);
}

TEST(AlignedVector, LargeBuffersGetHugePagesWhereTheKernelGrantsThem) {
  const std::string mode = thp_mode();
  if (huge_pages_off_by_env() || (mode != "madvise" && mode != "always"))
    GTEST_SKIP() << "transparent huge pages off (mode \"" << mode << "\")";
  AlignedVector<uint16_t> v(4 * kHugePage / sizeof(uint16_t));
  std::memset(v.data(), 1, v.size() * sizeof(uint16_t));  // pages are only placed when first written
  const long huge_kb = huge_kb_around(v.data());
  if (huge_kb < 0) GTEST_SKIP() << "/proc/self/smaps does not list the buffer's mapping";
  EXPECT_GT(huge_kb, 0) << "THP mode \"" << mode << "\": the buffer got only 4 KiB pages";
}
