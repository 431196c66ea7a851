// Unary element-wise kernels. float32 ops with a vectorized form (Relu, Sigmoid, Tanh, Exp, Erf,
// Gelu, ...) run on the microkernels; the rest use std:: math in the element's precision
// (float for float32/float16/bfloat16, double for double).
#include <cmath>
#include <functional>
#include <string>
#include <type_traits>

#include "ir/attribute.h"
#include "kernels/cpu/elementwise_impl.h"
#include "kernels/reference/elementwise_types.h"
#include "kernels/ukernels/elementwise/ukernels.h"

namespace onnxrt::kernels::ew {

namespace {

struct Params {
  float alpha = 0, beta = 0, gamma = 0;
  bool tanh_approx = false;
  bool detect_pos = true, detect_neg = true;
};

template <typename C>
bool float_op(const std::string& op, const Params& p, std::function<C(C)>* out) {
  const C a = static_cast<C>(p.alpha), b = static_cast<C>(p.beta), g = static_cast<C>(p.gamma);
  std::function<C(C)> f;
  if (op == "Relu") f = [](C x) { return x < 0 ? C(0) : x; };
  else if (op == "Sigmoid") f = [](C x) { return C(1) / (C(1) + std::exp(-x)); };
  else if (op == "Tanh") f = [](C x) { return std::tanh(x); };
  else if (op == "Erf") f = [](C x) { return std::erf(x); };
  else if (op == "Exp") f = [](C x) { return std::exp(x); };
  else if (op == "Log") f = [](C x) { return std::log(x); };
  else if (op == "Sqrt") f = [](C x) { return std::sqrt(x); };
  else if (op == "Neg") f = [](C x) { return -x; };
  else if (op == "Abs") f = [](C x) { return std::fabs(x); };
  else if (op == "Gelu" && p.tanh_approx)
    f = [](C x) { return C(0.5) * x * (C(1) + std::tanh(C(0.7978845608028654) * (x + C(0.044715) * x * x * x))); };
  else if (op == "Gelu") f = [](C x) { return C(0.5) * x * std::erfc(-x * C(0.70710678118654752)); };
  else if (op == "LeakyRelu") f = [a](C x) { return x < 0 ? a * x : x; };
  else if (op == "Elu") f = [a](C x) { return x < 0 ? a * std::expm1(x) : x; };
  else if (op == "Selu") f = [a, g](C x) { return x <= 0 ? g * a * std::expm1(x) : g * x; };
  else if (op == "Celu") f = [a](C x) { return x > 0 ? x : a * std::expm1(x / a); };
  else if (op == "HardSigmoid") f = [a, b](C x) { return std::fmax(C(0), std::fmin(C(1), a * x + b)); };
  else if (op == "HardSwish") f = [](C x) { return x * std::fmax(C(0), std::fmin(C(1), x / C(6) + C(0.5))); };
  // log1p(exp(x)) overflows for large x although the result is just x.
  else if (op == "Softplus") f = [](C x) { return x > C(20) ? x : std::log1p(std::exp(x)); };
  else if (op == "Softsign") f = [](C x) { return x / (C(1) + std::fabs(x)); };
  else if (op == "Mish") f = [](C x) { return x * std::tanh(x > C(20) ? x : std::log1p(std::exp(x))); };
  else if (op == "ThresholdedRelu") f = [a](C x) { return x > a ? x : C(0); };
  else if (op == "Floor") f = [](C x) { return std::floor(x); };
  else if (op == "Ceil") f = [](C x) { return std::ceil(x); };
  else if (op == "Round") f = [](C x) { return std::nearbyint(x); };  // half to even (default mode)
  else if (op == "Reciprocal") f = [](C x) { return C(1) / x; };
  else if (op == "Sign") f = [](C x) { return x > 0 ? C(1) : x < 0 ? C(-1) : x; };
  else if (op == "Sin") f = [](C x) { return std::sin(x); };
  else if (op == "Cos") f = [](C x) { return std::cos(x); };
  else if (op == "Tan") f = [](C x) { return std::tan(x); };
  else if (op == "Asin") f = [](C x) { return std::asin(x); };
  else if (op == "Acos") f = [](C x) { return std::acos(x); };
  else if (op == "Atan") f = [](C x) { return std::atan(x); };
  else if (op == "Sinh") f = [](C x) { return std::sinh(x); };
  else if (op == "Cosh") f = [](C x) { return std::cosh(x); };
  else if (op == "Asinh") f = [](C x) { return std::asinh(x); };
  else if (op == "Acosh") f = [](C x) { return std::acosh(x); };
  else if (op == "Atanh") f = [](C x) { return std::atanh(x); };
  else if (op == "Swish") f = [a](C x) { return x * (C(1) / (C(1) + std::exp(-a * x))); };
  // Shrink: beta holds `lambd`, gamma holds `bias` (see make_unary).
  else if (op == "Shrink") f = [b, g](C x) { return x < -b ? x + g : x > b ? x - g : C(0); };
  else return false;
  *out = std::move(f);
  return true;
}

bool vector_op(const std::string& op, const Params& p, UnaryOp* u, UnaryParams* up) {
  up->alpha = p.alpha;
  up->beta = p.beta;
  if (op == "Relu") *u = UnaryOp::kRelu;
  else if (op == "Neg") *u = UnaryOp::kNeg;
  else if (op == "Abs") *u = UnaryOp::kAbs;
  else if (op == "Sqrt") *u = UnaryOp::kSqrt;
  else if (op == "Exp") *u = UnaryOp::kExp;
  else if (op == "Sigmoid") *u = UnaryOp::kSigmoid;
  else if (op == "Tanh") *u = UnaryOp::kTanh;
  else if (op == "Erf") *u = UnaryOp::kErf;
  else if (op == "Gelu") *u = p.tanh_approx ? UnaryOp::kGeluTanh : UnaryOp::kGelu;
  else if (op == "LeakyRelu") *u = UnaryOp::kLeakyRelu;
  else if (op == "HardSigmoid") *u = UnaryOp::kHardSigmoid;
  else if (op == "Swish") *u = UnaryOp::kSilu;
  else if (op == "Softplus") *u = UnaryOp::kSoftplus;
  else if (op == "Mish") *u = UnaryOp::kMish;
  else if (op == "HardSwish") *u = UnaryOp::kHardSwish;
  else if (op == "Reciprocal") *u = UnaryOp::kReciprocal;
  else if (op == "Floor") *u = UnaryOp::kFloor;
  else if (op == "Ceil") *u = UnaryOp::kCeil;
  else if (op == "Round") *u = UnaryOp::kRound;
  else if (op == "Sign") *u = UnaryOp::kSign;
  else if (op == "Softsign") *u = UnaryOp::kSoftsign;
  else if (op == "ThresholdedRelu") *u = UnaryOp::kThresholdedRelu;
  else if (op == "Log") *u = UnaryOp::kLog;
  else if (op == "Elu") *u = UnaryOp::kElu;
  else return false;
  return true;
}

class UnaryKernel final : public Kernel {
 public:
  std::string op;
  Params p;
  DType dtype = DType::kUndefined;
  bool vec = false;
  UnaryOp vop = UnaryOp::kRelu;
  UnaryParams vparams;
  std::function<float(float)> ff;
  std::function<double(double)> fd;
  double cost = 10.0;

  const char* variant() const override { return vec ? ukernel_isa_name() : "scalar"; }
  // The vector kernels read each element before writing the one at its index (their contract);
  // in place, the output needs no block of its own and is written into lines already in cache.
  int output_reuses_input() const override { return vec ? 0 : -1; }

  Status run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.input(0);
    Tensor& y = *ctx.output(0);
    if (x.dtype() != dtype) return ctx.error("input element type changed since the kernel was created");
    const int64_t n = x.size();
    if (vec) {
      const UnaryF32Fn fn = unary_f32_ukernel();
      const float* px = x.data<float>();
      float* py = y.data<float>();
      parallel_elements(ctx.threads(), n, cost, [&](int64_t b, int64_t e) { fn(vop, px + b, py + b, e - b, vparams); });
      return Status::ok();
    }
    if (op == "IsNaN" && dtype == DType::kFloat32) {
      // One compare per element that the compiler vectorizes; the generic loop below decides
      // IsNaN or IsInf per element (torch's attention writes one IsNaN per layer over the
      // probabilities: 0.12 ms each for GPT-2's [1, 12, 128, 128]).
      const float* px = x.data<float>();
      bool* py = y.data<bool>();
      parallel_elements(ctx.threads(), n, 0.25, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) py[i] = px[i] != px[i];
      });
      return Status::ok();
    }
    if (op == "IsNaN" || op == "IsInf") {
      visit_numeric(dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* px = x.data<T>();
        bool* py = y.data<bool>();
        const bool isnan_op = op == "IsNaN", pos = p.detect_pos, neg = p.detect_neg;
        parallel_elements(ctx.threads(), n, 1.0, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) {
            const float v = load_as<float>(px[i]);
            py[i] = isnan_op ? std::isnan(v) : std::isinf(v) && (v > 0 ? pos : neg);
          }
        });
      });
      return Status::ok();
    }
    visit_numeric(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* px = x.data<T>();
      T* py = y.data<T>();
      if constexpr (std::is_same_v<T, bool>) {
        parallel_elements(ctx.threads(), n, 1.0, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) py[i] = !px[i];
        });
      } else if constexpr (std::is_same_v<T, double>) {
        parallel_elements(ctx.threads(), n, cost, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) py[i] = fd(px[i]);
        });
      } else if constexpr (is_floating_v<T>) {
        parallel_elements(ctx.threads(), n, cost, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) py[i] = store_as<T>(ff(load_as<float>(px[i])));
        });
      } else {
        using U = std::make_unsigned_t<T>;
        const std::string& o = op;
        parallel_elements(ctx.threads(), n, 1.0, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) {
            const T v = px[i];
            T r = v;
            if (o == "Neg") r = static_cast<T>(U(0) - static_cast<U>(v));
            else if (o == "Abs") r = v < 0 ? static_cast<T>(U(0) - static_cast<U>(v)) : v;
            else if (o == "Relu") r = v < 0 ? T(0) : v;
            else if (o == "Sign") r = v > 0 ? T(1) : v < 0 ? static_cast<T>(-1) : T(0);
            else if (o == "BitwiseNot") r = static_cast<T>(~v);
            py[i] = r;
          }
        });
      }
    });
    return Status::ok();
  }
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_unary(const KernelInit& init) {
  if (init.input_types.empty() || !init.input_types[0]) return init.error("missing input 0");
  auto k = std::make_unique<UnaryKernel>();
  k->op = init.node.op_type;
  k->dtype = init.input_types[0]->dtype;
  const std::string& op = k->op;
  ir::AttrReader at(init.node);
  float alpha_def = 1.0f;
  if (op == "LeakyRelu") alpha_def = 0.01f;
  else if (op == "HardSigmoid") alpha_def = 0.2f;
  else if (op == "Selu") alpha_def = 1.67326319217681884765625f;
  k->p.alpha = at.f("alpha", alpha_def);
  k->p.beta = at.f("beta", 0.5f);
  k->p.gamma = at.f("gamma", 1.05070102214813232421875f);
  if (op == "Shrink") {
    k->p.beta = at.f("lambd", 0.5f);
    k->p.gamma = at.f("bias", 0.0f);
  }
  const std::string approx = at.s("approximate", "none");
  k->p.detect_pos = at.i("detect_positive", 1) != 0;
  k->p.detect_neg = at.i("detect_negative", 1) != 0;
  ONNXRT_RETURN_IF_ERROR(at.status());
  if (op == "Gelu" && approx != "none" && approx != "tanh")
    return init.error("attribute 'approximate' must be 'none' or 'tanh', got '" + approx + "'");
  k->p.tanh_approx = approx == "tanh";
  if (op == "Celu" && k->p.alpha == 0) return init.error("attribute 'alpha' must not be 0");

  const DType t = k->dtype;
  auto unsupported = [&] {
    return not_implemented(init.node.describe() + ": no CPU kernel for element type " +
                           std::string(dtype_name(t)));
  };
  if (op == "IsNaN" || op == "IsInf") {
    if (t != DType::kFloat32 && t != DType::kFloat64 && t != DType::kFloat16 && t != DType::kBFloat16)
      return unsupported();
    return std::unique_ptr<Kernel>(std::move(k));
  }
  if (t == DType::kBool) {
    if (op != "Not") return unsupported();
    return std::unique_ptr<Kernel>(std::move(k));
  }
  if (t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16 || t == DType::kFloat64) {
    if (t == DType::kFloat32 && vector_op(op, k->p, &k->vop, &k->vparams)) {
      k->vec = true;
      const bool cheap = op == "Relu" || op == "Neg" || op == "Abs" || op == "LeakyRelu" || op == "HardSwish" ||
                         op == "Floor" || op == "Ceil" || op == "Round" || op == "Sign" || op == "ThresholdedRelu";
      k->cost = cheap ? 1.0 : op == "Reciprocal" || op == "Softsign" ? 4.0 : 20.0;
      return std::unique_ptr<Kernel>(std::move(k));
    }
    if (!float_op<float>(op, k->p, &k->ff) || !float_op<double>(op, k->p, &k->fd)) return unsupported();
    k->cost = 20.0;
    return std::unique_ptr<Kernel>(std::move(k));
  }
  if (!dtype_is_integer(t) || dtype_bits(t) < 8) return unsupported();
  const bool is_signed = dtype_is_signed(t);
  if (op == "Sign" || op == "BitwiseNot" || op == "Relu" || ((op == "Neg" || op == "Abs") && (is_signed || op == "Abs")))
    return std::unique_ptr<Kernel>(std::move(k));
  return unsupported();
}

}  // namespace onnxrt::kernels::ew
