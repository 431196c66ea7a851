// RoiAlign, MaxRoiPool and MaxUnpool. One kernel per op serves both backends.
//
// RoiAlign follows the spec's reference (and onnxruntime): sample points per bin are bilinear
// reads clamped at the top/left edge, points more than one pixel outside the map count as 0;
// "max" takes the largest *weighted corner* of each sample, not the largest interpolated value,
// which is what onnxruntime computes and the conformance data encodes.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "ir/infer_nn_window.h"
#include "kernels/cpu/image_common.h"

namespace onnxrt::kernels {

namespace {

using image::load;
using image::store;

// ------------------------------------------------------------------ RoiAlign

struct RoiAlignAttrs {
  bool max_mode = false;
  bool half_pixel = true;
  int64_t oh = 1, ow = 1, sampling = 0;
  double scale = 1.0;
};

struct Sample {
  int64_t p[4];
  double w[4];
};

// Sampling points per ROI past which RoiAlign refuses to run (64 bytes of weights each): only a
// huge sampling_ratio, or adaptive sampling of ROIs millions of pixels wide, gets there.
constexpr int64_t kMaxRoiSamples = int64_t{1} << 24;

// The sampling grid along one axis of a bin: sampling_ratio, or ceil(extent / bins) when it is 0.
// An empty, negative or NaN extent gets no samples (its bins read 0, as in onnxruntime); a grid
// past kMaxRoiSamples comes back as kMaxRoiSamples + 1 so that the caller's check fails without
// overflowing.
int64_t roi_grid(int64_t sampling, double extent, int64_t bins) {
  if (sampling > 0) return std::min(sampling, kMaxRoiSamples + 1);
  const double g = std::ceil(extent / static_cast<double>(bins));
  if (!(g >= 1.0)) return 0;
  return g > static_cast<double>(kMaxRoiSamples) ? kMaxRoiSamples + 1 : static_cast<int64_t>(g);
}

template <typename T>
Status roi_align_typed(KernelContext& ctx, const RoiAlignAttrs& a, const Tensor& x,
                       const Tensor& rois, const Tensor& bidx, Tensor& y) {
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t R = rois.dim(0);
  const int64_t* bi = bidx.data<int64_t>();
  for (int64_t r = 0; r < R; ++r)
    if (bi[r] < 0 || bi[r] >= N)
      return ctx.error("batch_indices[" + std::to_string(r) + "] = " + std::to_string(bi[r]) +
                       " is outside [0, " + std::to_string(N) + ")");
  // ROI r in input coordinates: start (sw, sh) and extent (rw, rh).
  auto roi = [&](int64_t r, double* sw, double* sh, double* rw, double* rh) {
    const double off = a.half_pixel ? 0.5 : 0.0;
    *sw = image::load_any(rois, r * 4 + 0) * a.scale - off;
    *sh = image::load_any(rois, r * 4 + 1) * a.scale - off;
    *rw = image::load_any(rois, r * 4 + 2) * a.scale - off - *sw;
    *rh = image::load_any(rois, r * 4 + 3) * a.scale - off - *sh;
    if (!a.half_pixel) {
      *rw = std::max(*rw, 1.0);
      *rh = std::max(*rh, 1.0);
    }
  };
  for (int64_t r = 0; r < R; ++r) {
    double sw, sh, rw, rh;
    roi(r, &sw, &sh, &rw, &rh);
    const int64_t gh = roi_grid(a.sampling, rh, a.oh), gw = roi_grid(a.sampling, rw, a.ow);
    const int64_t bins = a.oh * a.ow;  // an output dim product, so it fits
    if (gh * gw > kMaxRoiSamples / bins)  // each factor is at most kMaxRoiSamples + 1
      return ctx.error("ROI " + std::to_string(r) + " (" + std::to_string(rh) + " x " + std::to_string(rw) +
                       " pixels, " + std::to_string(bins) + " bins, sampling_ratio " + std::to_string(a.sampling) +
                       ") needs more than the limit of " + std::to_string(kMaxRoiSamples) + " sampling points");
  }
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  ctx.threads().parallel_for(R, static_cast<double>(C * a.oh * a.ow * 16), [&](int64_t r0, int64_t r1) {
    std::vector<Sample> samples;
    for (int64_t r = r0; r < r1; ++r) {
      double sw, sh, rw, rh;
      roi(r, &sw, &sh, &rw, &rh);
      const double bh = rh / static_cast<double>(a.oh), bw = rw / static_cast<double>(a.ow);
      const int64_t gh = roi_grid(a.sampling, rh, a.oh), gw = roi_grid(a.sampling, rw, a.ow);
      const int64_t count = std::max<int64_t>(gh * gw, 1);
      // Sample positions and weights are the same for every channel.
      samples.assign(static_cast<size_t>(std::max<int64_t>(0, a.oh * a.ow * gh * gw)), Sample{});
      size_t si = 0;
      for (int64_t ph = 0; ph < a.oh; ++ph)
        for (int64_t pw = 0; pw < a.ow; ++pw)
          for (int64_t iy = 0; iy < gh; ++iy) {
            const double yy = sh + static_cast<double>(ph) * bh + (static_cast<double>(iy) + 0.5) * bh / static_cast<double>(gh);
            for (int64_t ix = 0; ix < gw; ++ix, ++si) {
              const double xx = sw + static_cast<double>(pw) * bw + (static_cast<double>(ix) + 0.5) * bw / static_cast<double>(gw);
              Sample& s = samples[si];
              // Written so that NaN positions count as outside too.
              if (!(yy >= -1.0 && yy <= static_cast<double>(H) && xx >= -1.0 && xx <= static_cast<double>(W)) ||
                  H == 0 || W == 0) {
                s = Sample{};
                continue;
              }
              double yv = std::max(yy, 0.0), xv = std::max(xx, 0.0);
              int64_t yl = static_cast<int64_t>(yv), xl = static_cast<int64_t>(xv), yh, xh;
              if (yl >= H - 1) {
                yh = yl = H - 1;
                yv = static_cast<double>(yl);
              } else {
                yh = yl + 1;
              }
              if (xl >= W - 1) {
                xh = xl = W - 1;
                xv = static_cast<double>(xl);
              } else {
                xh = xl + 1;
              }
              const double ly = yv - static_cast<double>(yl), lx = xv - static_cast<double>(xl);
              const double hy = 1 - ly, hx = 1 - lx;
              s.p[0] = yl * W + xl;
              s.p[1] = yl * W + xh;
              s.p[2] = yh * W + xl;
              s.p[3] = yh * W + xh;
              s.w[0] = hy * hx;
              s.w[1] = hy * lx;
              s.w[2] = ly * hx;
              s.w[3] = ly * lx;
            }
          }
      for (int64_t c = 0; c < C; ++c) {
        const T* plane = xd + (bi[r] * C + c) * H * W;
        T* out = yd + (r * C + c) * a.oh * a.ow;
        size_t k = 0;
        for (int64_t b = 0; b < a.oh * a.ow; ++b) {
          double v = 0;
          bool first = true;
          for (int64_t q = 0; q < gh * gw; ++q, ++k) {
            const Sample& s = samples[k];
            if (!a.max_mode) {
              for (int j = 0; j < 4; ++j) v += s.w[j] * load(plane[s.p[j]]);
            } else {
              double m = s.w[0] * load(plane[s.p[0]]);
              for (int j = 1; j < 4; ++j) m = std::max(m, s.w[j] * load(plane[s.p[j]]));
              v = first ? m : std::max(v, m);
              first = false;
            }
          }
          if (!a.max_mode) v /= static_cast<double>(count);
          out[b] = store<T>(v);
        }
      }
    }
  });
  return Status::ok();
}

class RoiAlignKernel final : public Kernel {
 public:
  explicit RoiAlignKernel(RoiAlignAttrs a) : a_(a) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* rois = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
    const Tensor* bi = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    Tensor* y = ctx.output(0);
    if (!x || !rois || !bi || !y) return ctx.error("needs X, rois, batch_indices and output Y");
    if (x->rank() != 4) return ctx.error("X must be 4-D, got " + shape_to_string(x->shape()));
    if (rois->rank() != 2 || rois->dim(1) != 4 || !dtype_is_float(rois->dtype()))
      return ctx.error("rois must be a float [num_rois, 4] tensor, got " + shape_to_string(rois->shape()));
    if (bi->dtype() != DType::kInt64 || bi->size() != rois->dim(0))
      return ctx.error("batch_indices must be int64 with num_rois values");
    if (y->shape() != Shape{rois->dim(0), x->dim(1), a_.oh, a_.ow})
      return ctx.error("output has shape " + shape_to_string(y->shape()));
    Status st;
    if (!image::dispatch_float(x->dtype(), [&](auto t) {
          st = roi_align_typed<decltype(t)>(ctx, a_, *x, *rois, *bi, *y);
        }))
      return ctx.error("X must be a float tensor");
    return st;
  }
  const char* variant() const override { return "reference"; }

 private:
  RoiAlignAttrs a_;
};

// ------------------------------------------------------------------ MaxRoiPool

template <typename T>
Status max_roi_pool_typed(KernelContext& ctx, int64_t PH, int64_t PW, double scale, const Tensor& x,
                          const Tensor& rois, Tensor& y) {
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3), R = rois.dim(0);
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  for (int64_t r = 0; r < R; ++r) {
    const int64_t b = static_cast<int64_t>(image::load_any(rois, r * 5));
    if (b < 0 || b >= N)
      return ctx.error("rois[" + std::to_string(r) + "] names batch " + std::to_string(b) +
                       ", outside [0, " + std::to_string(N) + ")");
    // Caffe's rounding of the box corners; a box is at least one pixel.
    const int64_t x1 = static_cast<int64_t>(std::round(image::load_any(rois, r * 5 + 1) * scale));
    const int64_t y1 = static_cast<int64_t>(std::round(image::load_any(rois, r * 5 + 2) * scale));
    const int64_t x2 = static_cast<int64_t>(std::round(image::load_any(rois, r * 5 + 3) * scale));
    const int64_t y2 = static_cast<int64_t>(std::round(image::load_any(rois, r * 5 + 4) * scale));
    const double rh = static_cast<double>(std::max<int64_t>(y2 - y1 + 1, 1));
    const double rw = static_cast<double>(std::max<int64_t>(x2 - x1 + 1, 1));
    const double bh = rh / static_cast<double>(PH), bw = rw / static_cast<double>(PW);
    for (int64_t c = 0; c < C; ++c) {
      const T* plane = xd + (b * C + c) * H * W;
      for (int64_t ph = 0; ph < PH; ++ph) {
        const int64_t hs = std::clamp<int64_t>(static_cast<int64_t>(std::floor(static_cast<double>(ph) * bh)) + y1, 0, H);
        const int64_t he = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(static_cast<double>(ph + 1) * bh)) + y1, 0, H);
        for (int64_t pw = 0; pw < PW; ++pw) {
          const int64_t ws = std::clamp<int64_t>(static_cast<int64_t>(std::floor(static_cast<double>(pw) * bw)) + x1, 0, W);
          const int64_t we = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(static_cast<double>(pw + 1) * bw)) + x1, 0, W);
          double m = 0;
          if (he > hs && we > ws) {
            m = -INFINITY;
            for (int64_t h = hs; h < he; ++h)
              for (int64_t w = ws; w < we; ++w) m = std::max(m, load(plane[h * W + w]));
          }
          yd[((r * C + c) * PH + ph) * PW + pw] = store<T>(m);
        }
      }
    }
  }
  return Status::ok();
}

Status run_max_roi_pool(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* rois = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
  Tensor* y = ctx.output(0);
  if (!x || !rois || !y) return ctx.error("needs X, rois and output Y");
  ir::AttrReader a(ctx.node());
  const std::vector<int64_t> ps = a.ints("pooled_shape", {});
  const double scale = a.f("spatial_scale", 1.0f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (ps.size() != 2 || ps[0] <= 0 || ps[1] <= 0) return ctx.error("pooled_shape must be two positive values");
  if (x->rank() != 4) return ctx.error("X must be 4-D, got " + shape_to_string(x->shape()));
  if (rois->rank() != 2 || rois->dim(1) != 5 || !dtype_is_float(rois->dtype()))
    return ctx.error("rois must be a float [num_rois, 5] tensor, got " + shape_to_string(rois->shape()));
  if (y->shape() != Shape{rois->dim(0), x->dim(1), ps[0], ps[1]})
    return ctx.error("output has shape " + shape_to_string(y->shape()));
  Status st;
  if (!image::dispatch_float(x->dtype(), [&](auto t) {
        st = max_roi_pool_typed<decltype(t)>(ctx, ps[0], ps[1], scale, *x, *rois, *y);
      }))
    return ctx.error("X must be a float tensor");
  return st;
}

// ------------------------------------------------------------------ MaxUnpool

// Indices are flat positions in the tensor MaxPool read, i.e. in the unpooled shape implied by
// the attributes. With an explicit output_shape the spec's reference scatters into that implied
// shape and then places it in the top-left corner of the requested one; the conformance data
// follows that, so this does too (values that fall outside the requested shape are dropped).
template <typename T>
Status max_unpool_typed(KernelContext& ctx, const Tensor& x, const Tensor& ind, const Shape& implied,
                        Tensor& y) {
  const T* xd = x.data<T>();
  const int64_t* id = ind.data<int64_t>();
  T* yd = y.data<T>();
  const Shape& ys = y.shape();
  // The implied shape comes from the attributes and may not fit in int64 as a whole (it is never
  // allocated): then every int64 index is inside it.
  int64_t total = 1;
  for (int64_t d : implied) {
    if (d < 0) return ctx.error("the unpooled shape " + shape_to_string(implied) + " has a negative dim");
    if (__builtin_mul_overflow(total, d, &total)) total = std::numeric_limits<int64_t>::max();
  }
  for (int64_t d : implied)
    if (d == 0) total = 0;
  for (int64_t i = 0; i < y.size(); ++i) yd[i] = store<T>(0.0);
  std::vector<int64_t> coord(implied.size());
  for (int64_t i = 0; i < x.size(); ++i) {
    int64_t f = id[i];
    if (f < 0 || f >= total)
      return ctx.error("index " + std::to_string(f) + " is outside the unpooled tensor " + shape_to_string(implied));
    bool inside = true;
    for (size_t d = implied.size(); d-- > 0;) {
      coord[d] = f % implied[d];
      f /= implied[d];
      if (coord[d] >= ys[d]) inside = false;
    }
    if (!inside) continue;
    int64_t off = 0;
    for (size_t d = 0; d < implied.size(); ++d) off = off * ys[d] + coord[d];
    yd[off] = xd[i];
  }
  return Status::ok();
}

Status run_max_unpool(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* ind = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
  Tensor* y = ctx.output(0);
  if (!x || !ind || !y) return ctx.error("needs X, I and output Y");
  if (x->rank() < 3) return ctx.error("X must have rank >= 3, got " + shape_to_string(x->shape()));
  if (ind->dtype() != DType::kInt64 || ind->shape() != x->shape())
    return ctx.error("I must be int64 with X's shape " + shape_to_string(x->shape()) + ", got " +
                     shape_to_string(ind->shape()));
  const size_t nd = static_cast<size_t>(x->rank() - 2);
  ir::AttrReader a(ctx.node());
  ir::WindowAttrs w;
  Status st = ir::read_window_attrs(a, nd, {}, false, &w);
  if (!st) return ctx.error(st.message());
  Shape implied{x->dim(0), x->dim(1)};
  for (size_t d = 0; d < nd; ++d) {
    int64_t o = 0;
    if (!ir::unpooled_size(x->dim(static_cast<int64_t>(d) + 2), w.strides[d], w.pads[d], w.pads[d + nd], w.kernel[d], &o))
      return ctx.error("spatial dim " + std::to_string(d) + " unpools to a size past int64");
    implied.push_back(o);
  }
  if (y->rank() != x->rank()) return ctx.error("output has shape " + shape_to_string(y->shape()));
  Status rs;
  if (!image::dispatch_float(x->dtype(), [&](auto t) {
        rs = max_unpool_typed<decltype(t)>(ctx, *x, *ind, implied, *y);
      }))
    return ctx.error("X must be a float tensor");
  return rs;
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_roi_align(const KernelInit& init) {
  ir::AttrReader r(init.node);
  RoiAlignAttrs a;
  a.max_mode = r.s("mode", "avg") == "max";
  // Before opset 16 RoiAlign had no coordinate_transformation_mode and did not shift by half a
  // pixel ("output_half_pixel").
  a.half_pixel = init.node.opset >= 16 &&
                 r.s("coordinate_transformation_mode", "half_pixel") == "half_pixel";
  a.oh = r.i("output_height", 1);
  a.ow = r.i("output_width", 1);
  a.sampling = r.i("sampling_ratio", 0);
  a.scale = r.f("spatial_scale", 1.0f);
  if (!r.status()) return init.error(r.status().message());
  if (a.oh <= 0 || a.ow <= 0 || a.sampling < 0)
    return init.error("output_height / output_width must be positive and sampling_ratio >= 0");
  return std::unique_ptr<Kernel>(new RoiAlignKernel(a));
}

Expected<std::unique_ptr<Kernel>> make_ref_max_roi_pool(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&run_max_roi_pool, "reference"));
}

Expected<std::unique_ptr<Kernel>> make_ref_max_unpool(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&run_max_unpool, "reference"));
}

}  // namespace onnxrt::kernels
