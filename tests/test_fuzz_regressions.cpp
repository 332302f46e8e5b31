// The fuzz targets (fuzz/*.cpp) in the normal build: every input one of them once failed on, committed under
// tests/data/fuzz-regressions/<target>/, is replayed through the same target function, so a fix stays fixed in
// `make test` without clang or libFuzzer.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/fuzz_target.hpp"
#include "test_support.hpp"
#include "winclip/error.hpp"

using namespace winclip;
namespace fs = std::filesystem;

namespace {

void replay(const std::string& target_name, const fs::path& input) {
  SCOPED_TRACE(input.string());
  const auto& targets = fuzz::targets();
  const auto target = targets.find(target_name);
  ASSERT_NE(target, targets.end()) << "no fuzz target '" << target_name << "' (fuzz/" << target_name << ".cpp)";
  const std::string bytes = test::read_bytes(input);
  try {
    target->second({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  } catch (const std::exception& e) {
    ADD_FAILURE() << "fuzz target '" << target_name << "' on " << input << ": " << e.what();
  }
}

}  // namespace

TEST(FuzzRegressions, EveryInputAFuzzTargetOnceFailedOnIsHandled) {
  const fs::path root = test::data_path("fuzz-regressions");
  ASSERT_TRUE(fs::is_directory(root)) << root;
  size_t inputs = 0;
  for (const auto& folder : fs::directory_iterator(root)) {
    if (!folder.is_directory()) continue;
    for (const auto& input : fs::directory_iterator(folder.path())) {
      if (!input.is_regular_file() || input.path().filename() == "README.md") continue;
      replay(folder.path().filename().string(), input.path());
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0u);
}

TEST(FuzzRegressions, EveryTargetHandlesEmptyAndOneByteInputs) {
  ASSERT_FALSE(fuzz::targets().empty());
  for (const auto& [name, target] : fuzz::targets()) {
    SCOPED_TRACE(name);
    for (const std::string& bytes : {std::string(), std::string("\x00", 1), std::string("{")})
      EXPECT_NO_THROW(target({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}));
  }
}

TEST(FuzzRegressions, AnErrorThatDoesNotNameTheInputIsAFinding) {
  EXPECT_TRUE(fuzz::read_or_refuse("input.bin", [] {}));
  EXPECT_FALSE(fuzz::read_or_refuse("input.bin", [] { throw Error("input.bin", "bad header"); }));
  EXPECT_THROW(fuzz::read_or_refuse("input.bin", [] { throw Error("bad header"); }), fuzz::ContractViolation);
  EXPECT_THROW(fuzz::read_or_refuse("input.bin", [] { throw std::out_of_range("stoll"); }), std::out_of_range);
}
