// CPU kernels of the recurrent family: RNN, GRU, LSTM in float32.
//
// Per direction, the input projection X·Wᵀ (+ biases) for every time step is one GEMM with
// M = seq*batch rows, which is where most of the work of a short-hidden RNN is. The recurrence
// H·Rᵀ is one GEMM per step over the whole batch; gates are then applied elementwise. Batch
// entries whose sequence has ended (sequence_lens) still take part in the GEMM (cheaper than
// compacting rows) but their state is left untouched, so the final state is the one of their
// last step. W and R are constant in exported models, so create() packs them once into the
// GEMM's panel layout. Other float types use the reference kernel. An LSTM whose W and R are
// constants runs in recurrent_lstm.cc instead (steps split over threads by hidden units).
#include <algorithm>
#include <cstring>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/recurrent_common.h"
#include "kernels/kernel_families.h"
#include "kernels/ukernels/elementwise/ukernels.h"

namespace onnxrt::kernels {

namespace {

using rnn::Cell;

// Weights of one direction, packed for C = A · Wᵀ. GRU keeps R's z/r rows and h rows apart,
// because its h gate multiplies (r ⊙ H) rather than H.
struct PackedDir {
  PackedB w;    // [I] -> [G*H]
  PackedB r;    // [H] -> [G*H] (GRU: [H] -> [2H])
  PackedB r_h;  // GRU only: [H] -> [H]
};

// C[M,N] = A[M,K] · Bt[N,K]ᵀ (+ C when accumulate), from the packed copy when there is one.
void gemm_bt(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* Bt,
             const PackedB* packed, float* C, int64_t ldc, ThreadPool* pool) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (int64_t m = 0; m < M; ++m) std::fill(C + m * ldc, C + m * ldc + N, 0.0f);
    return;
  }
  if (packed && !packed->empty()) {
    sgemm_packed(false, M, 1.0f, A, lda, *packed, 0.0f, C, ldc, pool);
  } else {
    sgemm(false, true, M, N, K, 1.0f, A, lda, Bt, K, 0.0f, C, ldc, pool);
  }
}

using rnn::activate_span;
using rnn::add_clip;

class CpuRnnKernel final : public Kernel {
 public:
  CpuRnnKernel(rnn::RnnAttrs at, std::vector<PackedDir> packed, int64_t packed_i, int64_t packed_h)
      : at_(std::move(at)), packed_(std::move(packed)), packed_i_(packed_i), packed_h_(packed_h) {}
  const char* variant() const override { return "sgemm"; }

  Status run(KernelContext& ctx) const override {
    ONNXRT_ASSIGN_OR_RETURN(rnn::RnnGeom g, rnn::rnn_geometry(ctx, at_));
    if (g.x->dtype() != DType::kFloat32) return ctx.error("the CPU kernel takes float32 only");
    const int64_t G = at_.gates(), H = g.hidden, I = g.input, B = g.batch, S = g.seq;
    const int64_t GH = G * H;
    const bool use_packed = !packed_.empty() && packed_i_ == I && packed_h_ == H;
    Tensor* y = ctx.num_outputs() > 0 ? ctx.output(0) : nullptr;
    Tensor* yh = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    Tensor* yc = ctx.num_outputs() > 2 && at_.cell == Cell::kLstm ? ctx.output(2) : nullptr;
    if (y && y->size() > 0) std::memset(y->raw(), 0, y->nbytes());

    // Scratch: projections [S*B, GH], recurrent products [B, GH], state h and c [B, H], and
    // r ⊙ h [B, H] (GRU).
    const size_t n_xw = static_cast<size_t>(S * B * GH), n_hr = static_cast<size_t>(B * GH),
                 n_bh = static_cast<size_t>(B * H);
    float* xw = static_cast<float*>(ctx.scratch((n_xw + n_hr + 3 * n_bh + 64) * sizeof(float)));
    float* hr = xw + n_xw;
    float* h = hr + n_hr;
    float* c = h + n_bh;
    float* rh = c + n_bh;
    ThreadPool* pool = &ctx.threads();
    const float* X = g.x->data<float>();
    const float clip = at_.clip ? *at_.clip : 0.0f;
    const bool do_clip = at_.clip.has_value();

    for (int64_t d = 0; d < g.dirs; ++d) {
      const bool backwards = at_.reverse || d == 1;
      const rnn::Activation f = at_.act(d, 0);
      const rnn::Activation ga = at_.act(d, std::min<int64_t>(1, at_.acts_per_dir() - 1));
      const rnn::Activation ha = at_.act(d, at_.acts_per_dir() - 1);
      const float* Wd = g.w->data<float>() + d * GH * I;
      const float* Rd = g.r->data<float>() + d * GH * H;
      const PackedDir* pk = use_packed ? &packed_[static_cast<size_t>(d)] : nullptr;
      gemm_bt(S * B, GH, I, X, I, Wd, pk ? &pk->w : nullptr, xw, GH, pool);
      if (g.b) {
        // Fold Wb + Rb into the projection, except GRU's Rbh under linear_before_reset, which
        // sits inside r ⊙ (H·Rhᵀ + Rbh).
        const float* bw = g.b->data<float>() + d * 2 * GH;
        const float* br = bw + GH;
        std::vector<float> bias(static_cast<size_t>(GH));
        for (int64_t k = 0; k < GH; ++k) {
          const bool keep_rb = at_.cell == Cell::kGru && at_.linear_before_reset && k >= 2 * H;
          bias[static_cast<size_t>(k)] = bw[k] + (keep_rb ? 0.0f : br[k]);
        }
        ctx.threads().parallel_for(S * B, static_cast<double>(GH), [&](int64_t r0, int64_t r1) {
          for (int64_t row = r0; row < r1; ++row)
            for (int64_t k = 0; k < GH; ++k) xw[row * GH + k] += bias[static_cast<size_t>(k)];
        });
      }
      const float* rbh = g.b && at_.cell == Cell::kGru && at_.linear_before_reset
                             ? g.b->data<float>() + d * 2 * GH + GH + 2 * H
                             : nullptr;
      const float* P = g.p ? g.p->data<float>() + d * 3 * H : nullptr;
      for (int64_t b = 0; b < B; ++b) {
        for (int64_t j = 0; j < H; ++j) {
          h[b * H + j] = g.h0 ? g.h0->data<float>()[g.h_off(d, b) + j] : 0.0f;
          c[b * H + j] = g.c0 ? g.c0->data<float>()[g.h_off(d, b) + j] : 0.0f;
        }
      }

      for (int64_t s = 0; s < g.max_len; ++s) {
        auto pre_of = [&](int64_t b, int64_t t) { return xw + g.x_row(t, b) * GH; };
        const int64_t rec_n = at_.cell == Cell::kGru ? 2 * H : GH;
        gemm_bt(B, rec_n, H, h, H, Rd, pk ? &pk->r : nullptr, hr, rec_n, pool);
        const double cost = static_cast<double>(H) * 30.0;
        ThreadPool& tp = ctx.threads();
        if (at_.cell == Cell::kRnn) {
          tp.parallel_for(B, cost, [&](int64_t b0, int64_t b1) {
            for (int64_t b = b0; b < b1; ++b) {
              const int64_t t = rnn::step_time(g, backwards, s, b);
              if (t < 0) continue;
              float* v = hr + b * H;
              add_clip(v, pre_of(b, t), H, do_clip, clip);
              activate_span(f, v, H);
              std::memcpy(h + b * H, v, static_cast<size_t>(H) * sizeof(float));
            }
          });
        } else if (at_.cell == Cell::kGru) {
          // z and r first, in place in hr's row [z | r].
          tp.parallel_for(B, cost, [&](int64_t b0, int64_t b1) {
            for (int64_t b = b0; b < b1; ++b) {
              const int64_t t = rnn::step_time(g, backwards, s, b);
              float* zr = hr + b * 2 * H;
              if (t < 0) {
                std::fill(rh + b * H, rh + b * H + H, 0.0f);
                continue;
              }
              add_clip(zr, pre_of(b, t), 2 * H, do_clip, clip);
              activate_span(f, zr, 2 * H);
              if (!at_.linear_before_reset)
                for (int64_t j = 0; j < H; ++j) rh[b * H + j] = zr[H + j] * h[b * H + j];
            }
          });
          // The h gate's recurrent term: (r ⊙ H)·Rhᵀ, or H·Rhᵀ (linear_before_reset). hr holds
          // B*3H floats: [0, 2BH) z and r, [2BH, 3BH) this product.
          float* hh = hr + B * 2 * H;
          gemm_bt(B, H, H, at_.linear_before_reset ? h : rh, H, Rd + 2 * H * H,
                  pk ? &pk->r_h : nullptr, hh, H, pool);
          tp.parallel_for(B, cost, [&](int64_t b0, int64_t b1) {
            for (int64_t b = b0; b < b1; ++b) {
              const int64_t t = rnn::step_time(g, backwards, s, b);
              if (t < 0) continue;
              const float* zr = hr + b * 2 * H;
              float* v = hh + b * H;
              if (at_.linear_before_reset)
                for (int64_t j = 0; j < H; ++j) v[j] = zr[H + j] * (v[j] + (rbh ? rbh[j] : 0.0f));
              add_clip(v, pre_of(b, t) + 2 * H, H, do_clip, clip);
              activate_span(ga, v, H);
              float* hb = h + b * H;
              for (int64_t j = 0; j < H; ++j) hb[j] = (1.0f - zr[j]) * v[j] + zr[j] * hb[j];
            }
          });
        } else {  // LSTM, gates i, o, f, c in hr's row; rh's row holds act(c)
          tp.parallel_for(B, cost, [&](int64_t b0, int64_t b1) {
            for (int64_t b = b0; b < b1; ++b) {
              const int64_t t = rnn::step_time(g, backwards, s, b);
              if (t < 0) continue;
              const float* pre = pre_of(b, t);
              float* gi = hr + b * GH;
              float* go = gi + H;
              float* gf = gi + 2 * H;
              float* gc = gi + 3 * H;
              float* cb = c + b * H;
              if (P) {
                // i and f see the previous cell state; o sees the new one, so it waits.
                for (int64_t j = 0; j < H; ++j) {
                  gi[j] += P[j] * cb[j];
                  gf[j] += P[2 * H + j] * cb[j];
                }
                add_clip(gi, pre, H, do_clip, clip);
                add_clip(gf, pre + 2 * H, 2 * H, do_clip, clip);  // f and c
              } else {
                add_clip(gi, pre, GH, do_clip, clip);
              }
              activate_span(f, gi, H);
              if (at_.input_forget) {
                for (int64_t j = 0; j < H; ++j) gf[j] = 1.0f - gi[j];
              } else {
                activate_span(f, gf, H);
              }
              activate_span(ga, gc, H);
              for (int64_t j = 0; j < H; ++j) cb[j] = gf[j] * cb[j] + gi[j] * gc[j];
              if (P) {
                for (int64_t j = 0; j < H; ++j) go[j] += P[H + j] * cb[j];
                add_clip(go, pre + H, H, do_clip, clip);
              }
              activate_span(f, go, H);
              float* act_c = rh + b * H;
              std::memcpy(act_c, cb, static_cast<size_t>(H) * sizeof(float));
              activate_span(ha, act_c, H);
              float* hb = h + b * H;
              for (int64_t j = 0; j < H; ++j) hb[j] = go[j] * act_c[j];
            }
          });
        }
        if (y) {
          float* yd = y->data<float>();
          for (int64_t b = 0; b < B; ++b) {
            const int64_t t = rnn::step_time(g, backwards, s, b);
            if (t >= 0) std::memcpy(yd + g.y_off(t, d, b), h + b * H, static_cast<size_t>(H) * 4);
          }
        }
      }
      for (int64_t b = 0; b < B; ++b) {
        if (yh) std::memcpy(yh->data<float>() + g.h_off(d, b), h + b * H, static_cast<size_t>(H) * 4);
        if (yc) std::memcpy(yc->data<float>() + g.h_off(d, b), c + b * H, static_cast<size_t>(H) * 4);
      }
    }
    return Status::ok();
  }

 private:
  rnn::RnnAttrs at_;
  std::vector<PackedDir> packed_;  // empty: W or R not constant
  int64_t packed_i_ = -1, packed_h_ = -1;
};

const KernelEntry kCpuRecurrent[] = {
    {"", "RNN", 1, kMaxOpset, DType::kFloat32, &make_cpu_rnn},
    {"", "GRU", 1, kMaxOpset, DType::kFloat32, &make_cpu_rnn},
    {"", "LSTM", 1, kMaxOpset, DType::kFloat32, &make_cpu_rnn},
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_rnn(const KernelInit& init) {
  const DType dt = init.input_types.empty() || !init.input_types[0] ? DType::kUndefined
                                                                   : init.input_types[0]->dtype;
  if (dt != DType::kFloat32)
    return Status(ErrorCode::kNotImplemented,
                  init.error("the CPU kernel takes float32, got " + std::string(dtype_name(dt))).message());
  ONNXRT_ASSIGN_OR_RETURN(rnn::RnnAttrs at, rnn::read_rnn_attrs(init));
  std::vector<PackedDir> packed;
  int64_t pi = -1, ph = -1;
  const Tensor* w = init.constant_inputs.size() > 1 ? init.constant_inputs[1] : nullptr;
  const Tensor* r = init.constant_inputs.size() > 2 ? init.constant_inputs[2] : nullptr;
  if (w && r && at.cell == Cell::kLstm) {
    if (std::unique_ptr<Kernel> k = make_cpu_lstm_interleaved(at, *w, *r)) return k;
  }
  // Pack only well-formed constants; run() reports shape errors against the actual inputs.
  if (w && r && w->dtype() == DType::kFloat32 && r->dtype() == DType::kFloat32 && w->rank() == 3 &&
      r->rank() == 3 && w->dim(0) == at.dirs && r->dim(0) == at.dirs) {
    const int64_t H = at.hidden_size > 0 ? at.hidden_size : r->dim(2);
    const int64_t G = at.gates(), I = w->dim(2);
    if (H > 0 && I > 0 && w->dim(1) == G * H && r->dim(1) == G * H && r->dim(2) == H) {
      for (int64_t d = 0; d < at.dirs; ++d) {
        PackedDir p;
        const float* wd = w->data<float>() + d * G * H * I;
        const float* rd = r->data<float>() + d * G * H * H;
        p.w = PackedB::pack(true, I, G * H, wd, I);
        if (at.cell == Cell::kGru) {
          p.r = PackedB::pack(true, H, 2 * H, rd, H);
          p.r_h = PackedB::pack(true, H, H, rd + 2 * H * H, H);
        } else {
          p.r = PackedB::pack(true, H, G * H, rd, H);
        }
        packed.push_back(std::move(p));
      }
      pi = I;
      ph = H;
    }
  }
  return std::unique_ptr<Kernel>(new CpuRnnKernel(std::move(at), std::move(packed), pi, ph));
}

std::span<const KernelEntry> cpu_recurrent_kernels() { return kCpuRecurrent; }

}  // namespace onnxrt::kernels
