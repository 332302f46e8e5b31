#pragma once
// A plain, obviously-correct version of resize_bicubic, kept to check the fast one against.
#include "winclip/image.hpp"

namespace winclip {

// Same result as resize_bicubic, computed the slow way: a dense [out × in] weight matrix per axis and
// both passes over the whole image.
Image resize_bicubic_reference(const Image& src, int out_width, int out_height);

}  // namespace winclip
