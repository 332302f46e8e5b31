// The baseline-ISA half of the AMX path: detecting AMX, packing weights, checking calls (amx_kernel.cpp is
// the half compiled for AMX and AVX-512).
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>


#include "compute/amx_matmul.hpp"
#include "compute/bf16.hpp"
#include "winclip/error.hpp"

namespace winclip::compute {

namespace {

bool cpu_and_kernel_have_amx() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool amx_bf16 = (edx >> 22) & 1, amx_tile = (edx >> 24) & 1;
  if (!amx_bf16 || !amx_tile) return false;
  // Linux hands out the 8 KiB tile state only on request (ARCH_REQ_XCOMP_PERM for XTILEDATA); a kernel too
  // old to know the request refuses it, and then tile instructions would fault.
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
}

}  // namespace

bool amx_available() {
  static const bool available = cpu_and_kernel_have_amx();
  return available;
}

AmxWeights::AmxWeights() = default;

AmxWeights::AmxWeights(const float* weight, WeightLayout layout, int64_t k, int64_t n)
    : k_(k), n_(n), k_padded_((k + 31) / 32 * 32), n_padded_((n + 31) / 32 * 32) {
  data_.assign(static_cast<size_t>(k_padded_ * n_padded_), 0);
  const auto put = [this](int64_t kk, int64_t nn, float w) {
    const int64_t step = kk / 32, pair_row = (kk % 32) / 2, half = kk % 2;
    const int64_t panel = nn / 32, tile = (nn % 32) / 16, col = nn % 16;
    const int64_t index = panel * k_padded_ * 32 + ((step * 2 + tile) * 16 + pair_row) * 32 + col * 2 + half;
    data_[static_cast<size_t>(index)] = float_to_bf16(w);
  };
  // Read the checkpoint in its own order: reading it across its rows made loading ViT-B-16-plus-240 0.5 s slower.
  if (layout == WeightLayout::OutIn) {
    for (int64_t nn = 0; nn < n; ++nn)
      for (int64_t kk = 0; kk < k; ++kk) put(kk, nn, weight[nn * k + kk]);
  } else {
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t nn = 0; nn < n; ++nn) put(kk, nn, weight[kk * n + nn]);
  }
}

int64_t AmxWeights::k() const { return k_; }
int64_t AmxWeights::n() const { return n_; }
int64_t AmxWeights::k_steps() const { return k_padded_ / 32; }
int64_t AmxWeights::panels() const { return n_padded_ / 32; }
const uint16_t* AmxWeights::panel(int64_t p) const { return data_.data() + p * k_padded_ * 32; }
size_t AmxWeights::bytes() const { return data_.size() * sizeof(uint16_t); }

void amx_matmul(const uint16_t* x, int64_t m, const AmxWeights& weights, const float* bias, Epilogue epilogue,
                void* y, ActivationType y_type) {
  // The tile state is granted per process on request (amx_available asks); without it, tile loads fault.
  if (!amx_available()) throw Error("amx_matmul: this CPU or kernel offers no AMX tiles");
  if (m > 0 && weights.n() > 0) amx_matmul_tiles(x, m, weights, bias, epilogue, y, y_type);
}

}  // namespace winclip::compute
