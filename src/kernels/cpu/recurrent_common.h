// Shared by the RNN / GRU / LSTM kernels of both backends: attributes read once (activations with
// their alpha/beta), run-time geometry checked against the concrete inputs, and the activation
// functions. Also declares the factories of both backends.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/half.h"
#include "kernels/kernel.h"

namespace onnxrt::kernels::rnn {

enum class Cell { kRnn, kGru, kLstm };

enum class Act {
  kRelu, kTanh, kSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh, kHardSigmoid,
  kElu, kSoftsign, kSoftplus,
};

struct Activation {
  Act kind = Act::kTanh;
  float alpha = 0.0f;
  float beta = 0.0f;
};

template <typename T>
inline T activate(const Activation& a, T x) {
  const T alpha = static_cast<T>(a.alpha), beta = static_cast<T>(a.beta);
  switch (a.kind) {
    case Act::kRelu: return x > T(0) ? x : T(0);
    case Act::kTanh: return std::tanh(x);
    case Act::kSigmoid: return T(1) / (T(1) + std::exp(-x));
    case Act::kAffine: return alpha * x + beta;
    case Act::kLeakyRelu: return x >= T(0) ? x : alpha * x;
    case Act::kThresholdedRelu: return x > alpha ? x : T(0);
    case Act::kScaledTanh: return alpha * std::tanh(beta * x);
    case Act::kHardSigmoid: {
      const T v = alpha * x + beta;
      return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);
    }
    case Act::kElu: return x >= T(0) ? x : alpha * (std::exp(x) - T(1));
    case Act::kSoftsign: return x / (T(1) + std::abs(x));
    case Act::kSoftplus:  // log(1 + e^x) without overflow for large x
      return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }
  return x;
}

struct RnnAttrs {
  Cell cell = Cell::kRnn;
  int64_t hidden_size = -1;  // -1: taken from R at run time
  int64_t dirs = 1;
  bool reverse = false;  // direction == "reverse" (one direction, run backwards)
  int64_t layout = 0;
  std::optional<float> clip;
  bool input_forget = false;
  bool linear_before_reset = false;
  // acts_per_dir activations per direction: RNN f; GRU f, g; LSTM f, g, h.
  std::vector<Activation> acts;
  int64_t gates() const { return cell == Cell::kRnn ? 1 : cell == Cell::kGru ? 3 : 4; }
  int64_t acts_per_dir() const { return cell == Cell::kRnn ? 1 : cell == Cell::kGru ? 2 : 3; }
  const Activation& act(int64_t dir, int64_t k) const {
    return acts[static_cast<size_t>(dir * acts_per_dir() + k)];
  }
};

Expected<RnnAttrs> read_rnn_attrs(const KernelInit& init);

// Concrete sizes and the optional inputs of one run, all checked against each other.
struct RnnGeom {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1, layout = 0;
  const Tensor* x = nullptr;
  const Tensor* w = nullptr;
  const Tensor* r = nullptr;
  const Tensor* b = nullptr;        // may be null
  const Tensor* h0 = nullptr;       // may be null
  const Tensor* c0 = nullptr;       // may be null (LSTM)
  const Tensor* p = nullptr;        // may be null (LSTM)
  std::vector<int64_t> lens;        // per batch entry, in [0, seq]
  int64_t max_len = 0;

  // Row of X / of the input projection for (time, batch).
  int64_t x_row(int64_t t, int64_t b_) const { return layout == 0 ? t * batch + b_ : b_ * seq + t; }
  // Element offset of Y[t, d, b, :] (layout 0) / Y[b, t, d, :] (layout 1).
  int64_t y_off(int64_t t, int64_t d, int64_t b_) const {
    return (layout == 0 ? (t * dirs + d) * batch + b_ : (b_ * seq + t) * dirs + d) * hidden;
  }
  // Element offset of Y_h[d, b, :] / initial_h (layout 0) or [b, d, :] (layout 1).
  int64_t h_off(int64_t d, int64_t b_) const {
    return (layout == 0 ? d * batch + b_ : b_ * dirs + d) * hidden;
  }
};

Expected<RnnGeom> rnn_geometry(KernelContext& ctx, const RnnAttrs& attrs);

// The time step that batch entry b processes at iteration s of direction d, or -1 when b's
// sequence has ended (sequences shorter than seq stop early; reverse starts at their last step).
inline int64_t step_time(const RnnGeom& g, bool backwards, int64_t s, int64_t b) {
  const int64_t len = g.lens[static_cast<size_t>(b)];
  if (s >= len) return -1;
  return backwards ? len - 1 - s : s;
}

// Element i of a float tensor (float16/32/64, bfloat16) as double, and back (rounded once).
inline double load_f(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat32: return t.data<float>()[i];
    case DType::kFloat64: return t.data<double>()[i];
    case DType::kFloat16: return half_to_float(t.data<uint16_t>()[i]);
    case DType::kBFloat16: return bfloat16_to_float(t.data<uint16_t>()[i]);
    default: return 0.0;
  }
}
inline void store_f(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::kFloat32: t.data<float>()[i] = static_cast<float>(v); break;
    case DType::kFloat64: t.data<double>()[i] = v; break;
    case DType::kFloat16: t.data<uint16_t>()[i] = float_to_half(static_cast<float>(v)); break;
    case DType::kBFloat16: t.data<uint16_t>()[i] = float_to_bfloat16(static_cast<float>(v)); break;
    default: break;
  }
}

// v[j] = clip(v[j] + pre[j]) for the CPU kernels (recurrent.cc, recurrent_lstm.cc): a gate's
// recurrent product plus its input projection, clipped when the layer has a clip.
void add_clip(float* v, const float* pre, int64_t n, bool do_clip, float clip);

// An activation in place over n contiguous floats; sigmoid, tanh, relu, leaky relu and hard
// sigmoid go through the vectorized element-wise microkernels, the rest use activate().
void activate_span(const Activation& a, float* x, int64_t n);

}  // namespace onnxrt::kernels::rnn

namespace onnxrt::kernels {

Expected<std::unique_ptr<Kernel>> make_cpu_rnn(const KernelInit& init);  // RNN, GRU, LSTM
// The float32 LSTM kernel for constant W and R (recurrent_lstm.cc); null when they do not fit.
std::unique_ptr<Kernel> make_cpu_lstm_interleaved(const rnn::RnnAttrs& at, const Tensor& w, const Tensor& r);
Expected<std::unique_ptr<Kernel>> make_ref_rnn(const KernelInit& init);

}  // namespace onnxrt::kernels
