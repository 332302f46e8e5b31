#pragma once
// The process-wide oneDNN CPU engine and stream (oneDNN objects are cheap handles; one of each suffices).
#include <oneapi/dnnl/dnnl.hpp>

namespace winclip::compute {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

// True when oneDNN can run bf16 matmuls natively (AMX or AVX512-BF16), as opposed to emulating them.
bool cpu_has_fast_bf16();

}  // namespace winclip::compute
