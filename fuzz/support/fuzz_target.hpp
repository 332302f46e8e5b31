#pragma once
// A fuzz target feeds arbitrary bytes to one reader of outside data. It returns normally when the reader
// gives a result that keeps its invariants, or refuses the bytes with a winclip::Error naming the input;
// anything else — another exception, a broken invariant, a sanitizer report, a hang, unbounded memory — is a
// finding. The same functions run in two places: one libFuzzer executable per target (fuzz_main.cpp, built by
// WINCLIP_BUILD_FUZZERS) and the regression test (tests/test_fuzz_regressions.cpp), which replays every input
// a target once failed on in `make test`.
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace winclip::fuzz {

using Target = void (*)(std::span<const uint8_t> bytes);

// Every target linked into this program, by name (the name of its file under fuzz/ and of its folders of
// seeds and regression inputs).
const std::map<std::string, Target>& targets();

struct Registration {
  Registration(const char* name, Target target);
};

// A reader broke its contract without crashing (an Error that does not name the input, a result that breaks
// an invariant). Deliberately not a winclip::Error: the fuzzer reports it as an uncaught exception, the
// regression test as a failure.
struct ContractViolation : std::logic_error {
  using std::logic_error::logic_error;
};

// Throws ContractViolation(what) unless `condition` holds.
void check(bool condition, const std::string& what);

// Runs `read`; a winclip::Error is an accepted outcome when its message starts with `name` (the file it
// stands for). Returns whether `read` completed.
bool read_or_refuse(std::string_view name, const std::function<void()>& read);

inline std::string_view as_text(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace winclip::fuzz

// Defines the target `name` and registers it; the body sees `bytes` (std::span<const uint8_t>).
#define WINCLIP_FUZZ_TARGET(name)                                                                 \
  static void winclip_fuzz_##name(std::span<const uint8_t> bytes);                                \
  static const winclip::fuzz::Registration winclip_fuzz_registration_##name(#name, winclip_fuzz_##name); \
  static void winclip_fuzz_##name(std::span<const uint8_t> bytes)
