// Reference kernels for ArgMax/ArgMin, TopK, CumSum and CumProd: one straightforward loop per
// output line, floating-point values compared and accumulated in double.
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include "ir/attribute.h"
#include "kernels/cpu/reduce_common.h"

namespace onnxrt::kernels {

namespace {

using namespace reduce;


// ---- ArgMax / ArgMin

class RefArgKernel final : public Kernel {
 public:
  RefArgKernel(bool is_max, int64_t axis, bool keepdims, bool last)
      : is_max_(is_max), axis_(axis), keepdims_(keepdims), last_(last) {}
  const char* variant() const override { return "reference"; }
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || !y || y->dtype() != DType::kInt64) return ctx.error("expects data and an int64 output");
    ONNXRT_ASSIGN_OR_RETURN(int64_t axis, axis_for_rank(ctx, axis_, x->rank()));
    const AxisSplit sp = split_at_axis(x->shape(), axis);
    if (y->size() != sp.outer * sp.inner) return ctx.error("output size does not match");
    if (sp.n == 0 && y->size() > 0) return ctx.error("cannot take ArgMax/ArgMin over an empty axis");
    return dispatch_numeric(ctx, x->dtype(), true, [&](auto tag) -> Status {
      using T = decltype(tag);
      const T* xd = x->data<T>();
      int64_t* yd = y->data<int64_t>();
      for (int64_t o = 0; o < sp.outer; ++o)
        for (int64_t in = 0; in < sp.inner; ++in) {
          // NaN counts as the extreme (numpy's argmax/argmin return the first NaN).
          int64_t best = 0;
          auto bv = widen(xd[o * sp.n * sp.inner + in]);
          for (int64_t k = 1; k < sp.n; ++k) {
            const auto v = widen(xd[(o * sp.n + k) * sp.inner + in]);
            bool take;
            if (bv != bv) take = last_ && v != v;
            else if (v != v) take = true;
            else take = is_max_ ? (v > bv || (last_ && v == bv)) : (v < bv || (last_ && v == bv));
            if (take) {
              best = k;
              bv = v;
            }
          }
          yd[o * sp.inner + in] = best;
        }
      return Status::ok();
    });
  }

 private:
  bool is_max_;
  int64_t axis_;
  bool keepdims_;
  bool last_;
};

// ---- TopK

class RefTopKKernel final : public Kernel {
 public:
  RefTopKKernel(int64_t axis, bool largest, int64_t attr_k) : axis_(axis), largest_(largest), attr_k_(attr_k) {}
  const char* variant() const override { return "reference"; }
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* vals = ctx.output(0);
    Tensor* idx = ctx.output(1);
    if (!x || !vals || !idx) return ctx.error("expects X, Values and Indices");
    ONNXRT_ASSIGN_OR_RETURN(int64_t axis, axis_for_rank(ctx, axis_, x->rank()));
    ONNXRT_ASSIGN_OR_RETURN(int64_t k, read_k(ctx, ctx.node().opset, attr_k_));
    const AxisSplit sp = split_at_axis(x->shape(), axis);
    if (k < 0 || k > sp.n) return ctx.error("k " + std::to_string(k) + " out of range for axis of size " + std::to_string(sp.n));
    if (vals->size() != sp.outer * k * sp.inner || idx->size() != vals->size() || vals->dtype() != x->dtype())
      return ctx.error("outputs do not match k");
    return dispatch_numeric(ctx, x->dtype(), false, [&](auto tag) -> Status {
      using T = decltype(tag);
      const T* xd = x->data<T>();
      std::vector<int64_t> order(static_cast<size_t>(sp.n));
      for (int64_t o = 0; o < sp.outer; ++o)
        for (int64_t in = 0; in < sp.inner; ++in) {
          auto at = [&](int64_t j) { return widen(xd[(o * sp.n + j) * sp.inner + in]); };
          std::iota(order.begin(), order.end(), 0);
          // NaN ranks above every number (numpy sorts it last); ties keep the lower index first.
          std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
            const auto va = at(a), vb = at(b);
            const bool na = va != va, nb = vb != vb;
            if (na || nb) return largest_ ? (na && !nb) : (!na && nb);
            return largest_ ? va > vb : va < vb;
          });
          for (int64_t j = 0; j < k; ++j) {
            const int64_t src = order[static_cast<size_t>(j)];
            vals->data<T>()[(o * k + j) * sp.inner + in] = xd[(o * sp.n + src) * sp.inner + in];
            idx->data<int64_t>()[(o * k + j) * sp.inner + in] = src;
          }
        }
      return Status::ok();
    });
  }

 private:
  int64_t axis_;
  bool largest_;
  int64_t attr_k_;
};

// ---- CumSum / CumProd

class RefCumKernel final : public Kernel {
 public:
  RefCumKernel(bool prod, bool exclusive, bool reverse) : prod_(prod), exclusive_(exclusive), reverse_(reverse) {}
  const char* variant() const override { return "reference"; }
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || !y || y->shape() != x->shape() || y->dtype() != x->dtype())
      return ctx.error("output must have the shape and type of x");
    ONNXRT_ASSIGN_OR_RETURN(int64_t ax, read_axis_input(ctx, 1));
    ONNXRT_ASSIGN_OR_RETURN(int64_t axis, axis_for_rank(ctx, ax, x->rank()));
    const AxisSplit sp = split_at_axis(x->shape(), axis);
    return dispatch_numeric(ctx, x->dtype(), false, [&](auto tag) -> Status {
      using T = decltype(tag);
      using A = std::conditional_t<kIsFloat<T>, double, std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;
      const T* xd = x->data<T>();
      T* yd = y->data<T>();
      for (int64_t o = 0; o < sp.outer; ++o)
        for (int64_t in = 0; in < sp.inner; ++in) {
          A acc = prod_ ? A(1) : A(0);
          for (int64_t s = 0; s < sp.n; ++s) {
            const int64_t j = reverse_ ? sp.n - 1 - s : s;
            const int64_t off = (o * sp.n + j) * sp.inner + in;
            const A v = static_cast<A>(widen(xd[off]));
            if (!exclusive_) acc = prod_ ? acc * v : acc + v;
            yd[off] = narrow<T>(acc);
            if (exclusive_) acc = prod_ ? acc * v : acc + v;
          }
        }
      return Status::ok();
    });
  }

 private:
  bool prod_, exclusive_, reverse_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_arg_reduce(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const int64_t axis = a.i("axis", 0);
  const bool keep = a.i("keepdims", 1) != 0;
  const bool last = a.i("select_last_index", 0) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new RefArgKernel(init.node.op_type == "ArgMax", axis, keep, last));
}

Expected<std::unique_ptr<Kernel>> make_ref_topk(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const int64_t axis = a.i("axis", -1);
  const bool largest = a.i("largest", 1) != 0;
  const int64_t k = a.i("k", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new RefTopKKernel(axis, largest, k));
}

Expected<std::unique_ptr<Kernel>> make_ref_cumulative(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const bool exclusive = a.i("exclusive", 0) != 0;
  const bool reverse = a.i("reverse", 0) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new RefCumKernel(init.node.op_type == "CumProd", exclusive, reverse));
}

}  // namespace onnxrt::kernels
