// Variadic Min/Max/Sum/Mean, Where and Clip on the CPU (Cast lives in elementwise_cast.cc).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "base/saturate.h"
#include "ir/attribute.h"
#include "kernels/cpu/elementwise_impl.h"
#include "kernels/reference/elementwise_types.h"
#include "kernels/ukernels/elementwise/ukernels.h"

namespace onnxrt::kernels::ew {

namespace {

std::string type_name(DType t) { return std::string(dtype_name(t)); }

// ---- Min / Max / Sum / Mean: folded pairwise into the output, which has the broadcast shape.
class VariadicKernel final : public Kernel {
 public:
  enum Kind { kMin, kMax, kSum, kMean } kind = kSum;

  Status run(KernelContext& ctx) const override {
    Tensor& y = *ctx.output(0);
    for (size_t i = 0; i < ctx.num_inputs(); ++i)
      if (!ctx.input(i) || ctx.input(i)->dtype() != y.dtype())
        return ctx.error("input " + std::to_string(i) + " must be " + type_name(y.dtype()));
    Status st = ctx.error("element type " + type_name(y.dtype()) + " is not supported");
    visit_numeric(y.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (!std::is_same_v<T, bool>) st = run_typed<T>(ctx, y);
    });
    return st;
  }

 private:
  template <typename T>
  Status run_typed(KernelContext& ctx, Tensor& y) const {
    using C = std::conditional_t<std::is_same_v<T, double>, double,
                                 std::conditional_t<is_floating_v<T>, float, T>>;
    const Kind k = kind;
    auto f = [k](T u, T v) -> T {
      const C a = load_as<C>(u), b = load_as<C>(v);
      if constexpr (is_floating_v<T>) {
        if (k != kSum && k != kMean && (std::isnan(a) || std::isnan(b))) return store_as<T>(a + b);
      }
      if (k == kMin) return store_as<T>(std::min(a, b));
      if (k == kMax) return store_as<T>(std::max(a, b));
      if constexpr (std::is_integral_v<C>) {
        using U = std::make_unsigned_t<C>;
        return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
      } else {
        return store_as<T>(a + b);
      }
    };
    const Tensor& x0 = *ctx.input(0);
    T* py = y.data<T>();
    const size_t n = ctx.num_inputs();
    if (n == 1) {
      // Broadcast the one input into the output (the shapes are equal after inference).
      ONNXRT_RETURN_IF_ERROR(broadcast_binary(ctx, x0.data<T>(), x0.shape(), x0.data<T>(),
                                              x0.shape(), py, y.shape(), 1.0,
                                              [](T u, T) { return u; }));
    } else {
      const Tensor& x1 = *ctx.input(1);
      ONNXRT_RETURN_IF_ERROR(broadcast_binary(ctx, x0.data<T>(), x0.shape(), x1.data<T>(),
                                              x1.shape(), py, y.shape(), 1.0, f));
    }
    for (size_t i = 2; i < n; ++i) {
      const Tensor& xi = *ctx.input(i);
      ONNXRT_RETURN_IF_ERROR(
          broadcast_binary(ctx, static_cast<const T*>(py), y.shape(), xi.data<T>(), xi.shape(), py,
                           y.shape(), 1.0, f));
    }
    if (kind == kMean) {
      if constexpr (std::is_integral_v<C>) {
        const C d = static_cast<C>(n);
        for (int64_t i = 0; i < y.size(); ++i) py[i] = static_cast<T>(py[i] / d);
      } else {
        const C d = static_cast<C>(n);
        parallel_elements(ctx.threads(), y.size(), 1.0, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) py[i] = store_as<T>(load_as<C>(py[i]) / d);
        });
      }
    }
    return Status::ok();
  }
};

// ---- Where: moves elements by size, so one instantiation per element width serves all types.

template <typename W>
Status where_typed(KernelContext& ctx, const Tensor& c, const Tensor& a, const Tensor& b, Tensor& y) {
  auto bc = Broadcaster::make({c.shape(), a.shape(), b.shape()}, y.shape());
  if (!bc.has_value()) return ctx.error(bc.status().message());
  const Broadcaster& B = *bc;
  const bool* pc = c.data<bool>();
  const W* pa = static_cast<const W*>(a.raw());
  const W* pb = static_cast<const W*>(b.raw());
  W* py = static_cast<W*>(y.raw());
  const int64_t sc = B.inner_stride(0), sa = B.inner_stride(1), sb = B.inner_stride(2);
  parallel_elements(ctx.threads(), B.size(), 1.0, [&](int64_t begin, int64_t end) {
    B.for_each_run(begin, end, [&](const int64_t* off, int64_t o, int64_t n) {
      const bool* rc = pc + off[0];
      const W* ra = pa + off[1];
      const W* rb = pb + off[2];
      W* ry = py + o;
      // 32-bit elements with a contiguous condition (attention masks): the vector select. With
      // run-time strides in this loop, an attention mask's Where over [1, 12, 128, 128] took
      // 0.26 ms (0.77 with three full tensors) against onnxruntime's 0.08 (0.10).
      if constexpr (sizeof(W) == 4 && std::is_unsigned_v<W>) {
        static const ew::Select32Fn select = ew::select32_ukernel();
        if (sc == 1 && sa <= 1 && sb <= 1) return select(rc, ra, sa, rb, sb, ry, n);
      }
      for (int64_t i = 0; i < n; ++i) ry[i] = rc[i * sc] ? ra[i * sa] : rb[i * sb];
    });
  });
  return Status::ok();
}

Status where_run(KernelContext& ctx) {
  const Tensor& c = *ctx.input(0);
  const Tensor& a = *ctx.input(1);
  const Tensor& b = *ctx.input(2);
  Tensor& y = *ctx.output(0);
  if (c.dtype() != DType::kBool) return ctx.error("condition must be bool, got " + type_name(c.dtype()));
  if (a.dtype() != y.dtype() || b.dtype() != y.dtype())
    return ctx.error("X and Y must both be " + type_name(y.dtype()) + ", got " +
                     type_name(a.dtype()) + " and " + type_name(b.dtype()));
  if (y.dtype() == DType::kString) return where_typed<std::string>(ctx, c, a, b, y);
  switch (dtype_bits(y.dtype())) {
    case 8: return where_typed<uint8_t>(ctx, c, a, b, y);
    case 16: return where_typed<uint16_t>(ctx, c, a, b, y);
    case 32: return where_typed<uint32_t>(ctx, c, a, b, y);
    case 64: return where_typed<uint64_t>(ctx, c, a, b, y);
    default: break;
  }
  return not_implemented(ctx.node().describe() + ": Where on " + type_name(y.dtype()) +
                         " is not implemented");
}

// ---- Clip
class ClipKernel final : public Kernel {
 public:
  bool from_attrs = false;
  float amin = 0, amax = 0;

  const char* variant() const override { return ukernel_isa_name(); }

  Status run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.input(0);
    Tensor& y = *ctx.output(0);
    for (size_t i = 1; i < 3; ++i) {
      const Tensor* t = i < ctx.num_inputs() ? ctx.input(i) : nullptr;
      if (t && (t->size() != 1 || t->dtype() != x.dtype()))
        return ctx.error("input " + std::to_string(i) + " must be a single " + type_name(x.dtype()) +
                         ", got " + std::to_string(t->size()) + " " + type_name(t->dtype()));
    }
    Status st = ctx.error("element type " + type_name(x.dtype()) + " is not supported");
    visit_numeric(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (!std::is_same_v<T, bool>) {
        using C = std::conditional_t<std::is_same_v<T, double>, double,
                                     std::conditional_t<is_floating_v<T>, float, T>>;
        // The attributes (opset < 11) are floats, by default +-FLT_MAX: outside an integer
        // element type's range, where they bound nothing.
        const auto from_attr = [](float v) {
          if constexpr (std::is_integral_v<C>) return saturate_to_int<C>(v);
          else return static_cast<C>(v);
        };
        C lo = from_attrs ? from_attr(amin) : std::numeric_limits<C>::lowest();
        C hi = from_attrs ? from_attr(amax) : std::numeric_limits<C>::max();
        if (!from_attrs) {
          if (ctx.num_inputs() > 1 && ctx.input(1)) lo = load_as<C>(ctx.input(1)->data<T>()[0]);
          if (ctx.num_inputs() > 2 && ctx.input(2)) hi = load_as<C>(ctx.input(2)->data<T>()[0]);
        }
        const T* px = x.data<T>();
        T* py = y.data<T>();
        if constexpr (std::is_same_v<T, float>) {
          const UnaryF32Fn fn = unary_f32_ukernel();
          UnaryParams p;
          p.alpha = lo;
          p.beta = hi;
          parallel_elements(ctx.threads(), x.size(), 1.0, [&](int64_t b, int64_t e) {
            fn(UnaryOp::kClip, px + b, py + b, e - b, p);
          });
        } else {
          parallel_elements(ctx.threads(), x.size(), 1.0, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
              C v = load_as<C>(px[i]);
              if (v < lo) v = lo;
              if (v > hi) v = hi;
              py[i] = store_as<T>(v);
            }
          });
        }
        st = Status::ok();
      }
    });
    return st;
  }
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_variadic(const KernelInit& init) {
  auto k = std::make_unique<VariadicKernel>();
  const std::string& op = init.node.op_type;
  k->kind = op == "Min" ? VariadicKernel::kMin
            : op == "Max" ? VariadicKernel::kMax
            : op == "Mean" ? VariadicKernel::kMean
                           : VariadicKernel::kSum;
  if (init.input_types.empty()) return init.error("expected at least 1 input, got 0");
  for (size_t i = 0; i < init.input_types.size(); ++i)
    if (!init.input_types[i]) return init.error("input " + std::to_string(i) + " is missing");
  const DType t = init.input_types[0]->dtype;
  if (t == DType::kBool || !visit_numeric(t, [](auto) {}))
    return not_implemented(init.node.describe() + ": no CPU kernel for element type " + type_name(t));
  return std::unique_ptr<Kernel>(std::move(k));
}

Expected<std::unique_ptr<Kernel>> make_where(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&where_run, "default"));
}

Expected<std::unique_ptr<Kernel>> make_clip(const KernelInit& init) {
  auto k = std::make_unique<ClipKernel>();
  if (init.node.opset < 11) {
    ir::AttrReader at(init.node);
    k->from_attrs = true;
    k->amin = at.f("min", -std::numeric_limits<float>::max());
    k->amax = at.f("max", std::numeric_limits<float>::max());
    ONNXRT_RETURN_IF_ERROR(at.status());
  }
  if (init.input_types.empty() || !init.input_types[0]) return init.error("missing input 0");
  const DType t = init.input_types[0]->dtype;
  if (t == DType::kBool || !visit_numeric(t, [](auto) {}))
    return not_implemented(init.node.describe() + ": no CPU kernel for element type " + type_name(t));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace onnxrt::kernels::ew
