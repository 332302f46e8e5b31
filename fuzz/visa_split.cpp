// VisA's one-class split (split_csv/1cls.csv): CSV with quoting, columns found by name, rows checked.
#include "eval/dataset_layouts.hpp"
#include "support/fuzz_target.hpp"

using namespace winclip;

WINCLIP_FUZZ_TARGET(visa_split) {
  constexpr std::string_view kName = "1cls.csv";
  fuzz::read_or_refuse(kName, [&] {
    for (const auto& row : eval::parse_visa_split(fuzz::as_text(bytes), std::string(kName))) {
      fuzz::check(row.split == "train" || row.split == "test", "a row with split '" + row.split + "'");
      fuzz::check(!row.image.empty(), "a row without an image");
    }
  });
}
