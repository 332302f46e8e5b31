#pragma once
// Standard base64 (RFC 4648, with padding): how the service's JSON carries maps and PNG pictures.
#include <string>
#include <string_view>

namespace winclip::serve {

std::string base64_encode(std::string_view bytes);

}  // namespace winclip::serve
