// The reference (oracle) kernels of the reduce family, and their table. Written for clarity, not
// speed: every input element is visited in row-major order and folded into its output slot, with
// floating-point values accumulated in double, so the CPU kernels (float32 accumulation, layout
// specialised) are checked against something that shares none of their structure.
#include <cmath>
#include <limits>
#include <memory>

#include "kernels/cpu/reduce_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

using namespace reduce;

template <class T>
using RefAcc = std::conditional_t<kIsFloat<T>, double,
                                  std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;

template <class T>
Status ref_reduce_typed(KernelContext& ctx, ReduceKind kind, const std::vector<bool>& mask) {
  using A = RefAcc<T>;
  const Tensor& x = *ctx.input(0);
  Tensor& y = *ctx.output(0);
  const int64_t r = x.rank();
  // Strides of the output for each input axis (0 for a reduced axis).
  std::vector<int64_t> ostride(static_cast<size_t>(r), 0);
  int64_t s = 1;
  for (int64_t i = r - 1; i >= 0; --i) {
    if (mask[static_cast<size_t>(i)]) continue;
    ostride[static_cast<size_t>(i)] = s;
    s *= x.dim(i);
  }
  const int64_t nout = y.size();
  int64_t count = 1;
  for (int64_t i = 0; i < r; ++i)
    if (mask[static_cast<size_t>(i)]) count *= x.dim(i);

  auto out_index = [&](auto&& visit) {
    std::vector<int64_t> coord(static_cast<size_t>(r), 0);
    for (int64_t i = 0; i < x.size(); ++i) {
      int64_t o = 0;
      for (int64_t d = 0; d < r; ++d) o += coord[static_cast<size_t>(d)] * ostride[static_cast<size_t>(d)];
      visit(i, o);
      for (int64_t d = r - 1; d >= 0; --d) {
        if (++coord[static_cast<size_t>(d)] < x.dim(d)) break;
        coord[static_cast<size_t>(d)] = 0;
      }
    }
  };
  const T* xd = x.data<T>();
  T* yd = y.data<T>();

  const bool extreme = kind == ReduceKind::kMax || kind == ReduceKind::kMin || kind == ReduceKind::kLogSumExp;
  A lowest, highest;
  if constexpr (kIsFloat<T>) {
    lowest = -std::numeric_limits<double>::infinity();
    highest = std::numeric_limits<double>::infinity();
  } else if constexpr (std::is_same_v<T, bool>) {
    lowest = 0;
    highest = 1;
  } else {
    lowest = static_cast<A>(std::numeric_limits<T>::lowest());
    highest = static_cast<A>(std::numeric_limits<T>::max());
  }
  std::vector<A> acc(static_cast<size_t>(nout));
  if (extreme) {
    const bool is_min = kind == ReduceKind::kMin;
    std::fill(acc.begin(), acc.end(), is_min ? highest : lowest);
    out_index([&](int64_t i, int64_t o) {
      const A v = static_cast<A>(widen(xd[i]));
      A& a = acc[static_cast<size_t>(o)];
      if (a != a) return;  // NaN stays
      if (v != v || (is_min ? v < a : v > a)) a = v;
    });
    if (kind != ReduceKind::kLogSumExp) {
      for (int64_t o = 0; o < nout; ++o) yd[o] = narrow<T>(acc[static_cast<size_t>(o)]);
      return Status::ok();
    }
    if constexpr (kIsFloat<T>) {
      // log(sum(exp(x))) = m + log(sum(exp(x - m))): exp cannot overflow.
      std::vector<double> sum(static_cast<size_t>(nout), 0.0);
      out_index([&](int64_t i, int64_t o) {
        const double m = acc[static_cast<size_t>(o)];
        sum[static_cast<size_t>(o)] += std::exp(static_cast<double>(widen(xd[i])) - m);
      });
      for (int64_t o = 0; o < nout; ++o) {
        const double m = acc[static_cast<size_t>(o)];
        yd[o] = narrow<T>(std::isinf(m) || std::isnan(m) ? m : m + std::log(sum[static_cast<size_t>(o)]));
      }
    } else {
      std::vector<double> sum(static_cast<size_t>(nout), 0.0);
      out_index([&](int64_t i, int64_t o) { sum[static_cast<size_t>(o)] += std::exp(static_cast<double>(xd[i])); });
      for (int64_t o = 0; o < nout; ++o) yd[o] = narrow<T>(std::log(sum[static_cast<size_t>(o)]));
    }
    return Status::ok();
  }
  std::fill(acc.begin(), acc.end(), kind == ReduceKind::kProd ? A(1) : A(0));
  out_index([&](int64_t i, int64_t o) {
    const A v = static_cast<A>(widen(xd[i]));
    A& a = acc[static_cast<size_t>(o)];
    switch (kind) {
      case ReduceKind::kProd: a *= v; break;
      case ReduceKind::kL1:
        if constexpr (std::is_signed_v<A>) a += v < 0 ? -v : v;
        else a += v;
        break;
      case ReduceKind::kL2:
      case ReduceKind::kSumSquare: a += v * v; break;
      default: a += v; break;
    }
  });
  for (int64_t o = 0; o < nout; ++o) {
    const A a = acc[static_cast<size_t>(o)];
    switch (kind) {
      case ReduceKind::kMean:
        if constexpr (kIsFloat<T>) yd[o] = narrow<T>(a / static_cast<double>(count));
        else yd[o] = narrow<T>(count > 0 ? a / static_cast<A>(count) : A(0));
        break;
      case ReduceKind::kL2: yd[o] = narrow<T>(std::sqrt(static_cast<double>(a))); break;
      case ReduceKind::kLogSum: yd[o] = narrow<T>(std::log(static_cast<double>(a))); break;
      default: yd[o] = narrow<T>(a); break;
    }
  }
  return Status::ok();
}

class RefReduceKernel final : public Kernel {
 public:
  explicit RefReduceKernel(ReduceAttrs a) : a_(std::move(a)) {}
  const char* variant() const override { return "reference"; }
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || !y) return ctx.error("data and reduced are required");
    ONNXRT_ASSIGN_OR_RETURN(std::vector<bool> mask, reduced_axes(ctx, a_, x->rank()));
    ONNXRT_RETURN_IF_ERROR(check_reduce_output(ctx, x->shape(), mask, a_.keepdims, *y));
    if (y->dtype() != x->dtype()) return ctx.error("reduced must have the type of data");
    const bool bool_ok = a_.kind == ReduceKind::kMax || a_.kind == ReduceKind::kMin;
    return dispatch_numeric(ctx, x->dtype(), bool_ok, [&](auto tag) {
      return ref_reduce_typed<decltype(tag)>(ctx, a_.kind, mask);
    });
  }

 private:
  ReduceAttrs a_;
};

constexpr DType kAny = DType::kUndefined;

const KernelEntry kRefReduce[] = {
    {"", "ReduceSum", 1, kMaxOpset, kAny, &make_ref_reduce},
    {"", "ReduceMean", 1, kMaxOpset, kAny, &make_ref_reduce},
    {"", "ReduceMax", 1, kMaxOpset, kAny, &make_ref_reduce},
    {"", "ReduceMin", 1, kMaxOpset, kAny, &make_ref_reduce},
    {"", "ReduceProd", 1, kMaxOpset, kAny, &make_ref_reduce},
    {"", "ReduceL1", 1, kMaxOpset, kAny, &make_ref_reduce},
    {"", "ReduceL2", 1, kMaxOpset, kAny, &make_ref_reduce},
    {"", "ReduceLogSum", 1, kMaxOpset, kAny, &make_ref_reduce},
    {"", "ReduceLogSumExp", 1, kMaxOpset, kAny, &make_ref_reduce},
    {"", "ReduceSumSquare", 1, kMaxOpset, kAny, &make_ref_reduce},
    {"", "ArgMax", 1, kMaxOpset, kAny, &make_ref_arg_reduce},
    {"", "ArgMin", 1, kMaxOpset, kAny, &make_ref_arg_reduce},
    {"", "TopK", 1, kMaxOpset, kAny, &make_ref_topk},
    {"", "CumSum", 11, kMaxOpset, kAny, &make_ref_cumulative},
    {"", "CumProd", 26, kMaxOpset, kAny, &make_ref_cumulative},
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_reduce(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(ReduceAttrs a, read_reduce_attrs(init));
  return std::unique_ptr<Kernel>(new RefReduceKernel(std::move(a)));
}

std::span<const KernelEntry> reference_reduce_kernels() { return kRefReduce; }

}  // namespace onnxrt::kernels
