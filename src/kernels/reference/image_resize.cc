// Resize and Upsample. Interpolation is separable: every mode weights an output position by a
// product of per-axis factors, so the kernel resizes one axis at a time, each axis with a table
// of (source index, weight) taps per output index computed once. This is both the reference and
// the CPU kernel (the passes are threaded); the pinned tests in tests/kernels/test_image_resize.cc
// carry values from onnx.reference to keep it honest. The nearest mode skips the passes and copies
// values (resize_nearest).
//
// Spec details that the tables encode:
//   - the source coordinate x uses the float output length scale * in (not the integer output
//     size) in align_corners / tf_crop_and_resize / half_pixel_symmetric, as the spec writes it;
//   - for an integral x, linear and cubic taps are placed as if the fractional part were 1 (so
//     the tap at x gets all the weight), nearest picks x itself;
//   - taps outside the input read the edge pixel, unless exclude_outside zeroes their weights
//     and renormalizes;
//   - antialias (linear/cubic, downsampling) stretches the filter by 1/scale and normalizes;
//   - tf_crop_and_resize: a coordinate outside [0, in-1] gives extrapolation_value;
//   - an axis whose scale is 1, size unchanged and roi trivial is copied as is.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "base/thread_pool.h"
#include "ir/infer_image.h"
#include "kernels/cpu/image_common.h"
#include "kernels/reference/image_resize.h"

namespace onnxrt::kernels {

namespace {

using ir::CoordMode;
using ir::NearestMode;
using ir::ResizeMode;

double cubic_weight(double x, double A) {
  x = std::fabs(x);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return 0.0;
}

double source_coord(const ir::ResizeAttrs& a, int64_t y, int64_t in, int64_t out, double scale,
                    double r0, double r1) {
  const double ow = scale * static_cast<double>(in);
  const double yd = static_cast<double>(y), ind = static_cast<double>(in);
  switch (a.coord) {
    case CoordMode::kAlignCorners:
      return ow == 1.0 ? 0.0 : yd * (ind - 1) / (ow - 1);
    case CoordMode::kAsymmetric:
      return yd / scale;
    case CoordMode::kTfCropAndResize: {
      const double x = ow == 1.0 ? (r1 - r0) * (ind - 1) / 2 : yd * (r1 - r0) * (ind - 1) / (ow - 1);
      return x + r0 * (ind - 1);
    }
    case CoordMode::kPytorchHalfPixel:
      return ow == 1.0 ? -0.5 : (yd + 0.5) / scale - 0.5;
    case CoordMode::kHalfPixel:
      return (yd + 0.5) / scale - 0.5;
    case CoordMode::kHalfPixelSymmetric: {
      const double adjustment = static_cast<double>(out) / ow;
      const double offset = ind / 2 * (1 - adjustment);
      return offset + (yd + 0.5) / scale - 0.5;
    }
  }
  return 0.0;
}

}  // namespace

AxisTaps axis_taps(const ir::ResizeAttrs& a, int64_t in, int64_t out, double scale, double r0,
                   double r1) {
  AxisTaps t;
  t.extrap.assign(static_cast<size_t>(out), 0);
  const double sc = std::min(scale, 1.0);  // antialias only widens the filter when downsampling
  int64_t start = 0;  // first tap's offset from the base index
  if (a.mode == ResizeMode::kNearest) {
    t.n = 1;
  } else {
    // A scale of 0 (or one so small that no output pixel exists) makes the filter infinitely
    // wide; with out == 0 nothing is sampled, so bound it to keep the arithmetic defined. With
    // out >= 1 the scale is at least 1/in and the bound is never reached.
    constexpr int64_t kWidest = int64_t{1} << 40;
    const double reach = a.mode == ResizeMode::kLinear ? 1.0 : 2.0;
    start = a.antialias ? std::max(-kWidest, image::coord_to_index(std::floor(-reach / sc)) + 1)
                        : (a.mode == ResizeMode::kLinear ? 0 : -1);
    t.n = 2 - 2 * start;
  }
  t.idx.assign(static_cast<size_t>(out * t.n), 0);
  t.w.assign(static_cast<size_t>(out * t.n), 0.0);
  for (int64_t y = 0; y < out; ++y) {
    const double x = source_coord(a, y, in, out, scale, r0, r1);
    int64_t* idx = &t.idx[static_cast<size_t>(y * t.n)];
    double* w = &t.w[static_cast<size_t>(y * t.n)];
    if (a.coord == CoordMode::kTfCropAndResize && (x < 0 || x > static_cast<double>(in - 1))) {
      t.extrap[static_cast<size_t>(y)] = 1;
      continue;
    }
    if (a.mode == ResizeMode::kNearest) {
      // A coordinate that is a whole or half number in exact arithmetic can land a rounding error
      // off it (half_pixel_symmetric's offset: 1 + 2e-16 where floor and ceil must both give 1),
      // and floor, ceil and the tie rules then pick the other pixel: within 1e-9 it counts as on it.
      const double half = std::nearbyint(x * 2) / 2;
      const double xs = std::fabs(x - half) <= 1e-9 * std::max(1.0, std::fabs(x)) ? half : x;
      const double fl = std::floor(xs);
      int64_t i;
      if (fl == xs) {
        i = image::coord_to_index(xs);
      } else {
        const double r = xs - fl;
        bool up = false;
        switch (a.nearest) {
          case NearestMode::kRoundPreferFloor: up = r > 0.5; break;
          case NearestMode::kRoundPreferCeil: up = r >= 0.5; break;
          case NearestMode::kFloor: up = false; break;
          case NearestMode::kCeil: up = true; break;
          case NearestMode::kSimple: up = scale < 1.0; break;
        }
        i = image::coord_to_index(fl) + (up ? 1 : 0);
      }
      idx[0] = std::clamp<int64_t>(i, 0, in - 1);
      w[0] = 1.0;
      continue;
    }
    const double fl = std::floor(x);
    // Ratio in (0, 1]: an integral x counts as the end of the interval to its left.
    int64_t base = image::coord_to_index(fl);
    double r = x - fl;
    if (r == 0) {
      base -= 1;
      r = 1.0;
    }
    double sum = 0;
    for (int64_t k = 0; k < t.n; ++k) {
      const double d = static_cast<double>(start + k) - r;  // tap position minus x
      double wk;
      if (a.mode == ResizeMode::kLinear) {
        wk = a.antialias ? std::clamp(1.0 - std::fabs(d * sc), 0.0, 1.0) : (k == 0 ? 1 - r : r);
      } else {
        wk = cubic_weight(a.antialias ? d * sc : d, a.cubic_a);
      }
      const int64_t pos = base + start + k;
      if (a.exclude_outside && (pos < 0 || pos >= in)) wk = 0;
      idx[k] = std::clamp<int64_t>(pos, 0, in - 1);
      w[k] = wk;
      sum += wk;
    }
    if ((a.antialias || a.exclude_outside) && sum != 0)
      for (int64_t k = 0; k < t.n; ++k) w[k] /= sum;
  }
  return t;
}

AxisTaps identity_taps(int64_t n) {
  AxisTaps t;
  t.idx.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) t.idx[static_cast<size_t>(i)] = i;
  t.w.assign(static_cast<size_t>(n), 1.0);
  t.extrap.assign(static_cast<size_t>(n), 0);
  return t;
}

namespace {

// One separable pass along `axis`: src [outer, in, inner] -> dst [outer, out, inner].
void resize_pass(const AxisTaps& t, double extrapolation, const double* src, double* dst,
                 int64_t outer, int64_t in, int64_t out, int64_t inner, ThreadPool& pool) {
  pool.parallel_for(outer * out, static_cast<double>(t.n * inner), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t o = row / out, y = row % out;
      double* d = dst + row * inner;
      if (t.extrap[static_cast<size_t>(y)]) {
        std::fill(d, d + inner, extrapolation);
        continue;
      }
      const int64_t* idx = &t.idx[static_cast<size_t>(y * t.n)];
      const double* w = &t.w[static_cast<size_t>(y * t.n)];
      const double* s0 = src + o * in * inner;
      if (t.n == 1) {
        std::memcpy(d, s0 + idx[0] * inner, static_cast<size_t>(inner) * sizeof(double));
        continue;
      }
      std::fill(d, d + inner, 0.0);
      for (int64_t k = 0; k < t.n; ++k) {
        if (w[k] == 0) continue;
        const double* s = s0 + idx[k] * inner;
        const double wk = w[k];
        for (int64_t i = 0; i < inner; ++i) d[i] += wk * s[i];
      }
    }
  });
}

template <typename T>
void resize_typed(KernelContext& ctx, const ir::ResizeAttrs& a, const ir::ResizePlan& p,
                  const Tensor& x, Tensor& y) {
  const Shape& xs = x.shape();
  const size_t rank = xs.size();
  std::vector<double> cur(static_cast<size_t>(x.size()));
  const T* xd = x.data<T>();
  for (size_t i = 0; i < cur.size(); ++i) cur[i] = image::load(xd[i]);
  Shape shape = xs;
  std::vector<double> next;
  // The passes commute (each is a linear map along its own axis, with weights that sum to one), so
  // the shrinking axes go first: the intermediate sizes then fall and rise monotonically and never
  // exceed the larger of X and Y, both of which are already allocated. In axis order, growing one
  // axis before shrinking another can need far more than either (or overflow int64).
  std::vector<size_t> axes;
  for (size_t ax = 0; ax < rank; ++ax)
    if (p.out[ax] < xs[ax]) axes.push_back(ax);
  for (size_t ax = 0; ax < rank; ++ax)
    if (p.out[ax] >= xs[ax]) axes.push_back(ax);
  for (size_t ax : axes) {
    const int64_t in = shape[ax], out = p.out[ax];
    const bool trivial_roi = !p.has_roi || (std::fabs(p.roi_start[ax]) < 1e-9 &&
                                            std::fabs(p.roi_end[ax] - 1.0) < 1e-9);
    if (std::fabs(p.scale[ax] - 1.0) <= 1e-9 && in == out && trivial_roi) continue;
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < ax; ++d) outer *= shape[d];
    for (size_t d = ax + 1; d < rank; ++d) inner *= shape[d];
    next.assign(static_cast<size_t>(outer * out * inner), 0.0);
    if (outer * out * inner > 0) {
      AxisTaps t = axis_taps(a, in, out, p.scale[ax], p.roi_start[ax], p.roi_end[ax]);
      resize_pass(t, a.extrapolation, cur.data(), next.data(), outer, in, out, inner, ctx.threads());
    }
    cur.swap(next);
    shape[ax] = out;
  }
  T* yd = y.data<T>();
  for (size_t i = 0; i < cur.size(); ++i) yd[i] = image::store<T>(cur[i]);
}

// The nearest mode copies values: per-axis source indices (axis_taps, one tap each), then a
// gather in the element type with no round trip through double. Each output row along the last
// axis is gathered once; a row that repeats the previous row's source (upsampling along an outer
// axis) is copied from it. A YOLO-style 2x upsample of [1, 128, 20, 20] took 1.3 ms through the
// double passes, 47x onnxruntime's time.
template <typename T>
void resize_nearest(KernelContext& ctx, const ir::ResizeAttrs& a, const ir::ResizePlan& p, const Tensor& x,
                    Tensor& y) {
  const Shape& xs = x.shape();
  const size_t rank = xs.size();
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  if (rank == 0) {
    yd[0] = xd[0];
    return;
  }
  std::vector<AxisTaps> taps(rank);
  std::vector<int64_t> xstride(rank, 1);
  for (size_t ax = rank - 1; ax-- > 0;) xstride[ax] = xstride[ax + 1] * xs[ax + 1];
  for (size_t ax = 0; ax < rank; ++ax) {
    const bool trivial_roi = !p.has_roi || (std::fabs(p.roi_start[ax]) < 1e-9 && std::fabs(p.roi_end[ax] - 1.0) < 1e-9);
    if (std::fabs(p.scale[ax] - 1.0) <= 1e-9 && xs[ax] == p.out[ax] && trivial_roi) {  // as resize_typed: unchanged
      taps[ax].idx.resize(static_cast<size_t>(xs[ax]));
      for (int64_t i = 0; i < xs[ax]; ++i) taps[ax].idx[static_cast<size_t>(i)] = i;
      taps[ax].extrap.assign(static_cast<size_t>(xs[ax]), 0);
    } else {
      taps[ax] = axis_taps(a, xs[ax], p.out[ax], p.scale[ax], p.roi_start[ax], p.roi_end[ax]);
    }
  }
  const AxisTaps& last = taps[rank - 1];
  const int64_t W = p.out[rank - 1], rows = y.size() / W;
  const bool last_extrap = std::any_of(last.extrap.begin(), last.extrap.end(), [](uint8_t e) { return e != 0; });
  // An integer upsampling factor k along the last axis (output j reads j / k: torch's
  // interpolate(scale_factor=2) in every coordinate mode that rounds down there) repeats each
  // source element k times, with no index table: 2x over [1, 64, 56, 56] 0.34 -> 0.14 ms (onnxruntime
  // 0.09-0.15).
  int64_t repeat = 0;
  if (!last_extrap && W % xs[rank - 1] == 0) {
    repeat = W / xs[rank - 1];
    for (int64_t j = 0; j < W && repeat > 0; ++j)
      if (last.idx[static_cast<size_t>(j)] != j / repeat) repeat = 0;
  }
  const T ext = image::store<T>(a.extrapolation);
  ctx.threads().parallel_for(rows, static_cast<double>(W), [&](int64_t b, int64_t e) {
    int64_t prev = -1;  // source offset of the previous row gathered by this task
    for (int64_t row = b; row < e; ++row) {
      int64_t r = row, src = 0;
      bool extrap = false;
      for (size_t ax = rank - 1; ax-- > 0;) {
        const auto o = static_cast<size_t>(r % p.out[ax]);
        r /= p.out[ax];
        extrap |= taps[ax].extrap[o] != 0;
        src += taps[ax].idx[o] * xstride[ax];
      }
      T* d = yd + row * W;
      if (extrap) {
        std::fill(d, d + W, ext);
        prev = -1;
        continue;
      }
      if (src == prev) {
        std::memcpy(d, d - W, static_cast<size_t>(W) * sizeof(T));
        continue;
      }
      const T* s = xd + src;
      const int64_t* ix = last.idx.data();
      if (repeat == 1) {
        std::memcpy(d, s, static_cast<size_t>(W) * sizeof(T));
      } else if (repeat == 2) {
        for (int64_t j = 0; j < W / 2; ++j) d[2 * j] = d[2 * j + 1] = s[j];
      } else if (repeat > 0) {
        for (int64_t j = 0; j < W / repeat; ++j) std::fill(d + j * repeat, d + (j + 1) * repeat, s[j]);
      } else if (last_extrap) {
        for (int64_t j = 0; j < W; ++j) d[j] = last.extrap[static_cast<size_t>(j)] ? ext : s[ix[j]];
      } else {
        for (int64_t j = 0; j < W; ++j) d[j] = s[ix[j]];
      }
      prev = src;
    }
  });
}

// Linear and cubic resizes of the last two axes (images: [N, C, H, W] with N and C unchanged, or
// just the last axis): each output row is its own weighted sum of the source taps, in double as
// the passes compute, straight from X's elements to Y's, with no tensor-sized double buffers and
// one rounding at the end. A bilinear 2x upsample of [1, 64, 64, 64] took 17.9 ms through the
// passes, 5.6x onnxruntime's time. False when the shape does not fit (the passes run instead).
template <typename T>
bool resize_last_two(KernelContext& ctx, const ir::ResizeAttrs& a, const ir::ResizePlan& p, const Tensor& x,
                     Tensor& y) {
  const Shape& xs = x.shape();
  const size_t rank = xs.size();
  if (rank < 2) return false;
  auto unchanged = [&](size_t ax) {
    const bool trivial_roi = !p.has_roi || (std::fabs(p.roi_start[ax]) < 1e-9 && std::fabs(p.roi_end[ax] - 1.0) < 1e-9);
    return std::fabs(p.scale[ax] - 1.0) <= 1e-9 && xs[ax] == p.out[ax] && trivial_roi;
  };
  for (size_t ax = 0; ax + 2 < rank; ++ax)
    if (!unchanged(ax)) return false;
  if (y.size() == 0) return true;
  const int64_t H = xs[rank - 2], W = xs[rank - 1], OH = p.out[rank - 2], OW = p.out[rank - 1];
  if (H == 0 || W == 0) return false;
  auto taps_of = [&](size_t ax) {
    if (!unchanged(ax)) return axis_taps(a, xs[ax], p.out[ax], p.scale[ax], p.roi_start[ax], p.roi_end[ax]);
    return identity_taps(xs[ax]);  // as the passes skip the axis
  };
  const AxisTaps th = taps_of(rank - 2), tw = taps_of(rank - 1);
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  const int64_t rows = y.size() / OW;
  const double cost = static_cast<double>(OW * (th.n + tw.n));
  ctx.threads().parallel_for(rows, cost, [&](int64_t b, int64_t e) {
    // Source rows interpolated along W, kept while consecutive output rows read them again (an
    // upsample reads each one for several output rows): a small ring keyed by plane and row.
    const auto slots = static_cast<size_t>(th.n + 1);
    std::vector<double> ring(slots * static_cast<size_t>(OW)), acc(static_cast<size_t>(OW));
    std::vector<int64_t> key(slots, -1);
    size_t next_slot = 0;
    auto source_row = [&](int64_t plane, int64_t sy) -> const double* {
      const int64_t k = plane * H + sy;
      for (size_t i = 0; i < slots; ++i)
        if (key[i] == k) return &ring[i * static_cast<size_t>(OW)];
      const size_t slot = next_slot;
      next_slot = (next_slot + 1) % slots;
      key[slot] = k;
      double* r = &ring[slot * static_cast<size_t>(OW)];
      const T* src = xd + k * W;
      const int64_t* ix = tw.idx.data();
      const double* wh = tw.w.data();
      if (tw.n == 2) {
        for (int64_t j = 0; j < OW; ++j)
          r[j] = wh[2 * j] * image::load(src[ix[2 * j]]) + wh[2 * j + 1] * image::load(src[ix[2 * j + 1]]);
      } else {
        for (int64_t j = 0; j < OW; ++j) {
          double h = 0;
          for (int64_t m = 0; m < tw.n; ++m) h += wh[j * tw.n + m] * image::load(src[ix[j * tw.n + m]]);
          r[j] = h;
        }
      }
      return r;
    };
    for (int64_t row = b; row < e; ++row) {
      const int64_t plane = row / OH, oy = row % OH;
      T* d = yd + row * OW;
      if (th.extrap[static_cast<size_t>(oy)]) {
        std::fill(d, d + OW, image::store<T>(a.extrapolation));
        continue;
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t k = 0; k < th.n; ++k) {
        const double wv = th.w[static_cast<size_t>(oy * th.n + k)];
        if (wv == 0) continue;
        const double* r = source_row(plane, th.idx[static_cast<size_t>(oy * th.n + k)]);
        for (int64_t j = 0; j < OW; ++j) acc[static_cast<size_t>(j)] += wv * r[j];
      }
      for (int64_t j = 0; j < OW; ++j)
        d[j] = tw.extrap[static_cast<size_t>(j)] ? image::store<T>(a.extrapolation) : image::store<T>(acc[static_cast<size_t>(j)]);
    }
  });
  return true;
}

class ResizeKernel final : public Kernel {
 public:
  explicit ResizeKernel(ir::ResizeAttrs a) : a_(std::move(a)) {}

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || !y) return ctx.error("needs input X and output Y");
    auto in = [&](int i) -> const Tensor* {
      return i >= 0 && static_cast<size_t>(i) < ctx.num_inputs() ? ctx.input(static_cast<size_t>(i)) : nullptr;
    };
    auto p = ir::resize_plan(a_, x->shape(), in(a_.roi_input), in(a_.scales_input), in(a_.sizes_input));
    if (!p) return ctx.error(p.status().message());
    if (y->shape() != p->out || y->dtype() != x->dtype())
      return ctx.error("output Y has shape " + shape_to_string(y->shape()) + ", expected " +
                       shape_to_string(p->out));
    // Nearest with an empty X and a non-empty Y has nothing to copy from: the passes decide.
    const bool nearest = a_.mode == ir::ResizeMode::kNearest && (x->size() > 0 || y->size() == 0);
    if (!image::dispatch_numeric(x->dtype(), [&](auto t) {
          if (nearest) {
            if (y->size() > 0) resize_nearest<decltype(t)>(ctx, a_, *p, *x, *y);
          } else if (!resize_last_two<decltype(t)>(ctx, a_, *p, *x, *y)) {
            resize_typed<decltype(t)>(ctx, a_, *p, *x, *y);
          }
        }))
      return not_implemented(ctx.node().describe() + ": no Resize kernel for element type " +
                             std::string(dtype_name(x->dtype())));
    return Status::ok();
  }
  const char* variant() const override { return a_.mode == ir::ResizeMode::kNearest ? "nearest_gather" : "separable"; }

 private:
  ir::ResizeAttrs a_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_resize(const KernelInit& init) {
  ir::ResizeAttrs a;
  Status st = ir::read_resize_attrs(init.node, &a);
  if (!st) return init.error(st.message());
  return std::unique_ptr<Kernel>(new ResizeKernel(std::move(a)));
}

}  // namespace onnxrt::kernels
