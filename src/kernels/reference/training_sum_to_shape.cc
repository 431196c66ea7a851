// com.onnxrt SumToShape(G, X): G summed down to X's shape, undoing numpy broadcasting. The backward
// graphs that passes/lower_gradient.cc builds use it wherever a forward op broadcast an input: the
// gradient of that input is the sum of the output gradient over the broadcast axes. One pass over
// G, accumulating in double.
#include <string>
#include <vector>

#include "kernels/kernel.h"

namespace onnxrt::kernels {

namespace {

class SumToShapeKernel final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    const Tensor* g = ctx.input(0);
    const Tensor* x = ctx.input(1);
    if (!g || !x) return ctx.error("inputs G and X are required");
    if (g->dtype() != DType::kFloat32 && g->dtype() != DType::kFloat64)
      return ctx.error("G must be float or double, got " + std::string(dtype_name(g->dtype())));
    Tensor* out = ctx.output(0);
    const int64_t rg = g->rank(), rx = x->rank();
    if (rx > rg) return ctx.error("X has rank " + std::to_string(rx) + ", more than G's " + std::to_string(rg));
    const int64_t off = rg - rx;
    // in_out[k]: the step in the output for a step along G's axis k (0 where X was broadcast).
    std::vector<int64_t> in_out(static_cast<size_t>(rg), 0);
    int64_t stride = 1;
    for (int64_t i = rx - 1; i >= 0; --i) {
      const int64_t dx = x->dim(i), dg = g->dim(off + i);
      if (dx != 1 && dx != dg)
        return ctx.error("X dim " + std::to_string(i) + " is " + std::to_string(dx) + ", G's is " + std::to_string(dg) +
                         ": X does not broadcast to G");
      if (dx != 1) in_out[static_cast<size_t>(off + i)] = stride;
      stride *= dx;
    }
    if (out->size() != x->size() || out->dtype() != g->dtype()) return ctx.error("output must have X's shape and G's type");
    std::vector<double> acc(static_cast<size_t>(x->size()), 0.0);
    std::vector<int64_t> idx(static_cast<size_t>(rg), 0);
    int64_t o = 0;
    const bool f64 = g->dtype() == DType::kFloat64;
    for (int64_t i = 0; i < g->size(); ++i) {
      acc[static_cast<size_t>(o)] += f64 ? g->data<double>()[i] : g->data<float>()[i];
      // Odometer over G's index, moving `o` along.
      for (int64_t k = rg - 1; k >= 0; --k) {
        const size_t kk = static_cast<size_t>(k);
        o += in_out[kk];
        if (++idx[kk] < g->dim(k)) break;
        o -= in_out[kk] * idx[kk];
        idx[kk] = 0;
      }
    }
    for (int64_t i = 0; i < out->size(); ++i) {
      if (f64) out->data<double>()[i] = acc[static_cast<size_t>(i)];
      else out->data<float>()[i] = static_cast<float>(acc[static_cast<size_t>(i)]);
    }
    return Status::ok();
  }
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_sum_to_shape(const KernelInit&) {
  return std::unique_ptr<Kernel>(new SumToShapeKernel());
}

}  // namespace onnxrt::kernels
