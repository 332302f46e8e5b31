#include "eval/labelled_scores.hpp"

#include "eval/radix_sort.hpp"

namespace winclip::eval {

void LabelledScores::sort() {
  radix_sort(normal);
  radix_sort_by_high_word(anomalous);
}

}  // namespace winclip::eval
