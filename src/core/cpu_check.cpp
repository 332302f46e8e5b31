// A library built with -march=native (WINCLIP_NATIVE, the default) holds instructions of the build machine's
// CPU. Loaded on a CPU without them it would die of SIGILL somewhere deep in a kernel; this check runs when the
// library is loaded, before any of that code, and says what to do instead. This file alone is compiled for the
// x86-64 baseline (CMakeLists.txt), so the check itself runs anywhere.
#include <cstdio>
#include <cstdlib>

namespace winclip {
namespace {

__attribute__((constructor)) void check_cpu_features() {
  __builtin_cpu_init();
  const char* missing = nullptr;
#if defined(WINCLIP_BUILT_FOR_AVX512F)
  if (!__builtin_cpu_supports("avx512f")) missing = "AVX-512";
#endif
#if defined(WINCLIP_BUILT_FOR_AVX512BF16)
  if (!missing && !__builtin_cpu_supports("avx512bf16")) missing = "AVX512-BF16";
#endif
  if (!missing && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) missing = "AVX2 and FMA";
  if (!missing) return;
  std::fprintf(stderr,
               "winclip: this library was built for a CPU with %s (-march=native), which this CPU lacks; "
               "build it here, or configure with -DWINCLIP_NATIVE=OFF for any x86-64-v3 CPU\n",
               missing);
  std::abort();
}

}  // namespace
}  // namespace winclip
