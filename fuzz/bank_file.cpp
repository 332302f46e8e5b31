// winclip bank files (`winclip bank build`): safetensors whose metadata names the model, class, templates,
// shots, scales, calibration and a checksum, and whose tensors hold the prototypes and reference banks.
// fuzz dictionary: json.dict
#include "support/fuzz_target.hpp"
#include "winclip/reference_bank.hpp"

using namespace winclip;

WINCLIP_FUZZ_TARGET(bank_file) {
  constexpr std::string_view kName = "input.bank";
  fuzz::read_or_refuse(kName, [&] {
    const BankFile file = load_bank_file_bytes(std::as_bytes(bytes), std::string(kName));
    fuzz::check(file.bank.window_features.size() == (file.bank.shots > 0 ? file.bank.scales.size() : 0),
                "one window bank per scale");
  });
}
