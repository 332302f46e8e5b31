#pragma once
// Scores split by ground truth and swept from the highest threshold down: the one pass every metric of
// this module is computed from.
//
// Scores are kept as order-preserving 32-bit keys, so sorting is a radix sort and ties are exact integer
// equality (-0 and +0 share a key, as they compare equal).
#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace winclip::eval {

// Monotone map from finite floats to uint32: flip all bits of negatives, set the sign bit of positives.
inline uint32_t score_key(float score) {
  const uint32_t bits = std::bit_cast<uint32_t>(score == 0.0f ? 0.0f : score);
  return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

inline float key_score(uint32_t key) {
  return std::bit_cast<float>((key & 0x80000000u) ? (key & 0x7fffffffu) : ~key);
}

inline uint64_t anomalous_record(float score, uint32_t region) {
  return (uint64_t{score_key(score)} << 32) | region;
}
inline uint32_t record_key(uint64_t record) { return static_cast<uint32_t>(record >> 32); }
inline uint32_t record_region(uint64_t record) { return static_cast<uint32_t>(record); }

struct LabelledScores {
  std::vector<uint32_t> normal;     // score keys
  std::vector<uint64_t> anomalous;  // anomalous_record(): key and the AUPRO region the sample belongs to

  void sort();  // ascending keys, both lists
};

// One threshold of the sweep: counts of samples with score >= threshold.
struct SweepStep {
  uint32_t threshold_key = 0;
  int64_t true_positives = 0;
  int64_t false_positives = 0;
  std::span<const uint64_t> newly_positive;  // anomalous records whose score equals the threshold
};

// Calls visit(const SweepStep&) once per distinct score, highest first, on sorted `scores`.
template <class Visit>
void sweep_thresholds(const LabelledScores& scores, Visit&& visit) {
  size_t normal_end = scores.normal.size();
  size_t anomalous_end = scores.anomalous.size();
  SweepStep step;
  while (normal_end > 0 || anomalous_end > 0) {
    // Key 0 is the bit pattern of a NaN, never a score: it stands for "list exhausted".
    const uint32_t top_normal = normal_end > 0 ? scores.normal[normal_end - 1] : 0;
    const uint32_t top_anomalous = anomalous_end > 0 ? record_key(scores.anomalous[anomalous_end - 1]) : 0;
    step.threshold_key = std::max(top_normal, top_anomalous);
    size_t normal_begin = normal_end;
    while (normal_begin > 0 && scores.normal[normal_begin - 1] == step.threshold_key) --normal_begin;
    size_t anomalous_begin = anomalous_end;
    while (anomalous_begin > 0 && record_key(scores.anomalous[anomalous_begin - 1]) == step.threshold_key) {
      --anomalous_begin;
    }
    step.false_positives += static_cast<int64_t>(normal_end - normal_begin);
    step.true_positives += static_cast<int64_t>(anomalous_end - anomalous_begin);
    step.newly_positive = std::span(scores.anomalous).subspan(anomalous_begin, anomalous_end - anomalous_begin);
    visit(std::as_const(step));
    normal_end = normal_begin;
    anomalous_end = anomalous_begin;
  }
}

}  // namespace winclip::eval
