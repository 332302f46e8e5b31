// The libFuzzer entry point of one fuzz executable: exactly one target (fuzz/<name>.cpp) is linked beside it.
#include <cstdio>
#include <cstdlib>

#include "support/fuzz_target.hpp"

namespace {

winclip::fuzz::Target the_target() {
  const auto& targets = winclip::fuzz::targets();
  if (targets.size() != 1) {
    std::fprintf(stderr, "a fuzz executable links exactly one target, this one has %zu\n", targets.size());
    std::abort();
  }
  return targets.begin()->second;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const winclip::fuzz::Target target = the_target();
  target(std::span<const uint8_t>(data, size));
  return 0;
}
