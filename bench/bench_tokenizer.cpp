// The CLIP tokenizer: loading the 48,894 BPE merges (target: well under 100 ms), tokenizing one WinCLIP
// prompt with a warm word cache (the detector's case: ~230 prompts from a few templates), and BPE of
// words never seen before.
#include <benchmark/benchmark.h>

#include <string>

#include "core/assets.hpp"
#include "text/tokenizer.hpp"

namespace {

void BM_LoadVocabulary(benchmark::State& state) {
  const auto path = winclip::asset_path("bpe_simple_vocab_16e6.txt.gz");
  for (auto _ : state) benchmark::DoNotOptimize(winclip::Tokenizer::load(path));
  state.SetLabel("gunzip + parse + merge table");
}
BENCHMARK(BM_LoadVocabulary)->Unit(benchmark::kMillisecond);

void BM_TokenizePromptWarmCache(benchmark::State& state) {
  const auto& tokenizer = winclip::Tokenizer::default_instance();
  const std::string prompt = "a cropped photo of the flawless metal nut with a small crack.";
  for (auto _ : state) benchmark::DoNotOptimize(tokenizer.tokenize(prompt));
}
BENCHMARK(BM_TokenizePromptWarmCache)->Unit(benchmark::kMicrosecond);

// A fresh tokenizer per batch so that every word goes through the merge loop.
void BM_EncodeColdCache(benchmark::State& state) {
  const auto path = winclip::asset_path("bpe_simple_vocab_16e6.txt.gz");
  const std::string text =
      "pneumonoultramicroscopicsilicovolcanoconiosis transistor unblemished chewinggum macaroni "
      "hazelnut screw toothbrush capsule zipper carpet leather grid tile wood bottle cable pill";
  int64_t words = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const winclip::Tokenizer tokenizer = winclip::Tokenizer::load(path);
    state.ResumeTiming();
    words += static_cast<int64_t>(tokenizer.encode(text).size());
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(words), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EncodeColdCache)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
