// Reference (oracle) kernels for the element-wise family: plain loops, a naive per-element
// broadcast index, floating-point math in double with std:: functions. Correctness over speed.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>

#include "ir/attribute.h"
#include "kernels/kernel_families.h"
#include "kernels/reference/elementwise_cast.h"
#include "kernels/reference/elementwise_types.h"

namespace onnxrt::kernels {

namespace {

using ew::Tag;

// Element offset in an input of shape `in` for flat output index `flat` of shape `out`.
int64_t bcast_offset(const Shape& in, const Shape& out, int64_t flat) {
  int64_t off = 0, stride = 1;
  for (size_t k = 0; k < out.size(); ++k) {
    const size_t d = out.size() - 1 - k;
    const int64_t idx = flat % out[d];
    flat /= out[d];
    if (k < in.size()) {
      const int64_t n = in[in.size() - 1 - k];
      if (n != 1) off += idx * stride;
      stride *= n;
    }
  }
  return off;
}

bool broadcasts_to(const Shape& in, const Shape& out) {
  if (in.size() > out.size()) return false;
  for (size_t k = 0; k < in.size(); ++k) {
    const int64_t a = in[in.size() - 1 - k], b = out[out.size() - 1 - k];
    if (a != b && a != 1) return false;
  }
  return true;
}

// Opset < 7 with broadcast=1: B's dims sit at `axis` of A's.
Shape legacy_b_shape(const ir::Node& node, const Shape& a, const Shape& b) {
  if (node.opset >= 7) return b;
  if (node.op_type == "PRelu") {
    // PRelu before opset 7 applied a [C] slope per channel (axis 1), not numpy-style.
    if (b.size() != 1 || a.size() < 2 || b[0] != a[1]) return b;
    Shape s(a.size(), 1);
    s[1] = b[0];
    return s;
  }
  ir::AttrReader attrs(node);
  if (attrs.i("broadcast", 0) == 0) return b;
  int64_t axis = attrs.i("axis", static_cast<int64_t>(a.size() - b.size()));
  if (axis < 0) axis += static_cast<int64_t>(a.size());
  Shape s(a.size(), 1);
  for (size_t d = 0; d < b.size(); ++d) {
    const size_t t = static_cast<size_t>(axis) + d;
    if (t < s.size()) s[t] = b[d];
  }
  return s;
}

double py_mod(double a, double b) {
  const double r = std::fmod(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

template <typename T>
T int_div(T a, T b) {
  if (b == 0) return 0;  // undefined in the spec; defined here so a bad model cannot crash us
  if constexpr (std::is_signed_v<T>) {
    if (b == -1) return static_cast<T>(static_cast<std::make_unsigned_t<T>>(0) - static_cast<std::make_unsigned_t<T>>(a));
  }
  return static_cast<T>(a / b);
}

template <typename T>
T int_mod(T a, T b, bool fmod) {
  if (b == 0) return 0;
  if constexpr (std::is_signed_v<T>) {
    if (b == -1) return 0;
    T r = static_cast<T>(a % b);
    if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
    return r;
  } else {
    return static_cast<T>(a % b);
  }
}

Status ref_binary(KernelContext& ctx) {
  const ir::Node& node = ctx.node();
  const std::string& op = node.op_type;
  const Tensor& a = *ctx.input(0);
  const Tensor& b = *ctx.input(1);
  Tensor& y = *ctx.output(0);
  const Shape bs = legacy_b_shape(node, a.shape(), b.shape());
  if (!broadcasts_to(a.shape(), y.shape()) || !broadcasts_to(bs, y.shape()))
    return ctx.error("inputs do not broadcast to output " + std::to_string(y.rank()) + "-d shape");
  ir::AttrReader attrs(node);
  const bool fmod = attrs.i("fmod", 0) != 0;
  const bool left = attrs.s("direction", "") == "LEFT";
  ONNXRT_RETURN_IF_ERROR(attrs.status());
  if (a.dtype() == DType::kString) {
    if (op != "Equal" || b.dtype() != DType::kString) return ctx.error("no reference for " + op + " on strings");
    for (int64_t i = 0; i < y.size(); ++i)
      y.data<bool>()[i] = a.data<std::string>()[bcast_offset(a.shape(), y.shape(), i)] ==
                          b.data<std::string>()[bcast_offset(bs, y.shape(), i)];
    return Status::ok();
  }
  const bool cmp = y.dtype() == DType::kBool && a.dtype() != DType::kBool;
  Status st;
  const bool ok = ew::visit_numeric(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pa = a.data<T>();
    for (int64_t i = 0; i < y.size(); ++i) {
      const T va = pa[bcast_offset(a.shape(), y.shape(), i)];
      const int64_t ob = bcast_offset(bs, y.shape(), i);
      if (op == "Pow") {
        double e = 0;
        ew::visit_numeric(b.dtype(), [&](auto tb) {
          using E = typename decltype(tb)::type;
          e = ew::load_as<double>(b.data<E>()[ob]);
        });
        const double r = std::pow(ew::load_as<double>(va), e);
        if constexpr (ew::is_floating_v<T>) y.data<T>()[i] = ew::store_as<T>(r);
        else y.data<T>()[i] = ew::float_to_int<T>(r);
        continue;
      }
      const T vb = b.data<T>()[ob];
      if (cmp) {
        const double x = ew::load_as<double>(va), z = ew::load_as<double>(vb);
        bool r = false;
        if constexpr (!ew::is_floating_v<T>) {  // exact for 64-bit integers
          if (op == "Equal") r = va == vb;
          else if (op == "Less") r = va < vb;
          else if (op == "Greater") r = va > vb;
          else if (op == "LessOrEqual") r = va <= vb;
          else if (op == "GreaterOrEqual") r = va >= vb;
        } else {
          if (op == "Equal") r = x == z;
          else if (op == "Less") r = x < z;
          else if (op == "Greater") r = x > z;
          else if (op == "LessOrEqual") r = x <= z;
          else if (op == "GreaterOrEqual") r = x >= z;
        }
        y.data<bool>()[i] = r;
        continue;
      }
      if constexpr (ew::is_floating_v<T>) {
        const double x = ew::load_as<double>(va), z = ew::load_as<double>(vb);
        double r = 0;
        if (op == "Add") r = x + z;
        else if (op == "Sub") r = x - z;
        else if (op == "Mul") r = x * z;
        else if (op == "Div") r = x / z;
        else if (op == "Mod") r = fmod ? std::fmod(x, z) : py_mod(x, z);
        else if (op == "Min") r = std::isnan(x) || std::isnan(z) ? NAN : std::min(x, z);
        else if (op == "Max") r = std::isnan(x) || std::isnan(z) ? NAN : std::max(x, z);
        else if (op == "PRelu") r = x < 0 ? x * z : x;
        else { st = ctx.error("no reference for " + op + " on floats"); return; }
        y.data<T>()[i] = ew::store_as<T>(r);
      } else if constexpr (std::is_same_v<T, bool>) {
        bool r = false;
        if (op == "And") r = va && vb;
        else if (op == "Or") r = va || vb;
        else if (op == "Xor") r = va != vb;
        else if (op == "Equal") r = va == vb;
        else { st = ctx.error("no reference for " + op + " on bool"); return; }
        y.data<bool>()[i] = r;
      } else {
        using W = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
        const W x = va, z = vb;
        W r = 0;
        if (op == "Add") r = static_cast<W>(static_cast<uint64_t>(x) + static_cast<uint64_t>(z));
        else if (op == "Sub") r = static_cast<W>(static_cast<uint64_t>(x) - static_cast<uint64_t>(z));
        else if (op == "Mul") r = static_cast<W>(static_cast<uint64_t>(x) * static_cast<uint64_t>(z));
        else if (op == "Div") r = int_div<T>(va, vb);
        else if (op == "Mod") r = int_mod<T>(va, vb, fmod);
        else if (op == "Min") r = std::min(x, z);
        else if (op == "Max") r = std::max(x, z);
        else if (op == "PRelu") r = x < 0 ? static_cast<W>(static_cast<uint64_t>(x) * static_cast<uint64_t>(z)) : x;
        else if (op == "BitwiseAnd") r = x & z;
        else if (op == "BitwiseOr") r = x | z;
        else if (op == "BitwiseXor") r = x ^ z;
        else if (op == "BitShift") {
          // Opset 28 semantics (signed types): arithmetic right shift; a negative or too large
          // shift leaves only the sign fill (-1 for a right shift of a negative x, else 0).
          bool neg_x = false, neg_z = false;
          if constexpr (std::is_signed_v<T>) {
            neg_x = x < 0;
            neg_z = z < 0;
          }
          if (neg_z || static_cast<uint64_t>(z) >= sizeof(T) * 8) {
            r = (!left && neg_x) ? static_cast<W>(-1) : 0;
          } else {
            const unsigned s = static_cast<unsigned>(z);
            if (left) {
              r = static_cast<W>(static_cast<uint64_t>(x) << s);
            } else if (neg_x) {
              r = static_cast<W>(~(~static_cast<uint64_t>(x) >> s));
            } else {
              r = static_cast<W>(static_cast<uint64_t>(x) >> s);
            }
          }
        } else { st = ctx.error("no reference for " + op + " on integers"); return; }
        y.data<T>()[i] = static_cast<T>(r);
      }
    }
  });
  if (!ok) return ctx.error("unsupported element type " + std::string(dtype_name(a.dtype())));
  return st;
}

std::function<double(double)> float_fn(const ir::Node& node, Status& st) {
  ir::AttrReader at(node);
  const std::string& op = node.op_type;
  const double alpha_def = op == "LeakyRelu" ? 0.01 : op == "HardSigmoid" ? 0.2 : op == "Selu" ? 1.67326319217681884765625
                         : op == "ThresholdedRelu" ? 1.0 : op == "HardSwish" ? 1.0 / 6 : 1.0;
  const double alpha = at.f("alpha", static_cast<float>(alpha_def));
  const double gamma = at.f("gamma", 1.05070102214813232421875f);
  const std::string approx = at.s("approximate", "none");
  st = at.status();
  if (op == "Relu") return [](double x) { return x < 0 ? 0.0 : x; };
  if (op == "Sigmoid") return [](double x) { return 1 / (1 + std::exp(-x)); };
  if (op == "Tanh") return [](double x) { return std::tanh(x); };
  if (op == "Erf") return [](double x) { return std::erf(x); };
  if (op == "Exp") return [](double x) { return std::exp(x); };
  if (op == "Log") return [](double x) { return std::log(x); };
  if (op == "Sqrt") return [](double x) { return std::sqrt(x); };
  if (op == "Neg") return [](double x) { return -x; };
  if (op == "Abs") return [](double x) { return std::fabs(x); };
  if (op == "Gelu") {
    if (approx == "tanh")
      return [](double x) {
        return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
      };
    return [](double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); };
  }
  if (op == "LeakyRelu") return [alpha](double x) { return x < 0 ? alpha * x : x; };
  if (op == "Elu") return [alpha](double x) { return x < 0 ? alpha * (std::exp(x) - 1) : x; };
  if (op == "Selu")
    return [alpha, gamma](double x) { return x <= 0 ? gamma * (alpha * std::exp(x) - alpha) : gamma * x; };
  if (op == "Celu") return [alpha](double x) { return std::max(0.0, x) + std::min(0.0, alpha * (std::exp(x / alpha) - 1)); };
  if (op == "HardSigmoid") {
    const double b = at.f("beta", 0.5f);
    return [alpha, b](double x) { return std::max(0.0, std::min(1.0, alpha * x + b)); };
  }
  if (op == "HardSwish") return [](double x) { return x * std::max(0.0, std::min(1.0, x / 6 + 0.5)); };
  if (op == "Softplus") return [](double x) { return std::log1p(std::exp(x)); };
  if (op == "Softsign") return [](double x) { return x / (1 + std::fabs(x)); };
  if (op == "Mish") return [](double x) { return x * std::tanh(std::log1p(std::exp(x))); };
  if (op == "ThresholdedRelu") return [alpha](double x) { return x > alpha ? x : 0.0; };
  if (op == "Floor") return [](double x) { return std::floor(x); };
  if (op == "Ceil") return [](double x) { return std::ceil(x); };
  if (op == "Round") return [](double x) { return std::nearbyint(x); };
  if (op == "Reciprocal") return [](double x) { return 1 / x; };
  if (op == "Sign") return [](double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x; };
  if (op == "Sin") return [](double x) { return std::sin(x); };
  if (op == "Cos") return [](double x) { return std::cos(x); };
  if (op == "Tan") return [](double x) { return std::tan(x); };
  if (op == "Asin") return [](double x) { return std::asin(x); };
  if (op == "Acos") return [](double x) { return std::acos(x); };
  if (op == "Atan") return [](double x) { return std::atan(x); };
  if (op == "Sinh") return [](double x) { return std::sinh(x); };
  if (op == "Cosh") return [](double x) { return std::cosh(x); };
  if (op == "Asinh") return [](double x) { return std::asinh(x); };
  if (op == "Acosh") return [](double x) { return std::acosh(x); };
  if (op == "Atanh") return [](double x) { return std::atanh(x); };
  if (op == "Swish") return [alpha](double x) { return x / (1 + std::exp(-alpha * x)); };
  if (op == "Shrink") {
    const double lambd = at.f("lambd", 0.5f), bias = at.f("bias", 0.0f);
    return [lambd, bias](double x) { return x < -lambd ? x + bias : x > lambd ? x - bias : 0.0; };
  }
  return nullptr;
}

Status ref_unary(KernelContext& ctx) {
  const ir::Node& node = ctx.node();
  const std::string& op = node.op_type;
  const Tensor& x = *ctx.input(0);
  Tensor& y = *ctx.output(0);
  Status st;
  std::function<double(double)> f = float_fn(node, st);
  ONNXRT_RETURN_IF_ERROR(st);
  const bool ok = ew::visit_numeric(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    for (int64_t i = 0; i < x.size(); ++i) {
      if (op == "IsNaN" || op == "IsInf") {
        const double v = ew::load_as<double>(px[i]);
        ir::AttrReader at(node);
        const bool pos = at.i("detect_positive", 1) != 0, neg = at.i("detect_negative", 1) != 0;
        y.data<bool>()[i] = op == "IsNaN" ? std::isnan(v)
                                          : std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg));
        continue;
      }
      if constexpr (ew::is_floating_v<T>) {
        if (!f) { st = ctx.error("no reference for " + op + " on floats"); return; }
        y.data<T>()[i] = ew::store_as<T>(f(ew::load_as<double>(px[i])));
      } else if constexpr (std::is_same_v<T, bool>) {
        if (op != "Not") { st = ctx.error("no reference for " + op + " on bool"); return; }
        y.data<bool>()[i] = !px[i];
      } else {
        const T v = px[i];
        T r;
        if (op == "Neg") r = static_cast<T>(static_cast<std::make_unsigned_t<T>>(0) - static_cast<std::make_unsigned_t<T>>(v));
        else if (op == "Abs") r = v < 0 ? static_cast<T>(static_cast<std::make_unsigned_t<T>>(0) - static_cast<std::make_unsigned_t<T>>(v)) : v;
        else if (op == "Relu") r = v < 0 ? T(0) : v;
        else if (op == "Sign") r = v > 0 ? T(1) : v < 0 ? static_cast<T>(-1) : T(0);
        else if (op == "BitwiseNot") r = static_cast<T>(~v);
        else { st = ctx.error("no reference for " + op + " on integers"); return; }
        y.data<T>()[i] = r;
      }
    }
  });
  if (!ok) return ctx.error("unsupported element type " + std::string(dtype_name(x.dtype())));
  return st;
}

Status ref_variadic(KernelContext& ctx) {
  const std::string& op = ctx.node().op_type;
  Tensor& y = *ctx.output(0);
  for (size_t k = 0; k < ctx.num_inputs(); ++k)
    if (!broadcasts_to(ctx.input(k)->shape(), y.shape())) return ctx.error("input does not broadcast");
  Status st;
  const bool ok = ew::visit_numeric(y.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      st = ctx.error("bool not supported");
    } else {
      using C = std::conditional_t<ew::is_floating_v<T>, double, T>;
      for (int64_t i = 0; i < y.size(); ++i) {
        C acc{};
        bool nan = false;
        for (size_t k = 0; k < ctx.num_inputs(); ++k) {
          const Tensor& in = *ctx.input(k);
          const C v = ew::load_as<C>(in.data<T>()[bcast_offset(in.shape(), y.shape(), i)]);
          if constexpr (ew::is_floating_v<T>) nan = nan || std::isnan(v);
          if (k == 0) acc = v;
          else if (op == "Min") acc = std::min(acc, v);
          else if (op == "Max") acc = std::max(acc, v);
          else acc = static_cast<C>(acc + v);
        }
        if (op == "Mean") acc = static_cast<C>(acc / static_cast<C>(ctx.num_inputs()));
        if constexpr (ew::is_floating_v<T>) {
          if (nan && (op == "Min" || op == "Max")) acc = NAN;
        }
        y.data<T>()[i] = ew::store_as<T>(acc);
      }
    }
  });
  if (!ok) return ctx.error("unsupported element type");
  return st;
}

Status ref_where(KernelContext& ctx) {
  const Tensor& c = *ctx.input(0);
  const Tensor& a = *ctx.input(1);
  const Tensor& b = *ctx.input(2);
  Tensor& y = *ctx.output(0);
  if (!broadcasts_to(c.shape(), y.shape()) || !broadcasts_to(a.shape(), y.shape()) ||
      !broadcasts_to(b.shape(), y.shape()))
    return ctx.error("inputs do not broadcast to the output");
  if (y.dtype() == DType::kString) {
    for (int64_t i = 0; i < y.size(); ++i)
      y.data<std::string>()[i] = c.data<bool>()[bcast_offset(c.shape(), y.shape(), i)]
                                     ? a.data<std::string>()[bcast_offset(a.shape(), y.shape(), i)]
                                     : b.data<std::string>()[bcast_offset(b.shape(), y.shape(), i)];
    return Status::ok();
  }
  const bool ok = ew::visit_numeric(y.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int64_t i = 0; i < y.size(); ++i)
      y.data<T>()[i] = c.data<bool>()[bcast_offset(c.shape(), y.shape(), i)]
                           ? a.data<T>()[bcast_offset(a.shape(), y.shape(), i)]
                           : b.data<T>()[bcast_offset(b.shape(), y.shape(), i)];
  });
  if (!ok) return ctx.error("unsupported element type");
  return Status::ok();
}

// Every pair element by element through cast::load/store (the CPU kernel uses typed loops for
// the standard types, so the two are independent there).
Status ref_cast(KernelContext& ctx) {
  const Tensor& x = *ctx.input(0);
  Tensor& y = *ctx.output(0);
  if (!cast::castable(x.dtype()) || !cast::castable(y.dtype()))
    return not_implemented("Cast from " + std::string(dtype_name(x.dtype())) + " to " +
                           std::string(dtype_name(y.dtype())) + " is not implemented");
  ir::AttrReader at(ctx.node());
  cast::Options opt;
  opt.saturate = at.i("saturate", 1) != 0;
  const std::string mode = at.s("round_mode", "up");
  ONNXRT_RETURN_IF_ERROR(at.status());
  opt.round_mode = mode == "down" ? E8M0Round::kDown
                   : mode == "nearest" ? E8M0Round::kNearest
                                       : E8M0Round::kUp;
  for (int64_t i = 0; i < x.size(); ++i) cast::store(y.dtype(), y.raw(), i, cast::load(x.dtype(), x.raw(), i), opt);
  return Status::ok();
}

Status ref_bitcast(KernelContext& ctx) {
  const Tensor& x = *ctx.input(0);
  Tensor& y = *ctx.output(0);
  if (x.nbytes() != y.nbytes()) return ctx.error("input and output sizes differ");
  const auto* src = static_cast<const unsigned char*>(x.raw());
  auto* dst = static_cast<unsigned char*>(y.raw());
  for (size_t i = 0; i < x.nbytes(); ++i) dst[i] = src[i];
  return Status::ok();
}

Status ref_clip(KernelContext& ctx) {
  const ir::Node& node = ctx.node();
  const Tensor& x = *ctx.input(0);
  Tensor& y = *ctx.output(0);
  ir::AttrReader at(node);
  const float amin = at.f("min", -3.402823466e38f), amax = at.f("max", 3.402823466e38f);
  ONNXRT_RETURN_IF_ERROR(at.status());
  const bool ok = ew::visit_numeric(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = std::conditional_t<ew::is_floating_v<T>, double, T>;
    C lo = node.opset < 11 ? static_cast<C>(amin) : std::numeric_limits<C>::lowest();
    C hi = node.opset < 11 ? static_cast<C>(amax) : std::numeric_limits<C>::max();
    if (node.opset >= 11) {
      if (ctx.num_inputs() > 1 && ctx.input(1)) lo = ew::load_as<C>(ctx.input(1)->data<T>()[0]);
      if (ctx.num_inputs() > 2 && ctx.input(2)) hi = ew::load_as<C>(ctx.input(2)->data<T>()[0]);
    }
    for (int64_t i = 0; i < x.size(); ++i) {
      C v = ew::load_as<C>(x.data<T>()[i]);
      if (v < lo) v = lo;
      if (v > hi) v = hi;
      y.data<T>()[i] = ew::store_as<T>(v);
    }
  });
  if (!ok) return ctx.error("unsupported element type");
  return Status::ok();
}

constexpr auto kBin = &fn_factory<&ref_binary>;
constexpr auto kUn = &fn_factory<&ref_unary>;
constexpr auto kVar = &fn_factory<&ref_variadic>;
constexpr DType kAny = DType::kUndefined;

constexpr KernelEntry kTable[] = {
    {"", "Add", 1, kMaxOpset, kAny, kBin},
    {"", "Sub", 1, kMaxOpset, kAny, kBin},
    {"", "Mul", 1, kMaxOpset, kAny, kBin},
    {"", "Div", 1, kMaxOpset, kAny, kBin},
    {"", "Pow", 1, kMaxOpset, kAny, kBin},
    {"", "Mod", 10, kMaxOpset, kAny, kBin},
    {"", "PRelu", 1, kMaxOpset, kAny, kBin},
    {"", "BitShift", 11, kMaxOpset, kAny, kBin},
    {"", "BitwiseAnd", 18, kMaxOpset, kAny, kBin},
    {"", "BitwiseOr", 18, kMaxOpset, kAny, kBin},
    {"", "BitwiseXor", 18, kMaxOpset, kAny, kBin},
    {"", "And", 1, kMaxOpset, kAny, kBin},
    {"", "Or", 1, kMaxOpset, kAny, kBin},
    {"", "Xor", 1, kMaxOpset, kAny, kBin},
    {"", "Equal", 1, kMaxOpset, kAny, kBin},
    {"", "Less", 1, kMaxOpset, kAny, kBin},
    {"", "Greater", 1, kMaxOpset, kAny, kBin},
    {"", "LessOrEqual", 12, kMaxOpset, kAny, kBin},
    {"", "GreaterOrEqual", 12, kMaxOpset, kAny, kBin},
    {"", "Min", 1, kMaxOpset, kAny, kVar},
    {"", "Max", 1, kMaxOpset, kAny, kVar},
    {"", "Sum", 1, kMaxOpset, kAny, kVar},
    {"", "Mean", 1, kMaxOpset, kAny, kVar},
    {"", "Where", 9, kMaxOpset, kAny, &fn_factory<&ref_where>},
    {"", "Cast", 1, kMaxOpset, kAny, &fn_factory<&ref_cast>},
    {"", "CastLike", 15, kMaxOpset, kAny, &fn_factory<&ref_cast>},
    {"", "BitCast", 26, kMaxOpset, kAny, &fn_factory<&ref_bitcast>},
    {"", "Clip", 1, kMaxOpset, kAny, &fn_factory<&ref_clip>},
    {"", "Not", 1, kMaxOpset, kAny, kUn},
    {"", "BitwiseNot", 18, kMaxOpset, kAny, kUn},
    {"", "IsNaN", 9, kMaxOpset, kAny, kUn},
    {"", "IsInf", 10, kMaxOpset, kAny, kUn},
    {"", "Relu", 1, kMaxOpset, kAny, kUn},
    {"", "Sigmoid", 1, kMaxOpset, kAny, kUn},
    {"", "Tanh", 1, kMaxOpset, kAny, kUn},
    {"", "Erf", 9, kMaxOpset, kAny, kUn},
    {"", "Exp", 1, kMaxOpset, kAny, kUn},
    {"", "Log", 1, kMaxOpset, kAny, kUn},
    {"", "Sqrt", 1, kMaxOpset, kAny, kUn},
    {"", "Neg", 1, kMaxOpset, kAny, kUn},
    {"", "Abs", 1, kMaxOpset, kAny, kUn},
    {"", "Gelu", 20, kMaxOpset, kAny, kUn},
    {"", "LeakyRelu", 1, kMaxOpset, kAny, kUn},
    {"", "Elu", 1, kMaxOpset, kAny, kUn},
    {"", "Selu", 1, kMaxOpset, kAny, kUn},
    {"", "Celu", 12, kMaxOpset, kAny, kUn},
    {"", "HardSigmoid", 1, kMaxOpset, kAny, kUn},
    {"", "HardSwish", 14, kMaxOpset, kAny, kUn},
    {"", "Softplus", 1, kMaxOpset, kAny, kUn},
    {"", "Softsign", 1, kMaxOpset, kAny, kUn},
    {"", "Mish", 18, kMaxOpset, kAny, kUn},
    {"", "ThresholdedRelu", 10, kMaxOpset, kAny, kUn},
    {"", "Floor", 1, kMaxOpset, kAny, kUn},
    {"", "Ceil", 1, kMaxOpset, kAny, kUn},
    {"", "Round", 11, kMaxOpset, kAny, kUn},
    {"", "Reciprocal", 1, kMaxOpset, kAny, kUn},
    {"", "Sign", 9, kMaxOpset, kAny, kUn},
    {"", "Sin", 7, kMaxOpset, kAny, kUn},
    {"", "Cos", 7, kMaxOpset, kAny, kUn},
    {"", "Tan", 7, kMaxOpset, kAny, kUn},
    {"", "Asin", 7, kMaxOpset, kAny, kUn},
    {"", "Acos", 7, kMaxOpset, kAny, kUn},
    {"", "Atan", 7, kMaxOpset, kAny, kUn},
    {"", "Sinh", 9, kMaxOpset, kAny, kUn},
    {"", "Cosh", 9, kMaxOpset, kAny, kUn},
    {"", "Asinh", 9, kMaxOpset, kAny, kUn},
    {"", "Acosh", 9, kMaxOpset, kAny, kUn},
    {"", "Atanh", 9, kMaxOpset, kAny, kUn},
    {"", "Shrink", 9, kMaxOpset, kAny, kUn},
    {"", "Swish", 24, kMaxOpset, kAny, kUn},
    {"com.onnxrt", "Swish", 1, kMaxOpset, kAny, kUn},  // passes/collapse_activations.cc
    {"com.onnxrt", "Gelu", 1, kMaxOpset, kAny, kUn},   // passes/collapse_activations.cc
    {"com.onnxrt", "Mish", 1, kMaxOpset, kAny, kUn},   // passes/collapse_activations.cc
};

}  // namespace

std::span<const KernelEntry> reference_elementwise_kernels() { return kTable; }

}  // namespace onnxrt::kernels
