#pragma once
// A curve that rises in x and y (PRO over FPR), thinned for drawing without changing its area.
//
// A full pixel sweep has millions of points, far more than a 240-pixel plot can show or a report should hold.
// Points are kept once they leave a cell (cell_x × cell_y) around the last kept point; a run of points inside
// the cell is replaced by its last point and at most one corner point, placed so that the trapezoid area of
// the thinned polyline is the area of the points it replaces, and the thinned curve stays monotone and within
// the cell. So the drawn area is the computed one (to rounding), every kept point is a point of the sweep, and
// a curve of total rise X + Y keeps at most about 3·(X/cell_x + Y/cell_y) points.
#include <cmath>
#include <vector>

#include "winclip/metrics.hpp"

namespace winclip::eval {

class ThinnedCurve {
 public:
  ThinnedCurve(double cell_x, double cell_y, CurvePoint start = {});

  void add(CurvePoint p) {
    const CurvePoint& kept = kept_.back();
    if (std::abs(p.x - kept.x) < cell_x_ && std::abs(p.y - kept.y) < cell_y_) {
      run_area_ += (p.x - last_.x) * (p.y + last_.y) / 2.0;
      last_ = p;
      return;
    }
    keep(p);
  }

  // The thinned points so far, the open run included.
  std::vector<CurvePoint> points() const;

 private:
  void keep(CurvePoint p);
  // Appends the stand-ins of the run since out.back() (the last kept point).
  void close_run(std::vector<CurvePoint>& out) const;

  double cell_x_, cell_y_;
  std::vector<CurvePoint> kept_;
  CurvePoint last_;      // the latest point added
  double run_area_ = 0;  // trapezoid area from kept_.back() through the run to last_
};

}  // namespace winclip::eval
