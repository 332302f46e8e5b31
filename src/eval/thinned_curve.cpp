#include "eval/thinned_curve.hpp"

#include <algorithm>

namespace winclip::eval {

ThinnedCurve::ThinnedCurve(double cell_x, double cell_y, CurvePoint start)
    : cell_x_(cell_x), cell_y_(cell_y), kept_{start}, last_(start) {}

void ThinnedCurve::keep(CurvePoint p) {
  close_run(kept_);
  kept_.push_back(p);
  last_ = p;
  run_area_ = 0;
}

std::vector<CurvePoint> ThinnedCurve::points() const {
  std::vector<CurvePoint> out = kept_;
  close_run(out);
  return out;
}

void ThinnedCurve::close_run(std::vector<CurvePoint>& out) const {
  const CurvePoint from = out.back();
  if (last_.x == from.x && last_.y == from.y) return;
  const double width = last_.x - from.x;
  if (width > 0) {
    // The run's mean height lies between its end heights (the curve rises). Above their midpoint, rising first
    // at from.x and then running straight to last_ gives that area; below it, running straight to last_.x
    // first and rising there.
    const double mean = run_area_ / width;
    const double low = std::min(from.y, last_.y), high = std::max(from.y, last_.y);
    if (mean >= (from.y + last_.y) / 2.0)
      out.push_back({from.x, std::clamp(2.0 * mean - last_.y, low, high)});
    else
      out.push_back({last_.x, std::clamp(2.0 * mean - from.y, low, high)});
  }
  out.push_back(last_);
}

}  // namespace winclip::eval
