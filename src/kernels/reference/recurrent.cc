// Reference (oracle) kernels of the recurrent family: RNN, GRU, LSTM written straight from the
// spec's equations, one batch entry and one hidden unit at a time, in double for every float
// type (float16, bfloat16, float, double).
#include <algorithm>
#include <vector>

#include "kernels/cpu/recurrent_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

using rnn::Cell;

class RefRnnKernel final : public Kernel {
 public:
  explicit RefRnnKernel(rnn::RnnAttrs at) : at_(std::move(at)) {}
  const char* variant() const override { return "reference"; }

  Status run(KernelContext& ctx) const override {
    ONNXRT_ASSIGN_OR_RETURN(rnn::RnnGeom g, rnn::rnn_geometry(ctx, at_));
    const int64_t G = at_.gates(), H = g.hidden, I = g.input;
    Tensor* y = ctx.num_outputs() > 0 ? ctx.output(0) : nullptr;
    Tensor* yh = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    Tensor* yc = ctx.num_outputs() > 2 && at_.cell == Cell::kLstm ? ctx.output(2) : nullptr;
    if (y)
      for (int64_t i = 0; i < y->size(); ++i) rnn::store_f(*y, i, 0.0);

    std::vector<double> h(static_cast<size_t>(H)), c(static_cast<size_t>(H)),
        pre(static_cast<size_t>(G * H)), gate(static_cast<size_t>(G * H));
    auto clip = [&](double v) {
      if (!at_.clip) return v;
      const double cl = *at_.clip;
      return std::min(std::max(v, -cl), cl);
    };
    for (int64_t d = 0; d < g.dirs; ++d) {
      const bool backwards = at_.reverse || d == 1;
      const rnn::Activation& f = at_.act(d, 0);
      const rnn::Activation& gg = at_.act(d, std::min<int64_t>(1, at_.acts_per_dir() - 1));
      const rnn::Activation& hh = at_.act(d, at_.acts_per_dir() - 1);
      auto W = [&](int64_t row, int64_t k) { return rnn::load_f(*g.w, (d * G * H + row) * I + k); };
      auto R = [&](int64_t row, int64_t k) { return rnn::load_f(*g.r, (d * G * H + row) * H + k); };
      auto Wb = [&](int64_t row) { return g.b ? rnn::load_f(*g.b, d * 2 * G * H + row) : 0.0; };
      auto Rb = [&](int64_t row) { return g.b ? rnn::load_f(*g.b, d * 2 * G * H + G * H + row) : 0.0; };
      for (int64_t b = 0; b < g.batch; ++b) {
        for (int64_t j = 0; j < H; ++j) {
          h[j] = g.h0 ? rnn::load_f(*g.h0, g.h_off(d, b) + j) : 0.0;
          c[j] = g.c0 ? rnn::load_f(*g.c0, g.h_off(d, b) + j) : 0.0;
        }
        for (int64_t s = 0; s < g.max_len; ++s) {
          const int64_t t = rnn::step_time(g, backwards, s, b);
          if (t < 0) break;
          const int64_t xo = g.x_row(t, b) * I;
          // pre = x W^T + Wb (+ h R^T + Rb, except GRU's h gate, done below).
          for (int64_t row = 0; row < G * H; ++row) {
            double acc = Wb(row);
            for (int64_t k = 0; k < I; ++k) acc += rnn::load_f(*g.x, xo + k) * W(row, k);
            const bool gru_h = at_.cell == Cell::kGru && row >= 2 * H;
            if (!gru_h) {
              acc += Rb(row);
              for (int64_t k = 0; k < H; ++k) acc += h[k] * R(row, k);
            }
            pre[row] = acc;
          }
          if (at_.cell == Cell::kRnn) {
            for (int64_t j = 0; j < H; ++j) h[j] = rnn::activate(f, clip(pre[j]));
          } else if (at_.cell == Cell::kGru) {
            for (int64_t j = 0; j < 2 * H; ++j) gate[j] = rnn::activate(f, clip(pre[j]));
            const double* r = gate.data() + H;
            for (int64_t j = 0; j < H; ++j) {
              const int64_t row = 2 * H + j;
              double rec = 0;
              if (at_.linear_before_reset) {
                for (int64_t k = 0; k < H; ++k) rec += h[k] * R(row, k);
                rec = r[j] * (rec + Rb(row));
              } else {
                for (int64_t k = 0; k < H; ++k) rec += r[k] * h[k] * R(row, k);
                rec += Rb(row);
              }
              gate[row] = rnn::activate(gg, clip(pre[row] + rec));
            }
            for (int64_t j = 0; j < H; ++j) {
              const double z = gate[j];
              h[j] = (1.0 - z) * gate[2 * H + j] + z * h[j];
            }
          } else {  // LSTM: gates i, o, f, c; peepholes P = [Pi, Po, Pf]
            auto P = [&](int64_t k) { return g.p ? rnn::load_f(*g.p, d * 3 * H + k) : 0.0; };
            for (int64_t j = 0; j < H; ++j) {
              const double i = rnn::activate(f, clip(pre[j] + P(j) * c[j]));
              const double fg = at_.input_forget ? 1.0 - i
                                                 : rnn::activate(f, clip(pre[2 * H + j] + P(2 * H + j) * c[j]));
              const double cc = rnn::activate(gg, clip(pre[3 * H + j]));
              c[j] = fg * c[j] + i * cc;
              const double o = rnn::activate(f, clip(pre[H + j] + P(H + j) * c[j]));
              h[j] = o * rnn::activate(hh, c[j]);
            }
          }
          if (y)
            for (int64_t j = 0; j < H; ++j) rnn::store_f(*y, g.y_off(t, d, b) + j, h[j]);
        }
        for (int64_t j = 0; j < H; ++j) {
          if (yh) rnn::store_f(*yh, g.h_off(d, b) + j, h[j]);
          if (yc) rnn::store_f(*yc, g.h_off(d, b) + j, c[j]);
        }
      }
    }
    return Status::ok();
  }

 private:
  rnn::RnnAttrs at_;
};

const KernelEntry kRefRecurrent[] = {
    {"", "RNN", 1, kMaxOpset, DType::kUndefined, &make_ref_rnn},
    {"", "GRU", 1, kMaxOpset, DType::kUndefined, &make_ref_rnn},
    {"", "LSTM", 1, kMaxOpset, DType::kUndefined, &make_ref_rnn},
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_rnn(const KernelInit& init) {
  const DType dt = init.input_types.empty() || !init.input_types[0] ? DType::kUndefined
                                                                   : init.input_types[0]->dtype;
  if (dt != DType::kFloat32 && dt != DType::kFloat64 && dt != DType::kFloat16 &&
      dt != DType::kBFloat16)
    return init.error("X must be float16, bfloat16, float or double, got " +
                      std::string(dtype_name(dt)));
  ONNXRT_ASSIGN_OR_RETURN(rnn::RnnAttrs at, rnn::read_rnn_attrs(init));
  return std::unique_ptr<Kernel>(new RefRnnKernel(std::move(at)));
}

std::span<const KernelEntry> reference_recurrent_kernels() { return kRefRecurrent; }

}  // namespace onnxrt::kernels
