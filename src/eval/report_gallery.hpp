#pragma once
// report.html's gallery: the worst-ranked test images of one draw, as thumbnails of their heat-map overlays
// with the ground-truth contour (eval.hpp, Gallery).
#include "eval/draw_evaluation.hpp"
#include "winclip/eval.hpp"

namespace winclip::eval {

// Longest side of a thumbnail, in pixels: small enough that a report of every MVTec category stays a few MB.
inline constexpr int kGalleryThumbnail = 160;

// Chooses the images from the draw's scores (and its calibrated threshold, if any), and renders them from
// the cached maps, the masks of `context` (no contour without pixel metrics) and the original images.
Gallery worst_images(const CategoryContext& context, const SeedResult& draw);

}  // namespace winclip::eval
