// GridSample (N-D), AffineGrid and DeformConv (2-D): the sampling ops. One kernel serves both
// backends; they are gathers with a few weights each, threaded over output rows.
//
// GridSample follows the spec and onnx.reference (which follows PyTorch): grid coordinates are
// denormalized per align_corners; for border / reflection padding the coordinate itself is first
// clamped / reflected into range, then each tap is fetched with the same padding rule (zeros:
// outside taps read 0). Nearest rounds half to even (PyTorch's rint). Cubic uses Keys' kernel
// with A = -0.75.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "ir/infer_nn_window.h"
#include "kernels/cpu/image_common.h"

namespace onnxrt::kernels {

namespace image {

double load_any(const Tensor& t, int64_t i) {
  double v = 0;
  dispatch_float(t.dtype(), [&](auto z) { v = load(t.data<decltype(z)>()[i]); });
  return v;
}

}  // namespace image

namespace {

using image::load;
using image::store;

// ------------------------------------------------------------------ GridSample

enum class GsMode { kLinear, kNearest, kCubic };
enum class GsPad { kZeros, kBorder, kReflection };

struct GsAttrs {
  GsMode mode = GsMode::kLinear;
  GsPad pad = GsPad::kZeros;
  bool align = false;
};

double reflect(double x, double lo, double hi) {
  const double rng = hi - lo;
  if (rng <= 0) return lo;
  if (x < lo) {
    const double dx = lo - x;
    if (!std::isfinite(dx)) return lo;  // NaN or infinitely far: no reflection to compute
    const double n = std::floor(dx / rng);
    const double r = dx - n * rng;
    return std::fmod(n, 2.0) == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const double dx = x - hi;
    if (!std::isfinite(dx)) return hi;
    const double n = std::floor(dx / rng);
    const double r = dx - n * rng;
    return std::fmod(n, 2.0) == 0 ? hi - r : lo + r;
  }
  return x;
}

void cubic_coeffs(double t, double c[4]) {
  const double A = -0.75;
  auto near = [&](double x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };
  auto far = [&](double x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };
  c[0] = far(t + 1);
  c[1] = near(t);
  c[2] = near(1 - t);
  c[3] = far(2 - t);
}

// Per spatial dim: up to 4 taps (index, weight, valid).
struct DimTaps {
  int n = 0;
  int64_t idx[4];
  double w[4];
  bool valid[4];
};

template <typename T>
void grid_sample_typed(KernelContext& ctx, const GsAttrs& a, const Tensor& x, const Tensor& grid,
                       Tensor& y) {
  const Shape& xs = x.shape();
  const size_t nd = xs.size() - 2;
  const int64_t N = xs[0], C = xs[1];
  int64_t in_size = 1, out_size = 1;
  for (size_t d = 0; d < nd; ++d) {
    in_size *= xs[d + 2];
    out_size *= grid.dim(static_cast<int64_t>(d) + 1);
  }
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  std::vector<double> lo(nd), hi(nd);
  std::vector<int64_t> stride(nd, 1);
  for (size_t d = nd - 1; d-- > 0;) stride[d] = stride[d + 1] * xs[d + 3];
  for (size_t d = 0; d < nd; ++d) {
    const double len = static_cast<double>(xs[d + 2]);
    lo[d] = a.align ? 0.0 : -0.5;
    hi[d] = a.align ? len - 1 : len - 0.5;
  }
  auto tap_index = [&](size_t d, int64_t i, bool* valid) -> int64_t {
    const int64_t len = xs[d + 2];
    *valid = true;
    if (a.pad == GsPad::kZeros) {
      *valid = i >= 0 && i < len;
      return i;
    }
    if (a.pad == GsPad::kReflection)
      i = static_cast<int64_t>(reflect(static_cast<double>(i), lo[d], hi[d]));
    return std::clamp<int64_t>(i, 0, len - 1);
  };
  ctx.threads().parallel_for(N * out_size, static_cast<double>(C * (1 << (2 * nd))), [&](int64_t b, int64_t e) {
    std::vector<DimTaps> taps(nd);
    for (int64_t item = b; item < e; ++item) {
      const int64_t n = item / out_size, o = item % out_size;
      bool any_len0 = false;
      for (size_t d = 0; d < nd; ++d) {
        // grid's last axis lists coordinates innermost dim first (x, y, z).
        const double g = image::load_any(grid, item * static_cast<int64_t>(nd) + static_cast<int64_t>(nd - 1 - d));
        const double len = static_cast<double>(xs[d + 2]);
        if (xs[d + 2] == 0) any_len0 = true;
        double c = a.align ? (g + 1) / 2 * (len - 1) : ((g + 1) * len - 1) / 2;
        if (a.mode == GsMode::kNearest) c = std::nearbyint(c);
        if (c < lo[d] || c > hi[d]) {
          if (a.pad == GsPad::kBorder) c = std::clamp(c, 0.0, len - 1);
          else if (a.pad == GsPad::kReflection) c = reflect(c, lo[d], hi[d]);
        }
        DimTaps& t = taps[d];
        if (a.mode == GsMode::kNearest) {
          t.n = 1;
          t.w[0] = 1;
          t.idx[0] = tap_index(d, image::coord_to_index(c), &t.valid[0]);
        } else {
          const double f = std::floor(c);
          const int64_t i0 = image::coord_to_index(f);
          const double r = c - f;
          if (a.mode == GsMode::kLinear) {
            t.n = 2;
            t.w[0] = 1 - r;
            t.w[1] = r;
            for (int k = 0; k < 2; ++k) t.idx[k] = tap_index(d, i0 + k, &t.valid[k]);
          } else {
            t.n = 4;
            cubic_coeffs(r, t.w);
            for (int k = 0; k < 4; ++k) t.idx[k] = tap_index(d, i0 - 1 + k, &t.valid[k]);
          }
        }
      }
      int64_t combos = 1;
      for (size_t d = 0; d < nd; ++d) combos *= taps[d].n;
      for (int64_t c = 0; c < C; ++c) {
        const T* xc = xd + (n * C + c) * in_size;
        double acc = 0;
        if (!any_len0) {
          for (int64_t q = 0; q < combos; ++q) {
            int64_t r = q, off = 0;
            double w = 1;
            bool valid = true;
            for (size_t d = nd; d-- > 0;) {
              const DimTaps& t = taps[d];
              const int k = static_cast<int>(r % t.n);
              r /= t.n;
              w *= t.w[k];
              valid = valid && t.valid[k];
              // An invalid (zero-padded) tap's index may be far outside the image: skip it.
              if (valid) off += t.idx[k] * stride[d];
            }
            if (valid && w != 0) acc += w * load(xc[off]);
          }
        }
        yd[(n * C + c) * out_size + o] = store<T>(acc);
      }
    }
  });
}

class GridSampleKernel final : public Kernel {
 public:
  explicit GridSampleKernel(GsAttrs a) : a_(a) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* g = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
    Tensor* y = ctx.output(0);
    if (!x || !g || !y) return ctx.error("needs X, grid and output Y");
    if (x->rank() < 3 || g->rank() != x->rank() || g->dim(g->rank() - 1) != x->rank() - 2 ||
        g->dim(0) != x->dim(0))
      return ctx.error("X " + shape_to_string(x->shape()) + " and grid " + shape_to_string(g->shape()) +
                       " do not agree (grid must be [N, out..., rank(X) - 2])");
    if (!dtype_is_float(g->dtype())) return ctx.error("grid must be a float tensor");
    Shape expect{x->dim(0), x->dim(1)};
    for (int64_t d = 1; d + 1 < g->rank(); ++d) expect.push_back(g->dim(d));
    if (y->shape() != expect) return ctx.error("output has shape " + shape_to_string(y->shape()) + ", expected " + shape_to_string(expect));
    if (!image::dispatch_numeric(x->dtype(), [&](auto t) {
          grid_sample_typed<decltype(t)>(ctx, a_, *x, *g, *y);
        }))
      return not_implemented(ctx.node().describe() + ": no GridSample kernel for " +
                             std::string(dtype_name(x->dtype())));
    return Status::ok();
  }
  const char* variant() const override { return "reference"; }

 private:
  GsAttrs a_;
};

// ------------------------------------------------------------------ AffineGrid

template <typename T>
void affine_grid_typed(const Tensor& theta, const std::vector<int64_t>& size, bool align, Tensor& out) {
  const int64_t N = size[0];
  const size_t nd = size.size() - 2;
  std::vector<int64_t> dims(size.begin() + 2, size.end());
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  const T* th = theta.data<T>();
  T* od = out.data<T>();
  auto base = [&](size_t d, int64_t i) {
    const double len = static_cast<double>(dims[d]);
    if (align) return dims[d] <= 1 ? -1.0 : -1.0 + 2.0 * static_cast<double>(i) / (len - 1);
    return -1.0 + (2.0 * static_cast<double>(i) + 1.0) / len;
  };
  std::vector<int64_t> idx(nd);
  std::vector<double> src(nd + 1);
  for (int64_t n = 0; n < N; ++n) {
    const T* t = th + n * static_cast<int64_t>(nd * (nd + 1));
    for (int64_t p = 0; p < count; ++p) {
      int64_t r = p;
      for (size_t d = nd; d-- > 0;) {
        idx[d] = r % dims[d];
        r /= dims[d];
      }
      // Homogeneous source point (x, y[, z], 1): x runs along the innermost dim.
      for (size_t j = 0; j < nd; ++j) src[j] = base(nd - 1 - j, idx[nd - 1 - j]);
      src[nd] = 1.0;
      for (size_t i = 0; i < nd; ++i) {
        double acc = 0;
        for (size_t j = 0; j <= nd; ++j) acc += load(t[i * (nd + 1) + j]) * src[j];
        od[(n * count + p) * static_cast<int64_t>(nd) + static_cast<int64_t>(i)] = store<T>(acc);
      }
    }
  }
}

Status run_affine_grid(KernelContext& ctx) {
  const Tensor* theta = ctx.input(0);
  const Tensor* size = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
  Tensor* y = ctx.output(0);
  if (!theta || !size || !y) return ctx.error("needs theta, size and output grid");
  if (size->dtype() != DType::kInt64 || (size->size() != 4 && size->size() != 5))
    return ctx.error("size must be int64 with 4 or 5 values");
  std::vector<int64_t> sz(size->data<int64_t>(), size->data<int64_t>() + size->size());
  const int64_t nd = size->size() - 2;
  if (theta->rank() != 3 || theta->dim(0) != sz[0] || theta->dim(1) != nd || theta->dim(2) != nd + 1)
    return ctx.error("theta " + shape_to_string(theta->shape()) + " must be [N, " + std::to_string(nd) +
                     ", " + std::to_string(nd + 1) + "] for size with N = " + std::to_string(sz[0]));
  Shape expect{sz[0]};
  for (int64_t d = 2; d < size->size(); ++d) expect.push_back(sz[static_cast<size_t>(d)]);
  expect.push_back(nd);
  if (y->shape() != expect) return ctx.error("output has shape " + shape_to_string(y->shape()) + ", expected " + shape_to_string(expect));
  ir::AttrReader a(ctx.node());
  const bool align = a.i("align_corners", 0) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!image::dispatch_float(theta->dtype(), [&](auto t) {
        affine_grid_typed<decltype(t)>(*theta, sz, align, *y);
      }))
    return ctx.error("theta must be a float tensor");
  return Status::ok();
}

// ------------------------------------------------------------------ DeformConv (2-D)

struct DeformAttrs {
  ir::WindowAttrs w;
  int64_t group = 1, offset_group = 1;
};

// Bilinear sample of one plane at (h, w) with zeros outside, as GridSample(align_corners=1)
// which the spec defines DeformConv by.
template <typename T>
double bilinear_zero(const T* p, int64_t H, int64_t W, double h, double w) {
  const double fh = std::floor(h), fw = std::floor(w);
  const int64_t h0 = image::coord_to_index(fh), w0 = image::coord_to_index(fw);
  const double lh = h - fh, lw = w - fw;
  double acc = 0;
  for (int dh = 0; dh < 2; ++dh) {
    const int64_t hh = h0 + dh;
    if (hh < 0 || hh >= H) continue;
    const double wh = dh ? lh : 1 - lh;
    for (int dw = 0; dw < 2; ++dw) {
      const int64_t ww = w0 + dw;
      if (ww < 0 || ww >= W) continue;
      acc += wh * (dw ? lw : 1 - lw) * load(p[hh * W + ww]);
    }
  }
  return acc;
}

template <typename T>
void deform_conv_typed(KernelContext& ctx, const DeformAttrs& a, const Tensor& x, const Tensor& w,
                       const Tensor& off, const Tensor* b, const Tensor* mask, Tensor& y) {
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t M = w.dim(0), Cg = w.dim(1), KH = w.dim(2), KW = w.dim(3);
  const int64_t OH = y.dim(2), OW = y.dim(3);
  const int64_t Mg = M / a.group, Cog = C / a.offset_group, K = KH * KW;
  const T* xd = x.data<T>();
  const T* wd = w.data<T>();
  const T* od = off.data<T>();
  const T* md = mask ? mask->data<T>() : nullptr;
  T* yd = y.data<T>();
  ctx.threads().parallel_for(N * M, static_cast<double>(OH * OW * Cg * K * 8), [&](int64_t b0, int64_t b1) {
    for (int64_t item = b0; item < b1; ++item) {
      const int64_t n = item / M, m = item % M, g = m / Mg;
      for (int64_t oh = 0; oh < OH; ++oh) {
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = b ? load(b->data<T>()[m]) : 0.0;
          for (int64_t cg = 0; cg < Cg; ++cg) {
            const int64_t c = g * Cg + cg, og = c / Cog;
            const T* plane = xd + (n * C + c) * H * W;
            for (int64_t kh = 0; kh < KH; ++kh) {
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t k = kh * KW + kw;
                const int64_t obase = ((n * a.offset_group + og) * K + k) * 2;
                const double dy = load(od[(obase * OH + oh) * OW + ow]);
                const double dx = load(od[((obase + 1) * OH + oh) * OW + ow]);
                const double hh = static_cast<double>(oh * a.w.strides[0] - a.w.pads[0] + kh * a.w.dilations[0]) + dy;
                const double ww = static_cast<double>(ow * a.w.strides[1] - a.w.pads[1] + kw * a.w.dilations[1]) + dx;
                double v = bilinear_zero(plane, H, W, hh, ww);
                if (md) v *= load(md[(((n * a.offset_group + og) * K + k) * OH + oh) * OW + ow]);
                acc += v * load(wd[((m * Cg + cg) * KH + kh) * KW + kw]);
              }
            }
          }
          yd[((n * M + m) * OH + oh) * OW + ow] = store<T>(acc);
        }
      }
    }
  });
}

class DeformConvKernel final : public Kernel {
 public:
  explicit DeformConvKernel(DeformAttrs a) : a_(std::move(a)) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* w = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
    const Tensor* off = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const Tensor* b = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    const Tensor* mask = ctx.num_inputs() > 4 ? ctx.input(4) : nullptr;
    Tensor* y = ctx.output(0);
    if (!x || !w || !off || !y) return ctx.error("needs X, W, offset and output Y");
    if (x->rank() != 4 || w->rank() != 4)
      return not_implemented(ctx.node().describe() + ": DeformConv is implemented for 2-D inputs only, got X " +
                             shape_to_string(x->shape()));
    const DType dt = x->dtype();
    if (w->dtype() != dt || off->dtype() != dt || (b && b->dtype() != dt) || (mask && mask->dtype() != dt))
      return ctx.error("X, W, offset, B and mask must share one float type");
    DeformAttrs a = a_;
    if (a.w.rank() != 2 || a.w.kernel[0] < 0 || a.w.kernel[1] < 0) {
      ir::AttrReader r(ctx.node());
      Status st = ir::read_window_attrs(r, 2, {w->dim(2), w->dim(3)}, false, &a.w);
      if (!st) return ctx.error(st.message());
    }
    if (a.w.kernel[0] != w->dim(2) || a.w.kernel[1] != w->dim(3))
      return ctx.error("kernel_shape does not match W " + shape_to_string(w->shape()));
    const int64_t N = x->dim(0), C = x->dim(1), M = w->dim(0);
    if (C != w->dim(1) * a.group || M % a.group != 0 || C % a.offset_group != 0)
      return ctx.error("X " + shape_to_string(x->shape()) + " and W " + shape_to_string(w->shape()) +
                       " do not agree with group " + std::to_string(a.group) + " and offset_group " +
                       std::to_string(a.offset_group));
    auto dims = ir::window_dims(a.w, {x->dim(2), x->dim(3)});
    if (!dims) return ctx.error(dims.status().message());
    const int64_t OH = (*dims)[0].out, OW = (*dims)[1].out, K = w->dim(2) * w->dim(3);
    if (y->shape() != Shape{N, M, OH, OW}) return ctx.error("output has shape " + shape_to_string(y->shape()));
    if (off->shape() != Shape{N, a.offset_group * K * 2, OH, OW})
      return ctx.error("offset has shape " + shape_to_string(off->shape()) + ", expected " +
                       shape_to_string(Shape{N, a.offset_group * K * 2, OH, OW}));
    if (mask && mask->shape() != Shape{N, a.offset_group * K, OH, OW})
      return ctx.error("mask has shape " + shape_to_string(mask->shape()) + ", expected " +
                       shape_to_string(Shape{N, a.offset_group * K, OH, OW}));
    if (b && b->size() != M) return ctx.error("B must have " + std::to_string(M) + " values");
    if (!image::dispatch_float(dt, [&](auto t) {
          deform_conv_typed<decltype(t)>(ctx, a, *x, *w, *off, b, mask, *y);
        }))
      return ctx.error("X must be a float tensor");
    return Status::ok();
  }
  const char* variant() const override { return "reference"; }

 private:
  DeformAttrs a_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_grid_sample(const KernelInit& init) {
  ir::AttrReader r(init.node);
  GsAttrs a;
  const std::string mode = r.s("mode", init.node.opset >= 20 ? "linear" : "bilinear");
  const std::string pad = r.s("padding_mode", "zeros");
  a.align = r.i("align_corners", 0) != 0;
  if (!r.status()) return init.error(r.status().message());
  if (mode == "linear" || mode == "bilinear") a.mode = GsMode::kLinear;
  else if (mode == "nearest") a.mode = GsMode::kNearest;
  else if (mode == "cubic" || mode == "bicubic") a.mode = GsMode::kCubic;
  else return init.error("mode '" + mode + "' must be linear, nearest or cubic");
  if (pad == "zeros") a.pad = GsPad::kZeros;
  else if (pad == "border") a.pad = GsPad::kBorder;
  else if (pad == "reflection") a.pad = GsPad::kReflection;
  else return init.error("padding_mode '" + pad + "' must be zeros, border or reflection");
  return std::unique_ptr<Kernel>(new GridSampleKernel(a));
}

Expected<std::unique_ptr<Kernel>> make_ref_affine_grid(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&run_affine_grid, "reference"));
}

Expected<std::unique_ptr<Kernel>> make_ref_deform_conv(const KernelInit& init) {
  ir::AttrReader r(init.node);
  DeformAttrs a;
  a.group = r.i("group", 1);
  a.offset_group = r.i("offset_group", 1);
  if (!r.status()) return init.error(r.status().message());
  if (a.group <= 0 || a.offset_group <= 0) return init.error("group and offset_group must be positive");
  std::vector<int64_t> kw{-1, -1};
  Status st = ir::read_window_attrs(r, 2, kw, false, &a.w);
  if (!st) return init.error(st.message());
  if (a.w.auto_pad != ir::AutoPad::kNotSet) return init.error("DeformConv has no auto_pad");
  return std::unique_ptr<Kernel>(new DeformConvKernel(std::move(a)));
}

}  // namespace onnxrt::kernels
