# The targets behind the README's two set-up commands, `./run demo` (main job) and `./run test` (all tests).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all setup build test test-fast test-asan demo bench fuzz clean

all: build

setup:
	@scripts/setup

build: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) > /dev/null
	@scripts/timed "build (Release)" cmake --build $(BUILD) -j$(JOBS)

# Unit and command-line tests, then the same tests once more under ASan + UBSan.
test: build
	@scripts/timed "tests (Release)" ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)
	$(MAKE) --no-print-directory test-asan

test-fast: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

# The sanitizer half keeps every test but five, which the Release half runs. Bf16Accuracy.SyntheticAuroc and
# CliCalibrate are statistical checks over many images (the first alone was a quarter of this half's time);
# ReadmeQuickStart and the two CliEvalResume tests run whole programs again and again (every README command;
# an eval interrupted or killed at each point, then resumed). Other tests under ASan run each of their code
# paths once: these five cost a fifth of the half and would add repetitions, not paths.
ASAN_FILTER ?= -Bf16Accuracy.SyntheticAurocMovesLessThanTwoTenthsOfAPoint:CliCalibrate.*:ReadmeQuickStart.*:CliEvalResume.InterruptedRunsResumeWithoutRecomputingToIdenticalResults:CliEvalResume.KilledWithSigkillAtAnyPointResumesToIdenticalResults

test-asan: setup
	# -O1 with line tables only (-g1): sanitizer reports still name functions and lines,
	# and the second build costs far less than a RelWithDebInfo one. Built for the portable
	# x86-64-v3 baseline, so the 8-lane kernels are tested too (the Release half has this CPU's).
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DWINCLIP_SANITIZE=ON \
	  -DWINCLIP_NATIVE=OFF $(CMAKE_ARGS) > /dev/null
	@scripts/timed "build (ASan + UBSan)" cmake --build $(ASAN_BUILD) -j$(JOBS)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 scripts/timed "tests (ASan + UBSan)" \
	  scripts/gtest-shards $(ASAN_BUILD)/tests/winclip_tests $(JOBS) '$(ASAN_FILTER)'

demo: build
	@scripts/demo $(BUILD)

bench:
	@scripts/setup --bench
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DWINCLIP_BUILD_BENCH=ON $(CMAKE_ARGS) > /dev/null
	cmake --build $(BUILD) -j$(JOBS)
	@scripts/bench $(BUILD)

# Every libFuzzer target of fuzz/ for FUZZ_SECONDS each (clang, ASan + UBSan, its own build directory; the
# corpus grows there from run to run). Fails when a target finds a crash, leak, timeout or out-of-memory.
# Not part of `make test`, whose FuzzRegressions tests replay the inputs found so far.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60

fuzz:
	@scripts/setup --fuzz
	FUZZ_BUILD=$(FUZZ_BUILD) JOBS=$(JOBS) CMAKE_ARGS="$(CMAKE_ARGS)" scripts/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
