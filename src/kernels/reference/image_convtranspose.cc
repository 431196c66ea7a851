// Reference ConvTranspose: the definition as a direct scatter. Every input pixel x[n, c, i]
// adds x * w[c, m, k] to y[n, g*Mg + m, i*stride + k*dilation - pad_begin] when that lands inside
// the output. Accumulates in double; any float dtype.
#include <vector>

#include "ir/infer_image.h"
#include "kernels/cpu/image_common.h"

namespace onnxrt::kernels {

namespace {

using image::load;
using image::store;

template <typename T>
Status convtranspose_ref(KernelContext& ctx, const ir::ConvTransposeGeom& g, const Tensor& x,
                         const Tensor& w, const Tensor* b, Tensor& y) {
  const T* xd = x.data<T>();
  const T* wd = w.data<T>();
  const size_t nd = g.in.size();
  std::vector<double> acc(static_cast<size_t>(g.N * g.M * g.out_size), 0.0);
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t m = 0; m < g.M; ++m)
      for (int64_t o = 0; o < g.out_size; ++o)
        acc[static_cast<size_t>((n * g.M + m) * g.out_size + o)] = b ? load(b->data<T>()[m]) : 0.0;
  std::vector<int64_t> ii(nd), kk(nd);
  for (int64_t n = 0; n < g.N; ++n) {
    for (int64_t c = 0; c < g.C; ++c) {
      const int64_t grp = c / g.Cg;
      for (int64_t i = 0; i < g.in_size; ++i) {
        int64_t r = i;
        for (size_t d = nd; d-- > 0;) {
          ii[d] = r % g.in[d];
          r /= g.in[d];
        }
        const double xv = load(xd[(n * g.C + c) * g.in_size + i]);
        for (int64_t k = 0; k < g.kernel_size; ++k) {
          int64_t rk = k;
          for (size_t d = nd; d-- > 0;) {
            kk[d] = rk % g.kernel[d];
            rk /= g.kernel[d];
          }
          int64_t off = 0;
          bool inside = true;
          for (size_t d = 0; d < nd; ++d) {
            const int64_t o = ii[d] * g.stride[d] + kk[d] * g.dil[d] - g.pad_begin[d];
            if (o < 0 || o >= g.out[d]) {
              inside = false;
              break;
            }
            off = off * g.out[d] + o;
          }
          if (!inside) continue;
          for (int64_t m = 0; m < g.Mg; ++m) {
            const double wv = load(wd[(c * g.Mg + m) * g.kernel_size + k]);
            acc[static_cast<size_t>((n * g.M + grp * g.Mg + m) * g.out_size + off)] += xv * wv;
          }
        }
      }
    }
  }
  T* yd = y.data<T>();
  for (size_t i = 0; i < acc.size(); ++i) yd[i] = store<T>(acc[i]);
  (void)ctx;
  return Status::ok();
}

Status run_convtranspose_ref(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* w = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
  const Tensor* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
  Tensor* y = ctx.output(0);
  if (!x || !w || !y) return ctx.error("needs X, W and output Y");
  if (w->dtype() != x->dtype() || (b && b->dtype() != x->dtype()) || y->dtype() != x->dtype())
    return ctx.error("X, W, B and Y must share one float type");
  auto g = ir::convtranspose_geometry(ctx.node(), x->shape(), w->shape());
  if (!g) return ctx.error(g.status().message());
  Shape expect{g->N, g->M};
  expect.insert(expect.end(), g->out.begin(), g->out.end());
  if (y->shape() != expect)
    return ctx.error("output Y has shape " + shape_to_string(y->shape()) + ", expected " +
                     shape_to_string(expect));
  if (b && b->size() != g->M)
    return ctx.error("B has " + std::to_string(b->size()) + " values, expected " + std::to_string(g->M));
  Status st;
  if (!image::dispatch_float(x->dtype(), [&](auto t) {
        st = convtranspose_ref<decltype(t)>(ctx, *g, *x, *w, b, *y);
      }))
    return not_implemented(ctx.node().describe() + ": no ConvTranspose kernel for " +
                           std::string(dtype_name(x->dtype())));
  return st;
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_convtranspose(const KernelInit& init) {
  (void)init;
  return std::unique_ptr<Kernel>(new FunctionKernel(&run_convtranspose_ref, "reference"));
}

}  // namespace onnxrt::kernels
