// Conv and com.onnxrt.FusedConv on float16 / bfloat16 tensors, without whole-tensor casts.
//
// Constant W (and B) are widened to float32 and packed once at create time, as for float32. At
// run time the output is cut into bands of rows of the outermost spatial dim (about 1024 output
// pixels each, whole column blocks of nn_conv.cc's GEMM (kNc = 256), so weights are streamed no
// more often than for float32). Per (image, group, band) the input rows the band's taps read
// are widened into a task-local float32 buffer, zero-padded there (so 2-D convs take the
// all-taps-inside im2col fast path), the band runs as an ordinary float32 conv on nn_conv.cc's
// packed GEMM with bias / Z / activation in its tile epilogue, and the float32 band result (still
// in L2) is narrowed once into Y. Depthwise 2-D convs do the same per channel plane with the
// depthwise microkernel. Scratch is a few bands per thread, not a float32 copy of X or Y.
// 3x3 stride-1 single-group convs whose float32 conv would take Winograd (winograd::pick_tile) run
// each band through the same Winograd code (bands of whole tiles, the pool inside each band).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/cpu/half_rows.h"
#include "kernels/cpu/nn_conv_impl.h"
#include "kernels/cpu/nn_conv_winograd.h"
#include "kernels/registry.h"

namespace onnxrt::kernels {

namespace {

using nn::ConvGeom;

// Output pixels per band (see the header comment).
constexpr int64_t kBandPixels = 1024;

// Geometry of one band: output rows [o0, o0 + rows) of spatial dim 0 of `g`, for one image and
// group, on an input buffer that holds exactly the rows those outputs read, with dim 0 (and for
// 2-D convs also dim 1) zero-padded explicitly.
struct Band {
  ConvGeom g;          // the band as a conv of its own (N = 1, G = 1)
  int64_t in_row = 0;  // elements per input row in the buffer (dims 1.. of the buffer)
  int64_t src_row = 0; // elements per input row in X (dims 1.. of X)
};

Band band_geometry(const ConvGeom& g, int64_t rows) {
  Band b;
  ConvGeom& s = b.g;
  s = g;
  s.N = 1, s.C = g.Cg, s.M = g.Mg, s.G = 1;
  s.in[0] = (rows - 1) * g.stride[0] + (g.kernel[0] - 1) * g.dil[0] + 1;
  s.out[0] = rows;
  s.pad_begin[0] = 0;
  if (g.in.size() == 2) {
    s.in[1] = (g.out[1] - 1) * g.stride[1] + (g.kernel[1] - 1) * g.dil[1] + 1;
    s.pad_begin[1] = 0;
  }
  s.in_size = 1, s.out_size = 1;
  for (size_t d = 0; d < s.in.size(); ++d) s.in_size *= s.in[d], s.out_size *= s.out[d];
  b.in_row = s.in_size / s.in[0];
  b.src_row = g.in[0] == 0 ? 0 : g.in_size / g.in[0];
  return b;
}

// Widens the input rows of output rows [o0, o0 + b.g.out[0]) of one (image, group) into `dst`
// ([Cg, rows_in, in_row] float32, padding zeroed). `x` is the group's first channel.
void widen_band(DType t, const ConvGeom& g, const Band& b, const uint16_t* x, int64_t o0, float* dst) {
  const int64_t rows_in = b.g.in[0], H = g.in[0];
  const int64_t first = o0 * g.stride[0] - g.pad_begin[0];  // X row of buffer row 0
  const int64_t r_lo = std::clamp<int64_t>(-first, 0, rows_in), r_hi = std::clamp<int64_t>(H - first, r_lo, rows_in);
  const bool pad_cols = g.in.size() == 2;
  const int64_t W = pad_cols ? g.in[1] : 0, Wp = b.in_row, pw = pad_cols ? g.pad_begin[1] : 0;
  // Buffer column c holds X column c - pw.
  const int64_t c0 = std::min(pw, Wp), c1 = std::clamp<int64_t>(W + pw, c0, Wp);
  for (int64_t c = 0; c < g.Cg; ++c) {
    float* d = dst + c * rows_in * Wp;
    const uint16_t* xc = x + c * g.in_size;
    std::fill(d, d + r_lo * Wp, 0.f);
    std::fill(d + r_hi * Wp, d + rows_in * Wp, 0.f);
    if (!pad_cols) {
      widen_16bit(t, xc + (first + r_lo) * b.src_row, d + r_lo * Wp, (r_hi - r_lo) * Wp);
      continue;
    }
    for (int64_t r = r_lo; r < r_hi; ++r) {
      float* row = d + r * Wp;
      std::fill(row, row + c0, 0.f);
      widen_16bit(t, xc + (first + r) * W + (c0 - pw), row + c0, c1 - c0);
      std::fill(row + c1, row + Wp, 0.f);
    }
  }
}

struct FreeFloats {
  void operator()(float* p) const { std::free(p); }
};

class HalfConvKernel final : public Kernel {
 public:
  HalfConvKernel(DType t, std::optional<nn::ConvAttrs> attrs, ir::FusedActivation act)
      : t_(t), attrs_(std::move(attrs)), act_(act), uk_(conv_impl::pick_sgemm_ukernel()) {}

  // Constant W and B: widened once; W also packed for `group` groups when its shape agrees.
  void prepare(const Tensor* w, const Tensor* b, int64_t group) {
    if (b && b->dtype() == t_) {
      b_f32_.resize(static_cast<size_t>(b->size()));
      widen_16bit(t_, b->data<uint16_t>(), b_f32_.data(), b->size());
      b_const_ = true;
    }
    if (!w || w->dtype() != t_) return;
    w_ = *w;
    w_f32_.resize(static_cast<size_t>(w->size()));
    widen_16bit(t_, w->data<uint16_t>(), w_f32_.data(), w->size());
    if (w->rank() < 3 || group <= 0 || w->dim(0) % group != 0) return;
    if (w->dim(1) == 1 && group > 1 && w->rank() == 4) return;  // depthwise runs on w_f32_ directly
    const int64_t Mg = w->dim(0) / group, K = w->size() / std::max<int64_t>(w->dim(0), 1);
    packed_.reset(static_cast<float*>(std::aligned_alloc(64, (static_cast<size_t>(w->size()) * 4 + 63) / 64 * 64 + 64)));
    if (!packed_) return;
    conv_impl::pack_conv_weights(w_f32_.data(), group, Mg, K, uk_.mr, packed_.get());
    packed_G_ = group, packed_Mg_ = Mg, packed_K_ = K;
    auto ones = [](const std::vector<int64_t>& v) {
      return std::all_of(v.begin(), v.end(), [](int64_t e) { return e == 1; });
    };
    if (group == 1 && attrs_ && w->rank() == 4 && w->dim(2) == 3 && w->dim(3) == 3 && ones(attrs_->w.strides) &&
        ones(attrs_->w.dilations))
      wino_ = winograd::Weights::make(w_f32_.data(), w->dim(0), w->dim(1), 4);
  }

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* w = w_.defined() ? &w_ : ctx.input(1);
    const Tensor* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const Tensor* z = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    Tensor* y = ctx.output(0);
    if (!x || !w || !y) return ctx.error("needs X, W and output Y");
    auto geom = nn::conv_geometry(ctx, attrs_, *x, *w, b, *y, t_);
    if (!geom) return geom.status();
    const ConvGeom& g = *geom;
    if (g.in.size() > 8) return ctx.error("more than 8 spatial dims are not supported");
    if (z && (z->dtype() != t_ || z->shape() != y->shape()))
      return ctx.error("Z " + std::string(dtype_name(z->dtype())) + " " + shape_to_string(z->shape()) + " must be " +
                       std::string(dtype_name(t_)) + " with the output's shape " + shape_to_string(y->shape()));
    if (g.N == 0 || g.M == 0 || g.out_size == 0) return Status::ok();

    // Bias (M floats) and, when W is not constant, W widened here; both are small next to X.
    const float* bd = nullptr;
    if (b) {
      if (b_const_ && b->size() == static_cast<int64_t>(b_f32_.size())) {
        bd = b_f32_.data();
      } else {
        auto* s = static_cast<float*>(ctx.scratch(static_cast<size_t>(g.M) * 4 + 64));
        if (!s) return ctx.error("out of memory for the bias");
        widen_16bit(t_, b->data<uint16_t>(), s, g.M);
        bd = s;
      }
    }
    const float* wf = w_f32_.data();
    if (w != &w_) {
      auto* s = static_cast<float*>(ctx.scratch(static_cast<size_t>(w->size()) * 4 + 64));
      if (!s) return ctx.error("out of memory for the widened weights");
      widen_16bit(t_, w->data<uint16_t>(), s, w->size());
      wf = s;
    }
    const uint16_t* xd = x->data<uint16_t>();
    const uint16_t* zd = z ? z->data<uint16_t>() : nullptr;
    uint16_t* yd = y->data<uint16_t>();
    if (g.in.size() == 2 && g.Cg == 1 && g.G > 1) return run_depthwise(ctx, g, xd, wf, bd, zd, yd);

    const float* wp = packed_.get();
    if (!wp || w != &w_ || packed_G_ != g.G || packed_Mg_ != g.Mg || packed_K_ != g.K()) {
      auto* s = static_cast<float*>(ctx.scratch(static_cast<size_t>(g.M * g.K()) * 4 + 64));
      if (!s) return ctx.error("out of memory for the packed weights");
      conv_impl::pack_conv_weights(wf, g.G, g.Mg, g.K(), uk_.mr, s);
      wp = s;
    }
    return run_gemm(ctx, g, xd, wp, bd, zd, yd);
  }

  const char* variant() const override { return "widened_bands"; }

 private:
  // Runs body(slot, item) for items [0, items) on `slots` tasks that claim items in turn (so a
  // worker that wakes late costs its share, not the whole op); slot < slots picks the buffers.
  template <typename Body>
  static void for_items(ThreadPool& pool, int64_t slots, int64_t items, const Body& body) {
    if (slots <= 1) {
      for (int64_t i = 0; i < items; ++i) body(0, i);
      return;
    }
    std::atomic<int64_t> next{0};
    pool.run_tasks(slots, [&](int64_t slot) {
      for (int64_t i = next.fetch_add(1); i < items; i = next.fetch_add(1)) body(slot, i);
    });
  }

  static int64_t slots_for(ThreadPool& pool, int64_t items, double ops) {
    // ~0.5 MFLOP per thread is where waking a worker starts to pay (as in gemm.cc).
    const int64_t by_work = std::max<int64_t>(1, static_cast<int64_t>(ops / 5e5));
    return std::max<int64_t>(1, std::min({static_cast<int64_t>(pool.num_threads()), items, by_work}));
  }

  Status run_depthwise(KernelContext& ctx, const ConvGeom& g, const uint16_t* xd, const float* wf, const float* bd,
                       const uint16_t* zd, uint16_t* yd) const {
    const ukernels::DwConv2dArgs a = conv_impl::conv_dw_args(g, act_, zd != nullptr);
    // The 3x3 kernel (no padded copy) where it applies, as for float planes (nn_conv_depthwise.cc).
    const ukernels::DwConv2dF32Fn dw3 = ukernels::dwconv2d_3x3_f32_ukernel();
    const ukernels::DwConv2dF32Fn dw = dw3 && ukernels::dwconv2d_3x3_applies(a) ? dw3 : ukernels::dwconv2d_f32_ukernel();
    const bool post = !a.clamp && (zd || act_.kind != ir::FusedAct::kNone);
    const int64_t items = g.N * g.M, ks = g.kernel_size;
    ThreadPool& pool = ctx.threads();
    const int64_t slots = slots_for(pool, items, 2.0 * static_cast<double>(items * g.out_size * ks));
    const int64_t per = (g.in_size + (zd ? 2 : 1) * g.out_size + 15) / 16 * 16;
    auto* buf = static_cast<float*>(ctx.scratch(static_cast<size_t>(slots * per) * 4 + 64));
    if (!buf) return ctx.error("out of memory for the widened planes");
    for_items(pool, slots, items, [&](int64_t slot, int64_t i) {
      float* xb = buf + slot * per;
      float* yb = xb + g.in_size;
      float* zb = yb + g.out_size;
      const int64_t n = i / g.M, oc = i % g.M, ic = oc / g.Mg;
      widen_16bit(t_, xd + (n * g.C + ic) * g.in_size, xb, g.in_size);
      dw(a, xb, wf + oc * ks, bd ? bd[oc] : 0.0f, yb);
      if (post) {
        fused::Epilogue e;
        e.act = act_;
        if (zd) widen_16bit(t_, zd + i * g.out_size, zb, g.out_size);
        e.z = zd ? zb : nullptr;
        e.ldz = g.out_size;
        fused::apply_epilogue(e, yb, g.out_size, 1, g.out_size);
      }
      narrow_16bit(t_, yb, yd + i * g.out_size, g.out_size);
    });
    return Status::ok();
  }

  Status run_gemm(KernelContext& ctx, const ConvGeom& g, const uint16_t* xd, const float* wp, const float* bd,
                  const uint16_t* zd, uint16_t* yd) const {
    const int64_t OH = g.out[0], row_px = g.out_size / OH;
    const bool wino = !wino_.empty() && wp == packed_.get() && winograd::applies(g) && wino_.M() == g.M &&
                      wino_.C() == g.C && winograd::pick_tile(g) == wino_.tile();
    int64_t bands = std::clamp<int64_t>((g.out_size + kBandPixels - 1) / kBandPixels, 1, OH);
    int64_t rows = (OH + bands - 1) / bands;
    if (wino) rows = std::min(OH, (rows + wino_.tile() - 1) / wino_.tile() * wino_.tile());  // whole tiles
    bands = (OH + rows - 1) / rows;
    const Band full = band_geometry(g, rows);
    const bool pointwise = conv_impl::conv_is_pointwise(full.g);
    const int64_t band_px = full.g.out_size;
    const int64_t per = (g.Cg * full.g.in_size + (zd ? 2 : 1) * g.Mg * band_px + 15) / 16 * 16;
    const int64_t items = g.N * g.G * bands;
    ThreadPool& pool = ctx.threads();
    const int64_t nt = pool.num_threads();
    const double item_macs = static_cast<double>(g.Mg) * static_cast<double>(g.K()) * static_cast<double>(band_px);
    // As in nn_conv.cc: many small items run one per thread with single-threaded GEMMs; few
    // large ones run in turn, each GEMM split over the pool.
    const bool outer = !wino && nt > 1 && (items >= 2 * nt || (items >= nt && item_macs < (1 << 22)));
    const int64_t slots = outer ? slots_for(pool, items, 2.0 * item_macs * static_cast<double>(items)) : 1;
    auto* buf = static_cast<float*>(ctx.scratch(static_cast<size_t>(slots * per) * 4 + 64));
    if (!buf) return ctx.error("out of memory for the widened bands");
    float* wino_scratch = nullptr;
    if (wino) {
      // Every band but the last has full's rows; the last may split over the threads differently.
      const int64_t last_rows = OH - (bands - 1) * rows;
      const int64_t floats = std::max(winograd::scratch_floats(full.g, wino_.tile(), static_cast<int>(nt)),
                                      winograd::scratch_floats(band_geometry(g, last_rows).g, wino_.tile(),
                                                               static_cast<int>(nt)));
      wino_scratch = static_cast<float*>(ctx.scratch(static_cast<size_t>(floats) * 4 + 64));
      if (!wino_scratch) return ctx.error("out of memory for the Winograd buffers");
    }
    for_items(pool, slots, items, [&](int64_t slot, int64_t it) {
      const int64_t band = it % bands, ng = it / bands, n = ng / g.G, gi = ng % g.G;
      const int64_t o0 = band * rows, r = std::min(rows, OH - o0);
      const Band bg = r == rows ? full : band_geometry(g, r);
      const int64_t px = bg.g.out_size;
      float* xb = buf + slot * per;
      float* yb = xb + g.Cg * full.g.in_size;
      float* zb = yb + g.Mg * band_px;
      widen_band(t_, g, bg, xd + (n * g.C + gi * g.Cg) * g.in_size, o0, xb);
      const int64_t yoff = (n * g.M + gi * g.Mg) * g.out_size + o0 * row_px;  // channel 0 of the group, first band pixel
      fused::Epilogue e;
      e.act = act_;
      e.row_bias = bd ? bd + gi * g.Mg : nullptr;
      if (zd) {
        for (int64_t m = 0; m < g.Mg; ++m) widen_16bit(t_, zd + yoff + m * g.out_size, zb + m * px, px);
        e.z = zb;
        e.ldz = px;
      }
      if (wino) {
        winograd::conv(wino_, bg.g, xb, e.row_bias, e.z, act_, yb, wino_scratch, pool);
      } else {
        conv_impl::conv_gemm_item(uk_, bg.g, xb, pointwise, wp + gi * g.Mg * g.K(), yb, e, outer ? nullptr : &pool);
      }
      for (int64_t m = 0; m < g.Mg; ++m) narrow_16bit(t_, yb + m * px, yd + yoff + m * g.out_size, px);
    });
    return Status::ok();
  }

  DType t_;
  std::optional<nn::ConvAttrs> attrs_;
  ir::FusedActivation act_;
  ukernels::SgemmUkernel uk_;
  Tensor w_;                  // constant W (16-bit), kept for its shape; undefined when W is a run-time input
  std::vector<float> w_f32_;  // constant W widened (depthwise reads it, and it is packed below)
  std::vector<float> b_f32_;  // constant B widened
  bool b_const_ = false;
  std::unique_ptr<float, FreeFloats> packed_;
  int64_t packed_G_ = 0, packed_Mg_ = 0, packed_K_ = 0;
  winograd::Weights wino_;  // empty unless W is constant and the conv is 3x3, stride 1, one group
};

Expected<std::unique_ptr<Kernel>> make_half_conv(const KernelInit& init, ir::FusedActivation act) {
  const DType t = key_dtype(init.input_types, init.output_types);
  if (!is_16bit_float(t))
    return not_implemented(init.node.describe() + ": element type " + std::string(dtype_name(t)) +
                           " is not float16 or bfloat16");
  ONNXRT_ASSIGN_OR_RETURN(std::optional<nn::ConvAttrs> attrs, conv_impl::conv_attrs_at_create(init));
  auto k = std::make_unique<HalfConvKernel>(t, attrs, act);
  const Tensor* w = init.constant_inputs.size() > 1 ? init.constant_inputs[1] : nullptr;
  const Tensor* b = init.constant_inputs.size() > 2 ? init.constant_inputs[2] : nullptr;
  k->prepare(w, b, attrs ? attrs->group : 1);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_conv_half(const KernelInit& init) {
  return make_half_conv(init, ir::FusedActivation{});
}

Expected<std::unique_ptr<Kernel>> make_cpu_fused_conv_half(const KernelInit& init) {
  auto act = ir::read_fused_activation(init.node);
  if (!act) return act.status();
  return make_half_conv(init, *act);
}

}  // namespace onnxrt::kernels
