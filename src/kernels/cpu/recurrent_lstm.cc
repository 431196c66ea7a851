// LSTM in float32 with constant W and R: the recurrence split over threads by hidden units.
//
// A step is H·Rᵀ ([B,H] x [H,4H]) and then gates that, for hidden unit j, read product columns
// j, H+j, 2H+j and 3H+j. Here the rows of W and R are packed in blocks of kBlock units, gate-
// interleaved ([i o f c] of units j0..j0+kBlock-1, then the next block), so one contiguous range
// of packed columns holds every gate of one contiguous range of units. A thread that owns a range
// of blocks computes its part of the product, its units' cells and its slice of the new h alone;
// the threads meet once per step, because the next product reads all of h. The generic kernel
// (recurrent.cc) pays a fork/join for every step's GEMM and runs the gates on one thread: on the
// benchmark LSTM (hidden 256, batch 4, a step is ~20 us of work) 2 threads gained only 15% there
// (2.98 -> 2.59 ms; onnxruntime 2.79 -> 1.76). Each thread also reads only its share of R (1 MB at hidden 256, a whole
// Zen 4 L2), which stays in its core's cache from step to step.
// On AVX2 CPUs without AVX-512 the step product runs on row panels (ukernels::sgemm_rows_avx2:
// tiles of 4 rows x 24 columns, reading h in place) instead of the packed-B GEMM, whose 4-row
// tiles keep too few accumulators for the FMA latency (recurrent_bench: the step 91-93 -> 92-95
// GFLOP/s, the input projection below 94-95 -> 97.5-98; the benchmark LSTM 2.72 -> 2.65 ms for
// both). Elsewhere the packed-B GEMM's own tiles (AVX-512: 32 columns) run both.
// The input projection X·Wᵀ of all steps is one product up front, parallel over its rows, in the
// same interleaved column order. With the default activations (every PyTorch export) a unit's gates
// then run as one fused pass (ew::lstm_cell_f32_ukernel) that also adds both biases; otherwise the
// biases are folded into the projection and the gates run span by span.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "base/cpu_features.h"
#include "base/thread_pool.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/recurrent_common.h"
#include "kernels/ukernels/elementwise/ukernels.h"
#include "kernels/ukernels/gemm/sgemm.h"
#include "tensor/tensor_alloc.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ONNXRT_LSTM_PAUSE() _mm_pause()
#else
#define ONNXRT_LSTM_PAUSE() ((void)0)
#endif

namespace onnxrt::kernels {

namespace {

// Hidden units per interleaved block: 4*64 columns, a multiple of every GEMM panel width (so a
// block boundary is a legal start column for sgemm_packed_columns), and fine enough to split
// hidden 256 over 4 threads. Smaller blocks would multiply the gate calls (one per block, batch
// row and gate kind) without helping 1-2 threads.
constexpr int64_t kBlock = 64;
static_assert((4 * kBlock) % kPackedColumnAlign == 0);
static_assert((4 * kBlock) % ukernels::kRowPanelStep == 0);  // row panels of a block start aligned

// Per participant and step, below this many multiply-adds another thread costs more (meeting
// once per step, ~0.3 us on two cores) than it saves.
constexpr double kMinMacsPerThread = 65536.0;

using rnn::activate_span;
using rnn::add_clip;

// Packed column q <-> row of W / R in ONNX order (gates i, o, f, c, each H rows).
int64_t source_row(int64_t q, int64_t H) {
  const int64_t blk = q / (4 * kBlock), within = q % (4 * kBlock);
  const int64_t width = std::min(kBlock, H - blk * kBlock);
  return (within / width) * H + blk * kBlock + within % width;
}

// M [4H, cols] (one direction of W or R) with its rows in interleaved order, packed for A · Mᵀ.
PackedB pack_interleaved(const float* m, int64_t H, int64_t cols) {
  std::vector<float> rows(static_cast<size_t>(4 * H * cols));
  for (int64_t q = 0; q < 4 * H; ++q)
    std::memcpy(rows.data() + q * cols, m + source_row(q, H) * cols, static_cast<size_t>(cols) * sizeof(float));
  return PackedB::pack(true, cols, 4 * H, rows.data(), cols);
}

using ukernels::kRowPanelStep;
using ukernels::kRowPanelWidth;

int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

// M [4H, K] (one direction of W or R) in interleaved order as row panels (ukernels::SgemmRowsFn):
// per block of units, its 4n columns in panels of kRowPanelWidth, the last one narrower (rounded
// up to kRowPanelStep, zero-padded). Block b starts at b * 4 * kBlock * K floats: every block but
// the last is full and 4 * kBlock is a multiple of kRowPanelStep. Null when out of memory.
std::shared_ptr<float> pack_row_panels(const float* m, int64_t H, int64_t K) {
  const int64_t nblk = (H + kBlock - 1) / kBlock;
  const int64_t last = 4 * (H - (nblk - 1) * kBlock);
  const size_t count = static_cast<size_t>(((nblk - 1) * 4 * kBlock + round_up(last, kRowPanelStep)) * K);
  std::shared_ptr<void> storage = allocate_weight_bytes(count * sizeof(float));
  if (!storage) return nullptr;
  std::shared_ptr<float> data(storage, static_cast<float*>(storage.get()));
  float* out = data.get();
  for (int64_t blk = 0; blk < nblk; ++blk) {
    const int64_t q0 = blk * 4 * kBlock, cols = 4 * std::min(kBlock, H - blk * kBlock);
    for (int64_t j0 = 0; j0 < cols; j0 += kRowPanelWidth) {
      const int64_t w = std::min(kRowPanelWidth, cols - j0), pw = round_up(w, kRowPanelStep);
      // Column by column: each reads one contiguous row of M (a panel, K * pw floats, stays in L2).
      for (int64_t jj = 0; jj < pw; ++jj) {
        const float* row = jj < w ? m + source_row(q0 + j0 + jj, H) * K : nullptr;
        for (int64_t k = 0; k < K; ++k) out[k * pw + jj] = row ? row[k] : 0.0f;
      }
      out += K * pw;
    }
  }
  return data;
}

// C [rows, 4H] (row stride ldc) = A [rows, K] (row stride lda) times the row panels P of
// pack_row_panels(., H, K), for the unit blocks [b0, b1).
void row_panels_product(int64_t rows, const float* a, int64_t lda, const float* p, int64_t H, int64_t K,
                        int64_t b0, int64_t b1, float* c, int64_t ldc) {
  for (int64_t blk = b0; blk < b1; ++blk) {
    const int64_t q = blk * 4 * kBlock, cols = 4 * std::min(kBlock, H - blk * kBlock);
    const float* panel = p + q * K;
    for (int64_t j0 = 0; j0 < cols; j0 += kRowPanelWidth, panel += kRowPanelWidth * K)
      ukernels::sgemm_rows_avx2(rows, std::min(kRowPanelWidth, cols - j0), K, a, lda, panel, c + q + j0, ldc);
  }
}

// Whether the step product runs on row panels here (see the header).
bool use_row_panels() { return cpu_features().has_avx2_fma() && !cpu_features().has_avx512(); }

struct DirWeights {
  PackedB w;                      // [I] -> [4H], interleaved columns; empty with row panels
  PackedB r;                      // [H] -> [4H], interleaved columns; empty with row panels
  std::shared_ptr<float> w_rows;  // W and R as row panels (pack_row_panels), or null
  std::shared_ptr<float> r_rows;
};

// Rows of X per task of the input projection on row panels: the rows' inputs (<= 64 KiB) stay in
// cache while every panel of W passes over them.
int64_t projection_rows(int64_t input) { return std::clamp<int64_t>(16384 / std::max<int64_t>(input, 1) / 4 * 4, 4, 256); }

class CpuLstmKernel final : public Kernel {
 public:
  CpuLstmKernel(rnn::RnnAttrs at, std::vector<DirWeights> dirs, int64_t input, int64_t hidden)
      : at_(std::move(at)), dirs_(std::move(dirs)), input_(input), hidden_(hidden),
        default_cell_(has_default_cell(at_)) {}
  const char* variant() const override {
    return !dirs_.empty() && dirs_.front().r_rows ? "row_panels_avx2" : "sgemm_interleaved";
  }
  // W and R are read only through their packed copies (run() checks their shapes, not data).
  bool prepacked_input(size_t i) const override { return i == 1 || i == 2; }

  Status run(KernelContext& ctx) const override {
    ONNXRT_ASSIGN_OR_RETURN(rnn::RnnGeom g, rnn::rnn_geometry(ctx, at_));
    if (g.x->dtype() != DType::kFloat32) return ctx.error("the CPU kernel takes float32 only");
    if (g.input != input_ || g.hidden != hidden_ || g.dirs != static_cast<int64_t>(dirs_.size()))
      return ctx.error("W / R shapes differ from the constants packed at session creation");
    const int64_t H = g.hidden, GH = 4 * H, B = g.batch, S = g.seq, D = g.dirs;
    Tensor* y = ctx.num_outputs() > 0 ? ctx.output(0) : nullptr;
    Tensor* yh = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    Tensor* yc = ctx.num_outputs() > 2 ? ctx.output(2) : nullptr;
    // Y past a sequence's end is zero; every other element is written by a step.
    if (y && y->size() > 0 &&
        std::any_of(g.lens.begin(), g.lens.end(), [&](int64_t l) { return l < S; }))
      std::memset(y->raw(), 0, y->nbytes());

    // Scratch per direction: projections [S*B, 4H], step products [B, 4H], h twice (read one,
    // write the other: a thread must not overwrite h that another still multiplies), c, and the
    // interleaved bias [4H].
    const int64_t n_xw = S * B * GH, n_hr = B * GH, n_bh = B * H;
    const int64_t per_dir = n_xw + n_hr + 3 * n_bh + GH;
    float* base = static_cast<float*>(ctx.scratch(static_cast<size_t>(D * per_dir + 16) * sizeof(float)));
    if (!base) return ctx.error("out of memory for LSTM scratch");
    // Peepholes need the cell state between the gates: only the span-by-span path has them.
    State st{&g, y, base, per_dir, n_xw, n_hr, n_bh, default_cell_ && g.p == nullptr};

    ThreadPool* pool = &ctx.threads();
    for (int64_t d = 0; d < D; ++d) {
      float* xw = st.xw(d);
      float* bias = st.bias(d);
      if (g.b) {
        const float* bw = g.b->data<float>() + d * 2 * GH;
        for (int64_t q = 0; q < GH; ++q) {
          const int64_t k = source_row(q, H);
          bias[q] = bw[k] + bw[GH + k];
        }
      }
      const DirWeights& dw = dirs_[static_cast<size_t>(d)];
      const bool add_bias = g.b && !st.fused;
      if (dw.w_rows) {
        // Tasks of (row chunk, unit block), chunk-major so that a thread's blocks share its rows.
        const int64_t R = S * B, I = g.input, nblk = (H + kBlock - 1) / kBlock;
        const int64_t chunk = projection_rows(I), chunks = (R + chunk - 1) / chunk;
        const float* xd = g.x->data<float>();
        pool->parallel_for(chunks * nblk, static_cast<double>(chunk * 4 * kBlock * I), [&](int64_t t0, int64_t t1) {
          for (int64_t t = t0; t < t1; ++t) {
            const int64_t r0 = t / nblk * chunk, rows = std::min(chunk, R - r0), blk = t % nblk;
            row_panels_product(rows, xd + r0 * I, I, dw.w_rows.get(), H, I, blk, blk + 1, xw + r0 * GH, GH);
            if (!add_bias) continue;
            const int64_t q = blk * 4 * kBlock, cols = 4 * std::min(kBlock, H - blk * kBlock);
            for (int64_t r = r0; r < r0 + rows; ++r)
              for (int64_t j = q; j < q + cols; ++j) xw[r * GH + j] += bias[j];
          }
        });
      } else if (add_bias) {
        sgemm_packed_bias(false, S * B, 1.0f, g.x->data<float>(), g.input, dw.w, 1.0f, bias, xw, GH, pool);
      } else {
        sgemm_packed(false, S * B, 1.0f, g.x->data<float>(), g.input, dw.w, 0.0f, xw, GH, pool);
      }
      float* h = st.h(d, 0);
      float* c = st.c(d);
      for (int64_t b = 0; b < B; ++b) {
        for (int64_t j = 0; j < H; ++j) {
          h[b * H + j] = g.h0 ? g.h0->data<float>()[g.h_off(d, b) + j] : 0.0f;
          c[b * H + j] = g.c0 ? g.c0->data<float>()[g.h_off(d, b) + j] : 0.0f;
        }
      }
    }

    const int64_t nblk = (H + kBlock - 1) / kBlock;
    const int64_t total_blocks = D * nblk;
    const double macs = static_cast<double>(D * B * GH) * static_cast<double>(H);
    int64_t parts = std::min<int64_t>(pool->num_threads(), total_blocks);
    parts = std::min<int64_t>(parts, std::max<int64_t>(1, static_cast<int64_t>(macs / kMinMacsPerThread)));
    if (g.max_len > 0) {
      if (parts <= 1) {
        for (int64_t s = 0; s < g.max_len; ++s) step_blocks(st, s, 0, total_blocks);
      } else {
        run_parallel(st, parts, total_blocks, *pool);
      }
    }

    const int64_t last = g.max_len % 2;
    for (int64_t d = 0; d < D; ++d) {
      for (int64_t b = 0; b < B; ++b) {
        if (yh) std::memcpy(yh->data<float>() + g.h_off(d, b), st.h(d, last) + b * H, static_cast<size_t>(H) * 4);
        if (yc) std::memcpy(yc->data<float>() + g.h_off(d, b), st.c(d) + b * H, static_cast<size_t>(H) * 4);
      }
    }
    return Status::ok();
  }

 private:
  struct State {
    const rnn::RnnGeom* g;
    Tensor* y;
    float* base;
    int64_t per_dir, n_xw, n_hr, n_bh;
    bool fused;  // gates by ew::lstm_cell_f32_ukernel, biases added there, not in the projection
    float* xw(int64_t d) const { return base + d * per_dir; }
    float* hr(int64_t d) const { return xw(d) + n_xw; }
    float* h(int64_t d, int64_t which) const { return hr(d) + n_hr + which * n_bh; }
    float* c(int64_t d) const { return hr(d) + n_hr + 2 * n_bh; }
    float* bias(int64_t d) const { return hr(d) + n_hr + 3 * n_bh; }
  };

  // Step s for the flat blocks [f0, f1) (direction-major: flat = d * nblk + block).
  void step_blocks(const State& st, int64_t s, int64_t f0, int64_t f1) const {
    const int64_t H = hidden_, nblk = (H + kBlock - 1) / kBlock;
    while (f0 < f1) {
      const int64_t d = f0 / nblk;
      const int64_t b0 = f0 % nblk, b1 = std::min(nblk, b0 + (f1 - f0));
      step_direction(st, s, d, b0, b1);
      f0 += b1 - b0;
    }
  }

  // Step s of direction d for blocks [b0, b1): this range's columns of the product, then its
  // units' gates, cells and new h.
  void step_direction(const State& st, int64_t s, int64_t d, int64_t b0, int64_t b1) const {
    const rnn::RnnGeom& g = *st.g;
    const int64_t H = hidden_, GH = 4 * H, B = g.batch;
    const bool backwards = at_.reverse || d == 1;
    const float* h_cur = st.h(d, s % 2);
    float* h_next = st.h(d, (s + 1) % 2);
    float* hr = st.hr(d);
    float* c = st.c(d);
    const float* xw = st.xw(d);
    const int64_t q0 = b0 * 4 * kBlock, q1 = std::min(GH, b1 * 4 * kBlock);
    const DirWeights& dw = dirs_[static_cast<size_t>(d)];
    if (dw.r_rows) {
      row_panels_product(B, h_cur, H, dw.r_rows.get(), H, H, b0, b1, hr, GH);
    } else {
      sgemm_packed_columns(false, B, 1.0f, h_cur, H, dw.r, q0, q1, 0.0f, hr, GH);
    }
    if (st.fused) return cell_fused(st, s, d, b0, b1, backwards);

    const rnn::Activation f = at_.act(d, 0), ga = at_.act(d, 1), ha = at_.act(d, 2);
    const float clip = at_.clip ? *at_.clip : 0.0f;
    const bool do_clip = at_.clip.has_value();
    const float* P = g.p ? g.p->data<float>() + d * 3 * H : nullptr;
    float* yd = st.y && st.y->size() > 0 ? st.y->data<float>() : nullptr;
    for (int64_t b = 0; b < B; ++b) {
      const int64_t t = rnn::step_time(g, backwards, s, b);
      for (int64_t blk = b0; blk < b1; ++blk) {
        const int64_t j0 = blk * kBlock, n = std::min(kBlock, H - j0), q = blk * 4 * kBlock;
        float* hn = h_next + b * H + j0;
        if (t < 0) {  // this sequence has ended: its state stays as it was
          std::memcpy(hn, h_cur + b * H + j0, static_cast<size_t>(n) * sizeof(float));
          continue;
        }
        const float* pre = xw + g.x_row(t, b) * GH + q;
        float* gi = hr + b * GH + q;
        float* go = gi + n;
        float* gf = gi + 2 * n;
        float* gc = gi + 3 * n;
        float* cb = c + b * H + j0;
        if (P) {
          // i and f see the previous cell state; o sees the new one, so it waits.
          for (int64_t j = 0; j < n; ++j) {
            gi[j] += P[j0 + j] * cb[j];
            gf[j] += P[2 * H + j0 + j] * cb[j];
          }
          add_clip(gi, pre, n, do_clip, clip);
          add_clip(gf, pre + 2 * n, 2 * n, do_clip, clip);  // f and c
          activate_span(f, gi, n);
          if (!at_.input_forget) activate_span(f, gf, n);
        } else {
          add_clip(gi, pre, 4 * n, do_clip, clip);
          // i, o and f are adjacent and share one activation.
          activate_span(f, gi, at_.input_forget ? 2 * n : 3 * n);
        }
        if (at_.input_forget)
          for (int64_t j = 0; j < n; ++j) gf[j] = 1.0f - gi[j];
        activate_span(ga, gc, n);
        for (int64_t j = 0; j < n; ++j) cb[j] = gf[j] * cb[j] + gi[j] * gc[j];
        if (P) {
          for (int64_t j = 0; j < n; ++j) go[j] += P[H + j0 + j] * cb[j];
          add_clip(go, pre + n, n, do_clip, clip);
          activate_span(f, go, n);
        }
        // act(c) in the c gate's slot, which is no longer needed.
        std::memcpy(gc, cb, static_cast<size_t>(n) * sizeof(float));
        activate_span(ha, gc, n);
        for (int64_t j = 0; j < n; ++j) hn[j] = go[j] * gc[j];
        if (yd) std::memcpy(yd + g.y_off(t, d, b) + j0, hn, static_cast<size_t>(n) * sizeof(float));
      }
    }
  }

  // The gates of step_direction through the fused cell (State::fused).
  void cell_fused(const State& st, int64_t s, int64_t d, int64_t b0, int64_t b1, bool backwards) const {
    static const ew::LstmCellF32Fn cell = ew::lstm_cell_f32_ukernel();
    const rnn::RnnGeom& g = *st.g;
    const int64_t H = hidden_, GH = 4 * H, B = g.batch;
    const float* h_cur = st.h(d, s % 2);
    float* h_next = st.h(d, (s + 1) % 2);
    float* yd = st.y && st.y->size() > 0 ? st.y->data<float>() : nullptr;
    const float* bias = g.b ? st.bias(d) : nullptr;
    for (int64_t b = 0; b < B; ++b) {
      const int64_t t = rnn::step_time(g, backwards, s, b);
      for (int64_t blk = b0; blk < b1; ++blk) {
        const int64_t j0 = blk * kBlock, n = std::min(kBlock, H - j0), q = blk * 4 * kBlock;
        if (t < 0) {  // this sequence has ended: its state stays as it was
          std::memcpy(h_next + b * H + j0, h_cur + b * H + j0, static_cast<size_t>(n) * sizeof(float));
          continue;
        }
        cell({st.hr(d) + b * GH + q, st.xw(d) + g.x_row(t, b) * GH + q, bias ? bias + q : nullptr,
              st.c(d) + b * H + j0, h_next + b * H + j0, yd ? yd + g.y_off(t, d, b) + j0 : nullptr, n,
              at_.clip ? *at_.clip : 0.0f});
      }
    }
  }

  static bool has_default_cell(const rnn::RnnAttrs& at) {
    if (at.input_forget) return false;
    for (int64_t d = 0; d < at.dirs; ++d)
      if (at.act(d, 0).kind != rnn::Act::kSigmoid || at.act(d, 1).kind != rnn::Act::kTanh ||
          at.act(d, 2).kind != rnn::Act::kTanh)
        return false;
    return true;
  }

  // `parts` shares of the blocks, one per participant, each claimed per step. A participant
  // takes its own share first (so its part of R stays in its cache) and then any share nobody
  // has claimed yet, so a worker that starts late or is preempted delays a step by at most its
  // own share, and a pool that runs the tasks one after another on the caller (nested or
  // concurrent use) still finishes: nothing waits for a particular thread, only for claimed
  // shares to be done.
  void run_parallel(const State& st, int64_t parts, int64_t total_blocks, ThreadPool& pool) const {
    const int64_t steps = st.g->max_len;
    std::vector<std::atomic<int64_t>> claimed(static_cast<size_t>(parts));
    for (auto& a : claimed) a.store(-1, std::memory_order_relaxed);
    std::atomic<int64_t> done{0};       // shares finished, over all steps
    std::atomic<int64_t> joined{0};
    pool.run_tasks(parts, [&](int64_t) {
      const int64_t me = joined.fetch_add(1, std::memory_order_relaxed) % parts;
      for (int64_t s = 0; s < steps; ++s) {
        // Wait for step s-1 to be complete: the product reads every unit's h.
        const int64_t need = s * parts;
        for (int spins = 0; done.load(std::memory_order_acquire) < need; ++spins) {
          if (spins < 4096) {
            ONNXRT_LSTM_PAUSE();
          } else {
            std::this_thread::yield();  // the thread we wait for may need this core
          }
        }
        for (int64_t k = 0; k < parts; ++k) {
          const int64_t share = (me + k) % parts;
          int64_t expected = s - 1;
          if (!claimed[static_cast<size_t>(share)].compare_exchange_strong(expected, s, std::memory_order_relaxed))
            continue;
          step_blocks(st, s, total_blocks * share / parts, total_blocks * (share + 1) / parts);
          done.fetch_add(1, std::memory_order_release);
        }
      }
    });
  }

  rnn::RnnAttrs at_;
  std::vector<DirWeights> dirs_;
  int64_t input_, hidden_;
  bool default_cell_;  // sigmoid, tanh, tanh and no coupled input/forget gates, in every direction
};

}  // namespace

std::unique_ptr<Kernel> make_cpu_lstm_interleaved(const rnn::RnnAttrs& at, const Tensor& w, const Tensor& r) {
  if (at.cell != rnn::Cell::kLstm || w.dtype() != DType::kFloat32 || r.dtype() != DType::kFloat32 ||
      w.rank() != 3 || r.rank() != 3 || w.dim(0) != at.dirs || r.dim(0) != at.dirs)
    return nullptr;
  const int64_t H = at.hidden_size > 0 ? at.hidden_size : r.dim(2), I = w.dim(2);
  if (H <= 0 || I <= 0 || w.dim(1) != 4 * H || r.dim(1) != 4 * H || r.dim(2) != H) return nullptr;
  std::vector<DirWeights> dirs;
  for (int64_t d = 0; d < at.dirs; ++d) {
    DirWeights dw;
    if (use_row_panels()) {
      dw.w_rows = pack_row_panels(w.data<float>() + d * 4 * H * I, H, I);
      dw.r_rows = pack_row_panels(r.data<float>() + d * 4 * H * H, H, H);
      if (!dw.w_rows || !dw.r_rows) return nullptr;  // out of memory: the generic kernel may cope
    } else {
      dw.w = pack_interleaved(w.data<float>() + d * 4 * H * I, H, I);
      dw.r = pack_interleaved(r.data<float>() + d * 4 * H * H, H, H);
      if (dw.w.empty() || dw.r.empty()) return nullptr;
    }
    dirs.push_back(std::move(dw));
  }
  return std::unique_ptr<Kernel>(new CpuLstmKernel(at, std::move(dirs), I, H));
}

}  // namespace onnxrt::kernels
