// Binary element-wise kernels: arithmetic, Pow, Mod, PRelu, comparisons, logic, bitwise.
// float32 Add/Sub/Mul/Div run on the vectorized microkernels; the rest use templated loops that
// the compiler vectorizes for the unit-stride cases.
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "ir/attribute.h"
#include "kernels/cpu/elementwise_impl.h"
#include "kernels/reference/elementwise_types.h"
#include "kernels/ukernels/elementwise/ukernels.h"

namespace onnxrt::kernels::ew {

namespace {

enum class Bin {
  kAdd, kSub, kMul, kDiv, kPow, kMod, kPRelu, kBitShift, kBitAnd, kBitOr, kBitXor,
  kAnd, kOr, kXor, kEqual, kLess, kGreater, kLessEq, kGreaterEq,
};

bool parse_bin(const std::string& op, Bin* k) {
  static const std::pair<const char*, Bin> kNames[] = {
      {"Add", Bin::kAdd}, {"Sub", Bin::kSub}, {"Mul", Bin::kMul}, {"Div", Bin::kDiv},
      {"Pow", Bin::kPow}, {"Mod", Bin::kMod}, {"PRelu", Bin::kPRelu},
      {"BitShift", Bin::kBitShift}, {"BitwiseAnd", Bin::kBitAnd}, {"BitwiseOr", Bin::kBitOr},
      {"BitwiseXor", Bin::kBitXor}, {"And", Bin::kAnd}, {"Or", Bin::kOr}, {"Xor", Bin::kXor},
      {"Equal", Bin::kEqual}, {"Less", Bin::kLess}, {"Greater", Bin::kGreater},
      {"LessOrEqual", Bin::kLessEq}, {"GreaterOrEqual", Bin::kGreaterEq}};
  for (const auto& [name, kind] : kNames)
    if (op == name) {
      *k = kind;
      return true;
    }
  return false;
}

bool is_compare(Bin k) { return k >= Bin::kEqual; }

template <typename T>
T int_div(T a, T b) {
  if (b == 0) return 0;  // undefined in the spec; defined so that bad data cannot crash us
  if constexpr (std::is_signed_v<T>) {
    using U = std::make_unsigned_t<T>;
    if (b == -1) return static_cast<T>(U(0) - static_cast<U>(a));  // INT_MIN / -1 wraps
  }
  return static_cast<T>(a / b);
}

template <typename T>
T int_mod(T a, T b, bool fmod) {
  if (b == 0) return 0;
  if constexpr (std::is_signed_v<T>) {
    if (b == -1) return 0;
    T r = static_cast<T>(a % b);
    // fmod=0 is Python's %: the result takes the divisor's sign.
    if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
    return r;
  } else {
    return static_cast<T>(a % b);
  }
}

template <typename C>
C float_mod(C a, C b, bool fmod) {
  const C r = std::fmod(a, b);
  if (!fmod && r != 0 && ((r < 0) != (b < 0))) return r + b;
  return r;
}

class BinaryKernel final : public Kernel {
 public:
  Bin kind;
  bool fmod = false;
  bool left = false;
  // Opset < 7 `broadcast`/`axis`.
  bool legacy = false;
  bool legacy_prelu = false;  // PRelu before opset 7: see run()
  bool has_axis = false;
  int64_t axis = 0;

  const char* variant() const override { return ukernel_isa_name(); }

  Status run(KernelContext& ctx) const override {
    const Tensor& a = *ctx.input(0);
    const Tensor& b = *ctx.input(1);
    Tensor& y = *ctx.output(0);
    Shape bshape = b.shape();
    if (legacy) {
      int64_t ax = has_axis ? axis : a.rank() - b.rank();
      if (ax < 0) ax += a.rank();
      if (ax < 0 || ax + b.rank() > a.rank())
        return ctx.error("broadcast axis " + std::to_string(axis) + " out of range for ranks " +
                         std::to_string(a.rank()) + " and " + std::to_string(b.rank()));
      bshape.assign(static_cast<size_t>(a.rank()), 1);
      for (int64_t d = 0; d < b.rank(); ++d) bshape[static_cast<size_t>(ax + d)] = b.dim(d);
    } else if (legacy_prelu && b.rank() == 1 && a.rank() >= 2 && b.dim(0) == a.dim(1)) {
      // PRelu before opset 7 applied a [C] slope per channel (axis 1), not numpy-style.
      bshape.assign(static_cast<size_t>(a.rank()), 1);
      bshape[1] = b.dim(0);
    }
    if (kind == Bin::kPow) return run_pow(ctx, a, b, bshape, y);
    if (a.dtype() != b.dtype())
      return ctx.error("inputs must have the same element type, got " +
                       std::string(dtype_name(a.dtype())) + " and " +
                       std::string(dtype_name(b.dtype())));
    if (a.dtype() == DType::kFloat32 && kind <= Bin::kDiv) return run_f32(ctx, a, b, bshape, y);
    if (a.dtype() == DType::kString && kind == Bin::kEqual)
      return broadcast_binary(ctx, a.data<std::string>(), a.shape(), b.data<std::string>(), bshape,
                              y.data<bool>(), y.shape(), 4.0,
                              [](const std::string& u, const std::string& v) { return u == v; });
    Status st = not_implemented("");
    visit_numeric(a.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      st = run_typed<T>(ctx, a, b, bshape, y);
    });
    if (st.code() == ErrorCode::kNotImplemented && st.message().empty())
      return ctx.error("element type " + std::string(dtype_name(a.dtype())) + " is not supported");
    return st;
  }

 private:
  Status run_f32(KernelContext& ctx, const Tensor& a, const Tensor& b, const Shape& bshape,
                 Tensor& y) const {
    auto bc = Broadcaster::make({a.shape(), bshape}, y.shape());
    if (!bc.has_value()) return ctx.error(bc.status().message());
    const Broadcaster& B = *bc;
    const BinaryF32Fn fn = binary_f32_ukernel();
    const BinaryOp op = static_cast<BinaryOp>(static_cast<int>(kind));  // kAdd..kDiv line up
    const float* pa = a.data<float>();
    const float* pb = b.data<float>();
    float* py = y.data<float>();
    const int64_t sa = B.inner_stride(0), sb = B.inner_stride(1);
    if (run_repeated_rows(ctx, B, fn, op, pa, pb, py)) return Status::ok();
    if (run_column_rows(ctx, B, fn, op, pa, pb, py)) return Status::ok();
    // Cost 1 per element: memory-bound, so threads only pay off on large tensors.
    parallel_elements(ctx.threads(), B.size(), kind == Bin::kDiv ? 4.0 : 1.0,
                      [&](int64_t begin, int64_t end) {
                        B.for_each_run(begin, end, [&](const int64_t* off, int64_t o, int64_t n) {
                          fn(op, pa + off[0], sa, pb + off[1], sb, py + o, n);
                        });
                      });
    return Status::ok();
  }

  // One input is a column, one value per row, against rows of the other: [.., M, I] against
  // [.., M, 1] (a detection head's class scores times their objectness, x * scale[:, None]).
  // The generic runs are one row each, found by the broadcaster's odometer: ~21 ns a row, more
  // than the row's 80 products. Here the rows of each block go straight to the kernel, the
  // column value as a stride-0 operand. False when the pattern does not apply.
  bool run_column_rows(KernelContext& ctx, const Broadcaster& B, BinaryF32Fn fn, BinaryOp op, const float* pa,
                       const float* pb, float* py) const {
    const std::vector<int64_t>& d = B.dims();
    const size_t r = d.size();
    if (r < 2 || B.size() == 0) return false;
    const int64_t I = d[r - 1], M = d[r - 2];
    int col = -1;
    for (int i = 0; i < 2; ++i) {
      const auto si = B.strides(i), so = B.strides(1 - i);
      if (si[r - 1] == 0 && si[r - 2] == 1 && so[r - 1] == 1 && so[r - 2] == I) col = i;
    }
    if (col < 0 || I < 2 || M < 4) return false;
    const int64_t span = M * I, blocks = B.size() / span;
    const float* base[2] = {pa, pb};
    // Rows of all blocks, in order: row t is block t / M, row t % M.
    parallel_elements(ctx.threads(), blocks * M, static_cast<double>(I), [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1;) {
        const int64_t blk = t / M, m0 = t % M, m1 = std::min(M, m0 + (t1 - t));
        int64_t off[2] = {0, 0};
        B.for_each_run(blk * span, blk * span + 1, [&](const int64_t* o, int64_t, int64_t) {
          off[0] = o[0];
          off[1] = o[1];
        });
        const float* c = base[col] + off[col];
        const float* other = base[1 - col] + off[1 - col];
        float* y = py + blk * span;
        for (int64_t m = m0; m < m1; ++m) {
          if (col == 0)
            fn(op, c + m, 0, other + m * I, 1, y + m * I, I);
          else
            fn(op, other + m * I, 1, c + m, 0, y + m * I, I);
        }
        t += m1 - m0;
      }
    });
    return true;
  }

  // One input repeats a short row along the next dim while the other runs on: [.., M, I] against
  // [.., 1, I] with I <= 64 after merging, as the channel-blocked layout's squeeze-excite gate
  // ([N, C/8, H, W, 8] * [N, C/8, 1, 1, 8]). The runs would be I floats long, one call each (the
  // Mul cost 10x onnxruntime's in an EfficientNet-style model); instead the row is repeated into a
  // buffer of ~512 floats and the kernel runs over M*I spans of the other input. False when the
  // pattern does not apply.
  bool run_repeated_rows(KernelContext& ctx, const Broadcaster& B, BinaryF32Fn fn, BinaryOp op, const float* pa,
                         const float* pb, float* py) const {
    const std::vector<int64_t>& d = B.dims();
    const size_t r = d.size();
    if (r < 2 || d[r - 1] > 64 || B.size() == 0) return false;
    const int64_t I = d[r - 1], M = d[r - 2];
    int rep = -1;
    for (int i = 0; i < 2; ++i) {
      const auto si = B.strides(i), so = B.strides(1 - i);
      if (si[r - 1] == 1 && si[r - 2] == 0 && so[r - 1] == 1 && so[r - 2] == I) rep = i;
    }
    if (rep < 0 || M < 4) return false;
    const int64_t span = M * I, blocks = B.size() / span, copies = std::max<int64_t>(1, 512 / I);
    const float* base[2] = {pa, pb};
    parallel_elements(ctx.threads(), blocks, static_cast<double>(span), [&](int64_t b0, int64_t b1) {
      float row[512 + 64];
      for (int64_t blk = b0; blk < b1; ++blk) {
        int64_t off[2] = {0, 0};
        B.for_each_run(blk * span, blk * span + 1, [&](const int64_t* o, int64_t, int64_t) {
          off[0] = o[0];
          off[1] = o[1];
        });
        const float* v = base[rep] + off[rep];
        for (int64_t c = 0; c < copies; ++c) std::copy(v, v + I, row + c * I);
        const float* other = base[1 - rep] + off[1 - rep];
        float* y = py + blk * span;
        for (int64_t m0 = 0; m0 < M; m0 += copies) {
          const int64_t n = std::min(copies, M - m0) * I;
          if (rep == 0)
            fn(op, row, 1, other + m0 * I, 1, y + m0 * I, n);
          else
            fn(op, other + m0 * I, 1, row, 1, y + m0 * I, n);
        }
      }
    });
    return true;
  }

  template <typename T>
  Status run_typed(KernelContext& ctx, const Tensor& a, const Tensor& b, const Shape& bshape,
                   Tensor& y) const {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    const Shape& as = a.shape();
    const Shape& ys = y.shape();
    if (is_compare(kind)) {
      bool* py = y.data<bool>();
      using C = std::conditional_t<is_half_v<T>, float, T>;
      auto cmp = [&](auto f) {
        return broadcast_binary(ctx, pa, as, pb, bshape, py, ys, 1.0,
                                [f](T u, T v) { return f(load_as<C>(u), load_as<C>(v)); });
      };
      switch (kind) {
        case Bin::kEqual: return cmp([](C u, C v) { return u == v; });
        case Bin::kLess: return cmp([](C u, C v) { return u < v; });
        case Bin::kGreater: return cmp([](C u, C v) { return u > v; });
        case Bin::kLessEq: return cmp([](C u, C v) { return u <= v; });
        case Bin::kGreaterEq: return cmp([](C u, C v) { return u >= v; });
        default: break;
      }
      return not_implemented("");
    }
    T* py = y.data<T>();
    auto go = [&](double cost, auto f) {
      return broadcast_binary(ctx, pa, as, pb, bshape, py, ys, cost, f);
    };
    if constexpr (std::is_same_v<T, bool>) {
      switch (kind) {
        case Bin::kAnd: return go(1.0, [](bool u, bool v) { return u && v; });
        case Bin::kOr: return go(1.0, [](bool u, bool v) { return u || v; });
        case Bin::kXor: return go(1.0, [](bool u, bool v) { return u != v; });
        default: break;
      }
    } else if constexpr (is_floating_v<T>) {
      using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
      auto f = [&](double cost, auto g) {
        return go(cost, [g](T u, T v) { return store_as<T>(g(load_as<C>(u), load_as<C>(v))); });
      };
      const bool fm = fmod;
      switch (kind) {
        case Bin::kAdd: return f(1.0, [](C u, C v) { return u + v; });
        case Bin::kSub: return f(1.0, [](C u, C v) { return u - v; });
        case Bin::kMul: return f(1.0, [](C u, C v) { return u * v; });
        case Bin::kDiv: return f(4.0, [](C u, C v) { return u / v; });
        case Bin::kMod: return f(20.0, [fm](C u, C v) { return float_mod(u, v, fm); });
        case Bin::kPRelu: return f(1.0, [](C u, C v) { return u < 0 ? u * v : u; });
        default: break;
      }
    } else {
      // Through unsigned so that overflow wraps (as onnxruntime does) instead of being UB. Types
      // narrower than int would be promoted to (signed) int, where 65535 * 65535 overflows: those
      // multiply as unsigned int.
      using U = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
      const bool fm = fmod, lf = left;
      switch (kind) {
        case Bin::kAdd: return go(1.0, [](T u, T v) { return static_cast<T>(static_cast<U>(u) + static_cast<U>(v)); });
        case Bin::kSub: return go(1.0, [](T u, T v) { return static_cast<T>(static_cast<U>(u) - static_cast<U>(v)); });
        case Bin::kMul: return go(1.0, [](T u, T v) { return static_cast<T>(static_cast<U>(u) * static_cast<U>(v)); });
        case Bin::kDiv: return go(8.0, [](T u, T v) { return int_div(u, v); });
        case Bin::kMod: return go(8.0, [fm](T u, T v) { return int_mod(u, v, fm); });
        case Bin::kPRelu: return go(1.0, [](T u, T v) { return u < 0 ? static_cast<T>(static_cast<U>(u) * static_cast<U>(v)) : u; });
        case Bin::kBitAnd: return go(1.0, [](T u, T v) { return static_cast<T>(u & v); });
        case Bin::kBitOr: return go(1.0, [](T u, T v) { return static_cast<T>(u | v); });
        case Bin::kBitXor: return go(1.0, [](T u, T v) { return static_cast<T>(u ^ v); });
        case Bin::kBitShift:
          if constexpr (std::is_unsigned_v<T>) {
            return go(1.0, [lf](T u, T v) {
              if (static_cast<uint64_t>(v) >= sizeof(T) * 8) return T(0);
              return lf ? static_cast<T>(static_cast<uint64_t>(u) << v) : static_cast<T>(u >> v);
            });
          } else {
            // Signed types (opset 28): right shifts are arithmetic; a negative or too large
            // shift leaves only the sign fill (-1 for a right shift of a negative u, else 0).
            return go(1.0, [lf](T u, T v) {
              if (v < 0 || static_cast<uint64_t>(v) >= sizeof(T) * 8)
                return (!lf && u < 0) ? T(-1) : T(0);
              if (lf) return static_cast<T>(static_cast<U>(static_cast<U>(u) << v));
              return static_cast<T>(u >> v);  // arithmetic in C++20
            });
          }
          break;
        default: break;
      }
    }
    return not_implemented("");
  }

  // float32 raised to one exponent that a few multiplies give: x^2 in RMSNorm and variance
  // computations, x^3 in the tanh GELU of GPT-2-style models, x^0.5. std::pow per element cost
  // ~8 ns (GPT-2's 12 Pow(x, 3) on [128, 3072] were 14% of its run). x*x and 1/x are exactly
  // std::pow's correctly rounded result; x*x*x and (x*x)*(x*x) round twice (within 1 ulp, as
  // onnxruntime's and PyTorch's own special cases of the same exponents).
  bool run_pow_f32_by_constant(KernelContext& ctx, const Tensor& a, const Tensor& b, Tensor& y) const {
    if (a.dtype() != DType::kFloat32 || b.size() != 1 || y.size() != a.size()) return false;
    double e = 0.0;  // every exponent handled below is exact in each of these types
    if (b.dtype() == DType::kFloat32) e = b.data<float>()[0];
    else if (b.dtype() == DType::kFloat64) e = b.data<double>()[0];
    else if (b.dtype() == DType::kInt64) e = static_cast<double>(b.data<int64_t>()[0]);
    else if (b.dtype() == DType::kInt32) e = b.data<int32_t>()[0];
    else return false;
    const float* x = a.data<float>();
    float* out = y.data<float>();
    auto each = [&](double cost, auto f) {
      parallel_elements(ctx.threads(), a.size(), cost, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) out[i] = f(x[i]);
      });
      return true;
    };
    if (e == 1.0) return each(1.0, [](float v) { return v; });
    if (e == 2.0) return each(1.0, [](float v) { return v * v; });
    if (e == 3.0) return each(1.0, [](float v) { return v * v * v; });
    if (e == 4.0) return each(1.0, [](float v) { const float s = v * v; return s * s; });
    if (e == -1.0) return each(4.0, [](float v) { return 1.0f / v; });
    if (e == 0.5) {
      // pow(-0, 0.5) = +0 and pow(-inf, 0.5) = +inf, where sqrt gives -0 and NaN.
      const UnaryF32Fn sqrt_fn = unary_f32_ukernel();
      parallel_elements(ctx.threads(), a.size(), 4.0, [&](int64_t begin, int64_t end) {
        sqrt_fn(UnaryOp::kSqrt, x + begin, out + begin, end - begin, UnaryParams{});
        for (int64_t i = begin; i < end; ++i)
          out[i] = x[i] == -std::numeric_limits<float>::infinity() ? -x[i] : out[i] + 0.0f;
      });
      return true;
    }
    return false;
  }

  Status run_pow(KernelContext& ctx, const Tensor& a, const Tensor& b, const Shape& bshape,
                 Tensor& y) const {
    if (run_pow_f32_by_constant(ctx, a, b, y)) return Status::ok();
    Status st = ctx.error("Pow of " + std::string(dtype_name(a.dtype())) + " by " +
                          std::string(dtype_name(b.dtype())) + " is not supported");
    visit_numeric(a.dtype(), [&](auto ta) {
      using T = typename decltype(ta)::type;
      visit_numeric(b.dtype(), [&](auto tb) {
        using E = typename decltype(tb)::type;
        if constexpr (!std::is_same_v<T, bool> && !std::is_same_v<E, bool>) {
          using C = std::conditional_t<std::is_same_v<T, float> || is_half_v<T>, float, double>;
          st = broadcast_binary(ctx, a.data<T>(), a.shape(), b.data<E>(), bshape, y.data<T>(),
                                y.shape(), 20.0, [](T u, E v) {
                                  const C r = std::pow(load_as<C>(u), load_as<C>(v));
                                  if constexpr (is_floating_v<T>) return store_as<T>(r);
                                  else return float_to_int<T>(r);
                                });
        }
      });
    });
    return st;
  }
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_binary(const KernelInit& init) {
  auto k = std::make_unique<BinaryKernel>();
  if (!parse_bin(init.node.op_type, &k->kind)) return init.error("not a binary element-wise op");
  if (init.input_types.size() != 2 || !init.input_types[0] || !init.input_types[1])
    return init.error("expected 2 inputs, got " + std::to_string(init.input_types.size()));
  ir::AttrReader attrs(init.node);
  k->fmod = attrs.i("fmod", 0) != 0;
  if (k->kind == Bin::kBitShift) {
    const std::string dir = attrs.s("direction", "");
    if (dir != "LEFT" && dir != "RIGHT")
      return init.error("attribute 'direction' must be LEFT or RIGHT, got '" + dir + "'");
    k->left = dir == "LEFT";
  }
  k->legacy_prelu = init.node.opset < 7 && k->kind == Bin::kPRelu;
  if (init.node.opset < 7 && k->kind != Bin::kPRelu) {
    k->legacy = attrs.i("broadcast", 0) != 0;
    k->has_axis = attrs.has("axis");
    k->axis = attrs.i("axis", 0);
  }
  ONNXRT_RETURN_IF_ERROR(attrs.status());
  const DType t = init.input_types[0]->dtype;
  bool supported = false;
  visit_numeric(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const Bin kd = k->kind;
    if constexpr (std::is_same_v<T, bool>) {
      supported = kd == Bin::kAnd || kd == Bin::kOr || kd == Bin::kXor || kd == Bin::kEqual;
    } else if constexpr (is_floating_v<T>) {
      supported = kd <= Bin::kPRelu || is_compare(kd);
    } else {
      // Signed BitShift arrived in opset 28.
      supported = (kd != Bin::kAnd && kd != Bin::kOr && kd != Bin::kXor) &&
                  (kd != Bin::kBitShift || std::is_unsigned_v<T> || init.node.opset >= 28);
    }
  });
  if (t == DType::kString && k->kind == Bin::kEqual) supported = true;  // Equal on strings (opset 19+)
  if (!supported)
    return not_implemented(init.node.describe() + ": no CPU kernel for element type " +
                           std::string(dtype_name(t)));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace onnxrt::kernels::ew
