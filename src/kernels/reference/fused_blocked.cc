// Reference kernels of the channel-blocked ops (ir/infer_fused.h): the definitions as loops over
// the blocked index [n, c/8, h, w, c%8], for any group and window, accumulated in double.
#include <string>

#include "ir/attribute.h"
#include "ir/infer_fused.h"
#include "ir/infer_nn_window.h"
#include "kernels/cpu/fused_epilogue.h"
#include "kernels/cpu/nn_common.h"
#include "tensor/sym_shape.h"

namespace onnxrt::kernels {

namespace {

constexpr int64_t kB = ir::kChannelBlock;

bool is_blocked(const Tensor* t) {
  return t && t->dtype() == DType::kFloat32 && t->rank() == 5 && t->dim(4) == kB;
}

template <bool to_blocked>
Status ref_reorder(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const bool ok = to_blocked ? x && x->dtype() == DType::kFloat32 && x->rank() == 4 && x->dim(1) % kB == 0
                             : is_blocked(x);
  if (!ok) return ctx.error("input X " + nn::dtype_and_shape(x) + " has the wrong layout for this op");
  const int64_t N = x->dim(0), C = to_blocked ? x->dim(1) : x->dim(1) * kB, H = x->dim(2), W = x->dim(3);
  const Shape blocked{N, C / kB, H, W, kB}, plain{N, C, H, W};
  Tensor* y = ctx.output(0);
  if (!y || y->dtype() != DType::kFloat32 || y->shape() != (to_blocked ? blocked : plain))
    return ctx.error("output Y is " + nn::dtype_and_shape(y) + ", expected float32" +
                     shape_to_string(to_blocked ? blocked : plain));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < H * W; ++p) {
        const int64_t pi = (n * C + c) * H * W + p, bi = ((n * (C / kB) + c / kB) * H * W + p) * kB + c % kB;
        if (to_blocked)
          y->data<float>()[bi] = x->data<float>()[pi];
        else
          y->data<float>()[pi] = x->data<float>()[bi];
      }
  return Status::ok();
}

Status ref_blocked_conv(KernelContext& ctx) {
  auto act = ir::read_fused_activation(ctx.node());
  if (!act) return act.status();
  const Tensor* x = ctx.input(0);
  const Tensor* w = ctx.input(1);
  ir::AttrReader ar(ctx.node());
  const bool x_nchw = ar.s("x_layout", "blocked") == "NCHW";
  ONNXRT_RETURN_IF_ERROR(ar.status());
  if (x_nchw ? !(x && x->dtype() == DType::kFloat32 && x->rank() == 4) : !is_blocked(x))
    return ctx.error(std::string("input X must be ") + (x_nchw ? "float32 [N, C, H, W]" : "channel-blocked float32") +
                     ", got " + nn::dtype_and_shape(x));
  if (!w || w->dtype() != DType::kFloat32 || w->rank() != 4)
    return ctx.error("input W must be float32 [M, C/group, KH, KW], got " + nn::dtype_and_shape(w));
  auto attrs = nn::read_conv_attrs(ctx.node(), 2, {w->dim(2), w->dim(3)});
  if (!attrs) return attrs.status();
  const int64_t N = x->dim(0), C = x->dim(1) * (x_nchw ? 1 : kB), H = x->dim(2), W = x->dim(3);
  const int64_t M = w->dim(0), Cg = w->dim(1), KH = w->dim(2), KW = w->dim(3), G = attrs->group;
  if (G <= 0 || Cg * G != C || M % G != 0 || M % kB != 0)
    return ctx.error("W " + nn::dtype_and_shape(w) + " and group " + std::to_string(G) + " do not fit X " + nn::dtype_and_shape(x));
  auto dims = ir::window_dims(attrs->w, {H, W});
  if (!dims) return ctx.error(dims.status().message());
  const int64_t OH = (*dims)[0].out, OW = (*dims)[1].out;
  const int64_t ph = (*dims)[0].pad_begin, pw = (*dims)[1].pad_begin;
  const auto& st = attrs->w.strides;
  const auto& dl = attrs->w.dilations;
  const int64_t sh = st.empty() ? 1 : st[0], sw = st.empty() ? 1 : st[1];
  const int64_t dh = dl.empty() ? 1 : dl[0], dw = dl.empty() ? 1 : dl[1];
  const Shape out{N, M / kB, OH, OW, kB};
  Tensor* y = ctx.output(0);
  if (!y || y->dtype() != DType::kFloat32 || y->shape() != out)
    return ctx.error("output Y is " + nn::dtype_and_shape(y) + ", expected float32" + shape_to_string(out));
  const Tensor* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
  const Tensor* z = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
  if (b && (b->dtype() != DType::kFloat32 || b->size() != M)) return ctx.error("bad B " + nn::dtype_and_shape(b));
  if (z && (x_nchw || z->dtype() != DType::kFloat32 || z->shape() != out))
    return ctx.error("bad Z " + nn::dtype_and_shape(z));
  const float* xd = x->data<float>();
  const float* wd = w->data<float>();
  const int64_t Mg = M / G;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = b ? b->data<float>()[m] : 0.0;
          const int64_t g = m / Mg;
          for (int64_t cg = 0; cg < Cg; ++cg) {
            const int64_t c = g * Cg + cg;
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const int64_t xi = x_nchw ? ((n * C + c) * H + ih) * W + iw
                                          : (((n * (C / kB) + c / kB) * H + ih) * W + iw) * kB + c % kB;
                acc += static_cast<double>(xd[xi]) * wd[((m * Cg + cg) * KH + kh) * KW + kw];
              }
          }
          const int64_t yi = (((n * (M / kB) + m / kB) * OH + oh) * OW + ow) * kB + m % kB;
          float v = static_cast<float>(acc);
          if (z) v += z->data<float>()[yi];
          y->data<float>()[yi] = ir::apply_fused_activation(*act, v);
        }
  return Status::ok();
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_blocked_conv(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&ref_blocked_conv, "reference"));
}

Expected<std::unique_ptr<Kernel>> make_ref_to_blocked(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&ref_reorder<true>, "reference"));
}

Expected<std::unique_ptr<Kernel>> make_ref_from_blocked(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&ref_reorder<false>, "reference"));
}

}  // namespace onnxrt::kernels
