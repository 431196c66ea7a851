// Element-wise float32 microkernels: raw pointers, element counts, strides in {0, 1}. One entry
// point per ISA takes the op as a value, so a kernel resolves its function pointer once and the
// per-op branch happens once per run, not per element.
#pragma once

#include <cstdint>

namespace onnxrt::kernels::ew {

enum class BinaryOp : int32_t { kAdd, kSub, kMul, kDiv, kMin, kMax };

enum class UnaryOp : int32_t {
  kRelu,
  kNeg,
  kAbs,
  kSqrt,
  kExp,
  kSigmoid,
  kTanh,
  kErf,
  kGelu,      // 0.5 x (1 + erf(x / sqrt 2))
  kGeluTanh,  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  kLeakyRelu, // alpha
  kClip,      // [alpha, beta]
  kHardSigmoid,  // max(0, min(1, alpha x + beta))
  kSilu,      // x * sigmoid(alpha x) (Swish; SiLU at alpha = 1)
  kSoftplus,  // log(1 + e^x)
  kMish,      // x * tanh(softplus(x))
  kHardSwish,   // x * max(0, min(1, x / 6 + 1/2))
  kReciprocal,  // 1 / x
  kFloor,
  kCeil,
  kRound,       // to nearest, ties to even
  kSign,        // -1, 0 or 1 (-0 and NaN stay)
  kSoftsign,    // x / (1 + |x|)
  kThresholdedRelu,  // x where x > alpha, else 0
  kLog,
  kElu,         // alpha expm1(x) for x < 0, else x
  kCount,
};

struct UnaryParams {
  float alpha = 0.0f;
  float beta = 0.0f;
};

// y[k] = a[k*sa] op b[k*sb], k < n; sa, sb are 0 or 1. y may alias a or b when its stride is 1.
using BinaryF32Fn = void (*)(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb,
                             float* y, int64_t n);
// y[k] = op(x[k]); y may alias x.
using UnaryF32Fn = void (*)(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p);

void binary_f32_scalar(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb,
                       float* y, int64_t n);
void binary_f32_avx2(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb,
                     float* y, int64_t n);
void binary_f32_avx512(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb,
                       float* y, int64_t n);
void unary_f32_scalar(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p);
void unary_f32_avx2(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p);
void unary_f32_avx512(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p);

// One LSTM step's cell update for n hidden units of one batch row, with the default activations
// (sigmoid for i, o, f; tanh for c and for the cell output), no peepholes and no coupled input
// and forget gates. A gate's pre-activation is gates + (pre + bias), clipped to [-clip, clip]
// when clip > 0; then c = f*c + i*g and h = o*tanh(c). Fusing the passes keeps each unit's four
// gates in registers: as separate passes over 64-unit spans, the gates of the benchmark LSTM
// cost more than a tenth of the layer.
struct LstmCellArgs {
  const float* gates;  // recurrent product, [i | o | f | c], n floats each
  const float* pre;    // input projection, same layout
  const float* bias;   // same layout, or null
  float* c;            // n: the previous cell state in, the new one out
  float* h;            // n: the new hidden state
  float* y;            // n: a copy of h (the Y output), or null
  int64_t n;
  float clip;          // > 0: clip the pre-activations
};
using LstmCellF32Fn = void (*)(const LstmCellArgs& a);

void lstm_cell_f32_scalar(const LstmCellArgs& a);
void lstm_cell_f32_avx2(const LstmCellArgs& a);
void lstm_cell_f32_avx512(const LstmCellArgs& a);

// y = softmax(x + add) over one row of n floats: the maximum m, then e = exp(x + add - m) stored
// while their sum accumulates, then y = e * (1 / sum) (the reciprocal taken in double). `add`
// (a mask row, stride 0 or 1) may be null; y may alias x. The Softmax op and FusedAttention both
// use it, so fused and unfused attention round alike. One call per row with the row in
// registers: as five calls (max, subtract, exp, sum, scale) a 128-float row cost about 4x as much.
using SoftmaxRowF32Fn = void (*)(const float* x, const float* add, int64_t add_stride, float* y, int64_t n);

void softmax_row_f32_scalar(const float* x, const float* add, int64_t add_stride, float* y, int64_t n);
void softmax_row_f32_avx2(const float* x, const float* add, int64_t add_stride, float* y, int64_t n);
void softmax_row_f32_avx512(const float* x, const float* add, int64_t add_stride, float* y, int64_t n);

// y = log_softmax(x) over one row of n floats: x - m - log(sum exp(x - m)), m the maximum (the sum
// in double, the exps as softmax_row's). y may alias x.
using LogSoftmaxRowF32Fn = void (*)(const float* x, float* y, int64_t n);

void log_softmax_row_f32_scalar(const float* x, float* y, int64_t n);
void log_softmax_row_f32_avx2(const float* x, float* y, int64_t n);
void log_softmax_row_f32_avx512(const float* x, float* y, int64_t n);

// Where on 32-bit elements: y[k] = c[k] ? a[k*sa] : b[k*sb], k < n, with sa and sb 0 or 1 (a
// broadcast value or a contiguous run) and the condition contiguous.
using Select32Fn = void (*)(const bool* c, const uint32_t* a, int64_t sa, const uint32_t* b, int64_t sb,
                            uint32_t* y, int64_t n);

void select32_scalar(const bool* c, const uint32_t* a, int64_t sa, const uint32_t* b, int64_t sb, uint32_t* y,
                     int64_t n);
void select32_avx2(const bool* c, const uint32_t* a, int64_t sa, const uint32_t* b, int64_t sb, uint32_t* y,
                   int64_t n);

// The best variant for this CPU (honours ONNXRT_ISA), chosen once.
BinaryF32Fn binary_f32_ukernel();
UnaryF32Fn unary_f32_ukernel();
LstmCellF32Fn lstm_cell_f32_ukernel();
SoftmaxRowF32Fn softmax_row_f32_ukernel();
LogSoftmaxRowF32Fn log_softmax_row_f32_ukernel();
Select32Fn select32_ukernel();  // AVX2 on AVX-512 CPUs too
const char* ukernel_isa_name();

}  // namespace onnxrt::kernels::ew
