// Portable float32 element-wise microkernels and the per-CPU choice among the variants.
#include <algorithm>
#include <cmath>

#include "base/cpu_features.h"
#include "kernels/ukernels/elementwise/ukernels.h"

namespace onnxrt::kernels::ew {

namespace {

float unary_one(UnaryOp op, float v, const UnaryParams& p) {
  switch (op) {
    case UnaryOp::kRelu: return v < 0.0f ? 0.0f : v;
    case UnaryOp::kNeg: return -v;
    case UnaryOp::kAbs: return std::fabs(v);
    case UnaryOp::kSqrt: return std::sqrt(v);
    case UnaryOp::kExp: return std::exp(v);
    case UnaryOp::kSigmoid: return 1.0f / (1.0f + std::exp(-v));
    case UnaryOp::kTanh: return std::tanh(v);
    case UnaryOp::kErf: return std::erf(v);
    case UnaryOp::kGelu: return 0.5f * v * std::erfc(-v * 0.70710678118654752f);
    // 0.5 v (1 + tanh(u)) as v / (1 + e^(-2u)): far left 1 + tanh(u) cancels to 0 (vec_math.inl).
    case UnaryOp::kGeluTanh: return v / (1.0f + std::exp(-1.5957691216057308f * (v + 0.044715f * v * v * v)));
    case UnaryOp::kSilu: return v / (1.0f + std::exp(-(p.alpha * v)));
    // log1p(exp(x)) overflows for large x although the result is just x.
    case UnaryOp::kSoftplus: return v > 20.0f ? v : std::log1p(std::exp(v));
    case UnaryOp::kMish: return v * std::tanh(v > 20.0f ? v : std::log1p(std::exp(v)));
    case UnaryOp::kLeakyRelu: return v < 0.0f ? v * p.alpha : v;
    case UnaryOp::kClip: return std::isnan(v) ? v : std::min(p.beta, std::max(p.alpha, v));
    case UnaryOp::kHardSigmoid: return std::min(1.0f, std::max(0.0f, p.alpha * v + p.beta));
    case UnaryOp::kHardSwish: return std::isnan(v) ? v : v * std::min(1.0f, std::max(0.0f, v * (1.0f / 6.0f) + 0.5f));
    case UnaryOp::kReciprocal: return 1.0f / v;
    case UnaryOp::kFloor: return std::floor(v);
    case UnaryOp::kCeil: return std::ceil(v);
    case UnaryOp::kRound: return std::nearbyint(v);
    case UnaryOp::kSign: return v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : v;
    case UnaryOp::kSoftsign: return v / (1.0f + std::fabs(v));
    case UnaryOp::kThresholdedRelu: return v > p.alpha ? v : 0.0f;
    case UnaryOp::kLog: return std::log(v);
    case UnaryOp::kElu: return v < 0.0f ? p.alpha * std::expm1(v) : v;
    case UnaryOp::kCount: break;
  }
  return v;
}

template <class F>
void binary_loop(const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n, F f) {
  if (sa && sb) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
  } else if (sa) {
    const float vb = *b;
    for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], vb);
  } else if (sb) {
    const float va = *a;
    for (int64_t i = 0; i < n; ++i) y[i] = f(va, b[i]);
  } else {
    const float v = f(*a, *b);
    for (int64_t i = 0; i < n; ++i) y[i] = v;
  }
}

}  // namespace

void binary_f32_scalar(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb,
                       float* y, int64_t n) {
  switch (op) {
    case BinaryOp::kAdd: return binary_loop(a, sa, b, sb, y, n, [](float u, float v) { return u + v; });
    case BinaryOp::kSub: return binary_loop(a, sa, b, sb, y, n, [](float u, float v) { return u - v; });
    case BinaryOp::kMul: return binary_loop(a, sa, b, sb, y, n, [](float u, float v) { return u * v; });
    case BinaryOp::kDiv: return binary_loop(a, sa, b, sb, y, n, [](float u, float v) { return u / v; });
    case BinaryOp::kMin:
      return binary_loop(a, sa, b, sb, y, n, [](float u, float v) {
        return std::isnan(u) || std::isnan(v) ? u + v : std::min(u, v);
      });
    case BinaryOp::kMax:
      return binary_loop(a, sa, b, sb, y, n, [](float u, float v) {
        return std::isnan(u) || std::isnan(v) ? u + v : std::max(u, v);
      });
  }
}

void unary_f32_scalar(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p) {
  for (int64_t i = 0; i < n; ++i) y[i] = unary_one(op, x[i], p);
}

void lstm_cell_f32_scalar(const LstmCellArgs& a) {
  const int64_t n = a.n;
  for (int64_t j = 0; j < n; ++j) {
    float g[4];
    for (int64_t k = 0; k < 4; ++k) {
      float p = a.pre[k * n + j];
      if (a.bias) p += a.bias[k * n + j];
      g[k] = a.gates[k * n + j] + p;
      if (a.clip > 0.0f && !std::isnan(g[k])) g[k] = std::min(a.clip, std::max(-a.clip, g[k]));
    }
    const float i = 1.0f / (1.0f + std::exp(-g[0])), o = 1.0f / (1.0f + std::exp(-g[1]));
    const float f = 1.0f / (1.0f + std::exp(-g[2]));
    const float c = f * a.c[j] + i * std::tanh(g[3]);
    a.c[j] = c;
    a.h[j] = o * std::tanh(c);
    if (a.y) a.y[j] = a.h[j];
  }
}

void softmax_row_f32_scalar(const float* x, const float* add, int64_t add_stride, float* y, int64_t n) {
  if (n <= 0) return;
  const auto at = [&](int64_t i) { return add ? x[i] + add[add_stride * i] : x[i]; };
  float m = at(0);
  for (int64_t i = 1; i < n; ++i) m = at(i) > m ? at(i) : m;
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    y[i] = std::exp(at(i) - m);
    sum += y[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) y[i] *= inv;
}

void log_softmax_row_f32_scalar(const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  float m = x[0];
  for (int64_t i = 1; i < n; ++i) m = x[i] > m ? x[i] : m;
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(x[i] - m);
  const float shift = m + static_cast<float>(std::log(sum));
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] - shift;
}

namespace {

// The variant for this CPU's best ISA (cpu_features honours ONNXRT_ISA).
template <class Fn>
Fn pick(Fn avx512, Fn avx2, Fn scalar) {
  const CpuFeatures& f = cpu_features();
  return f.has_avx512() ? avx512 : f.has_avx2_fma() ? avx2 : scalar;
}

}  // namespace

BinaryF32Fn binary_f32_ukernel() {
  static const BinaryF32Fn fn = pick(&binary_f32_avx512, &binary_f32_avx2, &binary_f32_scalar);
  return fn;
}

UnaryF32Fn unary_f32_ukernel() {
  static const UnaryF32Fn fn = pick(&unary_f32_avx512, &unary_f32_avx2, &unary_f32_scalar);
  return fn;
}

LstmCellF32Fn lstm_cell_f32_ukernel() {
  static const LstmCellF32Fn fn = pick(&lstm_cell_f32_avx512, &lstm_cell_f32_avx2, &lstm_cell_f32_scalar);
  return fn;
}

SoftmaxRowF32Fn softmax_row_f32_ukernel() {
  static const SoftmaxRowF32Fn fn = pick(&softmax_row_f32_avx512, &softmax_row_f32_avx2, &softmax_row_f32_scalar);
  return fn;
}

void select32_scalar(const bool* c, const uint32_t* a, int64_t sa, const uint32_t* b, int64_t sb, uint32_t* y,
                     int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = c[i] ? a[i * sa] : b[i * sb];
}

Select32Fn select32_ukernel() {
  static const Select32Fn fn = cpu_features().has_avx2_fma() ? &select32_avx2 : &select32_scalar;
  return fn;
}

LogSoftmaxRowF32Fn log_softmax_row_f32_ukernel() {
  static const LogSoftmaxRowF32Fn fn =
      pick(&log_softmax_row_f32_avx512, &log_softmax_row_f32_avx2, &log_softmax_row_f32_scalar);
  return fn;
}

const char* ukernel_isa_name() {
  const CpuFeatures& f = cpu_features();
  return f.has_avx512() ? "avx512" : f.has_avx2_fma() ? "avx2" : "scalar";
}

}  // namespace onnxrt::kernels::ew
