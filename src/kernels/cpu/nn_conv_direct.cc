// Direct 2-D convolution: see nn_conv_direct.h.
#include "kernels/cpu/nn_conv_direct.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/fused_epilogue.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::direct {

namespace {

// The weights of one panel (K * mr floats) stay in L1 while a pixel vector pair runs over all
// taps; past this depth the blocked GEMM (K blocks of 256) is the better tool.
constexpr int64_t kMaxK = 256;

// Layout of the prepared input of one image: per channel `sw` column phases of Hp x Wq; padded
// column j = q*sw + p of phase p holds input column j - pad.
struct Phases {
  int64_t sw, Hp, Wq;
  int64_t plane() const { return Hp * Wq; }
  int64_t channel() const { return sw * Hp * Wq; }
};

Phases phases_of(const nn::ConvGeom& g) {
  Phases p;
  p.sw = g.stride[1];
  p.Hp = (g.out[0] - 1) * g.stride[0] + (g.kernel[0] - 1) * g.dil[0] + 1;
  p.Wq = g.out[1] + (g.kernel[1] - 1) * g.dil[1] / g.stride[1];
  return p;
}

bool have_kernel() { return ukernels::conv_direct_f32_ukernel().fn != nullptr; }

// Smallest q >= 0 with q*s >= num (num may be negative).
int64_t ceil_div_nonneg(int64_t num, int64_t s) { return num <= 0 ? 0 : (num + s - 1) / s; }

void fill_phase(const nn::ConvGeom& g, const Phases& ph, const float* xc, int64_t p, float* out) {
  const int64_t H = g.in[0], W = g.in[1], pt = g.pad_begin[0], pl = g.pad_begin[1], s = ph.sw;
  // Input column of phase column q: q*s + p - pl, inside [0, W) for q in [q0, q1).
  const int64_t q0 = std::min(ph.Wq, ceil_div_nonneg(pl - p, s));
  const int64_t q1 = std::clamp(ceil_div_nonneg(W + pl - p, s), q0, ph.Wq);
  for (int64_t r = 0; r < ph.Hp; ++r) {
    float* row = out + r * ph.Wq;
    const int64_t ih = r - pt;
    if (ih < 0 || ih >= H) {
      std::fill(row, row + ph.Wq, 0.f);
      continue;
    }
    std::fill(row, row + q0, 0.f);
    std::fill(row + q1, row + ph.Wq, 0.f);
    const float* src = xc + ih * W + p - pl;
    if (s == 1) {
      std::copy(src + q0, src + q1, row + q0);
    } else {
      for (int64_t q = q0; q < q1; ++q) row[q] = src[q * s];
    }
  }
}

// The arguments every microkernel call of one conv shares: K taps at `taps`, output (and Z)
// planes of P pixels, the clamp. Each call then sets its rows, pixels and pointers.
ukernels::ConvDirectArgs plane_args(int64_t K, const int64_t* taps, int64_t P, bool clamp, float lo, float hi) {
  ukernels::ConvDirectArgs a{};
  a.K = K;
  a.tap = taps;
  a.ldy = P;
  a.ldz = P;
  a.clamp = clamp;
  a.lo = lo;
  a.hi = hi;
  return a;
}

}  // namespace

Weights Weights::make(const float* w, int64_t M, int64_t K) {
  Weights r;
  const ukernels::ConvDirectUkernel uk = ukernels::conv_direct_f32_ukernel();
  const int wide = uk.fn ? uk.mr_wide : 1, narrow = uk.fn ? uk.mr_narrow : 1;
  // AVX-512 takes the narrow tile when it divides M and the wide one does not. On AVX2 the wide
  // 6-row tile won even so (MobileNetV2, 1 thread, us, 4 rows -> 6: 32->32 @28 111 -> 101,
  // 64 @14 73 -> 66; 16 @112 even), the narrow one reusing each pixel load for fewer FMAs.
  r.mr_ = uk.lanes == 8 || M % wide == 0 ? wide : M % narrow == 0 ? narrow : wide;
  r.M_ = M;
  r.K_ = K;
  const int64_t panels = (M + r.mr_ - 1) / r.mr_;
  r.p_.assign(static_cast<size_t>(panels * K * r.mr_), 0.f);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k)
      r.p_[static_cast<size_t>(((m / r.mr_) * K + k) * r.mr_ + m % r.mr_)] = w[m * K + k];
  return r;
}

bool applies_to_weights(int64_t group, int64_t kh, int64_t kw, int64_t K) {
  return have_kernel() && group == 1 && kh * kw > 1 && K <= kMaxK;
}

bool applies(const nn::ConvGeom& g) {
  return g.in.size() == 2 && applies_to_weights(g.G, g.kernel[0], g.kernel[1], g.K());
}

// Past 64 input and 64 output channels the packed GEMM caught up (bench_model, 1 thread, min of 3:
// K = 96-256 with M = 256-960 within 0.98-1.09x of it) and then passed it: K = 128 or 256 with
// M = 1024 (PointNet's 1x1 Conv1d layers) took 1.46x its time.
bool pointwise_fits(int64_t K, int64_t M) { return K >= 1 && K <= kMaxK && (K <= 64 || M <= 64); }

bool pointwise_applies_to_weights(int64_t group, int64_t kh, int64_t kw, int64_t K, int64_t M) {
  return have_kernel() && group == 1 && kh == 1 && kw == 1 && pointwise_fits(K, M);
}

bool pointwise_applies(const nn::ConvGeom& g) {
  if (g.in.empty() || g.G != 1 || !pointwise_fits(g.K(), g.M) || !have_kernel()) return false;
  for (size_t d = 0; d < g.in.size(); ++d)
    if (g.kernel[d] != 1 || g.stride[d] != 1 || g.pad_begin[d] != 0 || g.out[d] != g.in[d]) return false;
  return true;
}

// A thread's buffer for conv_pointwise's packed X blocks, grown to the largest asked for and kept
// for the thread's life (steady-state runs neither allocate nor fault in pages).
float* packed_block_buffer(int64_t floats) {
  struct Buf {
    std::vector<float> v;
  };
  thread_local Buf buf;
  if (static_cast<int64_t>(buf.v.size()) < floats) buf.v.resize(static_cast<size_t>(floats));
  return buf.v.data();
}

void conv_pointwise(const Weights& w, const nn::ConvGeom& g, const float* x, const float* bias, const float* z,
                    const ir::FusedActivation& act, float* y, ThreadPool& pool) {
  const int64_t K = g.K(), M = g.M, P = g.out_size;
  const int mr = w.mr();
  const int64_t panels = (M + mr - 1) / mr;
  // Tap k of a pixel is channel plane k: the output plane is one flat row of pixels (no row ends
  // to mask, unlike the windowed kernel's rows).
  int64_t taps[kMaxK];
  for (int64_t k = 0; k < K; ++k) taps[k] = k * g.in_size;

  // Relu / Clip are applied in registers (after Z, which the microkernel adds); the other
  // activations are a second pass over each block of MR channels x two pixel vectors.
  const bool clamp = act.kind == ir::FusedAct::kRelu || act.kind == ir::FusedAct::kClip;
  const bool post = !clamp && act.kind != ir::FusedAct::kNone;
  const float lo = act.kind == ir::FusedAct::kClip ? act.p0 : 0.f;
  const float hi = act.kind == ir::FusedAct::kClip ? act.p1 : std::numeric_limits<float>::infinity();

  // Loop order: per block of pixel pairs, every panel of output channels runs over the block's
  // pairs. Each output (and Z) row is then written (read) as one run of up to a few KB that the
  // prefetchers follow, while the block's K x pixels of X (<= kXBlockBytes) stay in L2 and the
  // panel's weights in L1. The earlier order (all panels per pair) touched M rows of Y and Z
  // 128 bytes at a time: 64->256 @56 with Z took 1.7 ms in ResNet-50 vs 1.17 without Z.
  constexpr int64_t kXBlockBytes = 128 * 1024;
  const ukernels::ConvDirectUkernel uk = ukernels::conv_direct_f32_ukernel();
  // With X past the caches (4 MB and more) the first panel of a block pulls K planes in side by
  // side, more streams than the hardware prefetchers follow; where few panels (M <= 32) share
  // that cost it dominated: 32 -> 8 channels on 256x256 took 4.1 ms against onnxruntime's 0.9.
  // Such blocks are first copied plane run by plane run (one prefetchable stream at a time) into
  // a buffer whose rows are one cache line longer than the block (so that a pixel's taps do not
  // share a cache set). bench_model, 1 thread, 10 alternated rounds: 32 -> 8 on 256x256 0.59x
  // the time, 64 -> 32 on 128x128 0.66x; on inputs of 0.4-2 MB and with K = 16 or M = 64-256
  // the copy cost more than it saved (up to 2x on 32 -> 8 at 56x56).
  const bool pack_x = K >= 32 && M <= 32 && K * g.in_size * 4 >= (4 << 20);
  const int64_t L = uk.lanes;
  const int64_t pairs = (P + 2 * L - 1) / (2 * L);  // pairs of pixel vectors per image
  const int64_t block_pairs = std::clamp<int64_t>(kXBlockBytes / (K * 2 * L * 4), 1, pairs);
  const int64_t blocks_per_image = (pairs + block_pairs - 1) / block_pairs;
  const int64_t blocks = g.N * blocks_per_image;
  const double macs = static_cast<double>(g.N) * M * P * K;
  const int64_t nt = pool.num_threads();
  // As in conv(): ~0.5 MFLOP per task before waking a worker pays, a few tasks per thread; too
  // few pixel blocks (small planes) are split across panel ranges as well.
  const int64_t want = nt > 1 ? std::clamp<int64_t>(static_cast<int64_t>(macs / 2.5e5), 1, 4 * nt) : 1;
  const int64_t chunks = std::clamp<int64_t>((want + blocks - 1) / blocks, 1, panels);
  const int64_t tasks = want > 1 ? blocks * chunks : 1;

  auto run_task = [&](int64_t t) {
    const int64_t b = tasks == 1 ? 0 : t / chunks, ch = tasks == 1 ? 0 : t % chunks;
    const int64_t nchunks = tasks == 1 ? 1 : chunks;
    const int64_t b0 = tasks == 1 ? 0 : b, b1 = tasks == 1 ? blocks : b + 1;
    const int64_t pb0 = panels * ch / nchunks, pb1 = panels * (ch + 1) / nchunks;
    ukernels::ConvDirectArgs a = plane_args(K, taps, P, clamp, lo, hi);
    const int64_t ldb = block_pairs * 2 * L + 16;  // a packed block's row, floats
    int64_t packed_taps[kMaxK];
    float* packed = pack_x ? packed_block_buffer(K * ldb) : nullptr;
    if (pack_x) {
      for (int64_t k = 0; k < K; ++k) packed_taps[k] = k * ldb;
      a.tap = packed_taps;
    }
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t n = blk / blocks_per_image, pr0 = (blk % blocks_per_image) * block_pairs;
      const int64_t pr1 = std::min(pairs, pr0 + block_pairs);
      const float* xn = x + n * g.C * g.in_size;
      // Pixel p of the block is read at xb + (p - shift).
      const float* xb = xn;
      int64_t shift = 0;
      if (pack_x) {
        // The kernel's masked loads stop at the plane's end, so the rows' tails need no zeros.
        shift = pr0 * 2 * L;
        const int64_t count = std::min(P, pr1 * 2 * L) - shift;
        for (int64_t k = 0; k < K; ++k)
          std::memcpy(packed + k * ldb, xn + taps[k] + shift, static_cast<size_t>(count) * sizeof(float));
        xb = packed;
      }
      float* yn = y + n * M * P;
      const float* zn = z ? z + n * M * P : nullptr;
      for (int64_t pb = pb0; pb < pb1; ++pb) {
        const int64_t m0 = pb * mr;
        a.w = w.panel(pb);
        a.rows = std::min<int64_t>(mr, M - m0);
        a.bias = bias ? bias + m0 : nullptr;
        for (int64_t pr = pr0; pr < pr1; ++pr) {
          const int64_t p0 = pr * 2 * L;
          const int64_t cnt0 = std::min<int64_t>(L, P - p0), cnt1 = std::clamp<int64_t>(P - p0 - L, 0, L);
          a.x0 = xb + (p0 - shift);
          a.x1 = cnt1 > 0 ? a.x0 + L : nullptr;
          a.n0 = cnt0;
          a.n1 = cnt1;
          a.y0 = yn + m0 * P + p0;
          a.y1 = cnt1 > 0 ? a.y0 + L : nullptr;
          a.z0 = zn ? zn + m0 * P + p0 : nullptr;
          a.z1 = zn && cnt1 > 0 ? a.z0 + L : nullptr;
          uk.fn(a, mr);
          if (post) {
            fused::Epilogue e;
            e.act = act;
            fused::apply_epilogue(e, yn + m0 * P + p0, P, a.rows, cnt0 + cnt1);
          }
        }
      }
    }
  };
  if (tasks > 1) {
    pool.run_tasks(tasks, run_task);
  } else {
    run_task(0);
  }
}

int64_t scratch_floats(const nn::ConvGeom& g) { return (g.C * phases_of(g).channel() + 1) / 2 * 2 + 2 * g.K() + 16; }

void conv(const Weights& w, const nn::ConvGeom& g, const float* x, const float* bias, const float* z,
          const ir::FusedActivation& act, float* y, float* scratch, ThreadPool& pool) {
  const Phases ph = phases_of(g);
  const int64_t K = g.K(), M = g.M, P = g.out_size, OW = g.out[1], KH = g.kernel[0], KW = g.kernel[1];
  const int mr = w.mr();
  const int64_t panels = (M + mr - 1) / mr;
  float* buf = scratch;
  // The tap table follows the buffer, 8-byte aligned (scratch is 64-byte aligned).
  int64_t* taps = reinterpret_cast<int64_t*>(scratch + (g.C * ph.channel() + 1) / 2 * 2);
  for (int64_t c = 0, k = 0; c < g.C; ++c)
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = 0; kw < KW; ++kw, ++k) {
        const int64_t col = kw * g.dil[1];
        taps[k] = c * ph.channel() + (col % ph.sw) * ph.plane() + kh * g.dil[0] * ph.Wq + col / ph.sw;
      }

  // Z and Relu / Clip are applied in the microkernel; other activations are a second pass per block.
  const bool clamp = act.kind == ir::FusedAct::kRelu || act.kind == ir::FusedAct::kClip;
  const bool post = !clamp && act.kind != ir::FusedAct::kNone;
  const float lo = act.kind == ir::FusedAct::kClip ? act.p0 : 0.f;
  const float hi = act.kind == ir::FusedAct::kClip ? act.p1 : std::numeric_limits<float>::infinity();

  const ukernels::ConvDirectUkernel uk = ukernels::conv_direct_f32_ukernel();
  const int64_t L = uk.lanes;
  const int64_t vpr = (OW + L - 1) / L;  // pixel vectors per output row
  const int64_t vectors = g.out[0] * vpr;
  const int64_t pairs = (vectors + 1) / 2;
  // Pairs per block: the block's taps of X stay in L2 (as in conv_pointwise), at most
  // kMaxBlockPairs.
  constexpr int64_t kXBlockBytes = 128 * 1024, kMaxBlockPairs = 256;
  const int64_t block_pairs = std::clamp<int64_t>(kXBlockBytes / (K * 2 * L * 4), 1, kMaxBlockPairs);
  const double macs = static_cast<double>(M) * P * K;
  const int64_t nt = pool.num_threads();
  // ~0.5 MFLOP per task before waking a worker pays (as in nn_conv.cc's GEMM split); a few
  // tasks per thread let the caller pick up a late worker's share.
  const int64_t tasks = nt > 1 ? std::clamp<int64_t>(static_cast<int64_t>(macs / 1.5e5), 1, std::min(pairs, 4 * nt)) : 1;

  for (int64_t n = 0; n < g.N; ++n) {
    const float* xn = x + n * g.C * g.in_size;
    float* yn = y + n * M * P;
    const float* zn = z ? z + n * M * P : nullptr;
    const int64_t planes = g.C * ph.sw;
    auto fill = [&](int64_t i) { fill_phase(g, ph, xn + (i / ph.sw) * g.in_size, i % ph.sw, buf + i * ph.plane()); };
    if (tasks > 1) {
      pool.parallel_for(planes, static_cast<double>(ph.plane()), [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) fill(i);
      });
    } else {
      for (int64_t i = 0; i < planes; ++i) fill(i);
    }
    // Loop order as in conv_pointwise: per block of pixel-vector pairs, every panel of output
    // channels runs over the block, so each output row is written as one run of the block's
    // pixels. All panels per pair wrote M rows 64 bytes at a time: a 1 -> 144 stride-2 stem with
    // a 4.5 MB output (a Conformer's subsampling) took 2.7 ms against onnxruntime's 0.7.
    auto run_pairs = [&](int64_t p0, int64_t p1) {
      ukernels::ConvDirectArgs a = plane_args(K, taps, P, clamp, lo, hi);
      struct Pair {
        const float* xs[2];
        int64_t pix[2], cnt[2], nv;
      };
      Pair pp[kMaxBlockPairs];
      for (int64_t b0 = p0; b0 < p1; b0 += block_pairs) {
        const int64_t b1 = std::min(p1, b0 + block_pairs);
        for (int64_t pr = b0; pr < b1; ++pr) {
          Pair& q = pp[pr - b0];
          q = Pair{};
          q.nv = std::min<int64_t>(2, vectors - 2 * pr);
          for (int64_t j = 0; j < q.nv; ++j) {
            const int64_t v = 2 * pr + j, oh = v / vpr, ow0 = (v % vpr) * L;
            q.pix[j] = oh * OW + ow0;
            q.cnt[j] = std::min<int64_t>(L, OW - ow0);
            q.xs[j] = buf + oh * g.stride[0] * ph.Wq + ow0;
          }
        }
        for (int64_t pb = 0; pb < panels; ++pb) {
          const int64_t m0 = pb * mr;
          a.w = w.panel(pb);
          a.rows = std::min<int64_t>(mr, M - m0);
          a.bias = bias ? bias + m0 : nullptr;
          for (int64_t pr = b0; pr < b1; ++pr) {
            const Pair& q = pp[pr - b0];
            a.x0 = q.xs[0], a.x1 = q.xs[1];
            a.n0 = q.cnt[0], a.n1 = q.nv > 1 ? q.cnt[1] : 0;
            a.y0 = yn + m0 * P + q.pix[0];
            a.y1 = q.nv > 1 ? yn + m0 * P + q.pix[1] : nullptr;
            a.z0 = zn ? zn + m0 * P + q.pix[0] : nullptr;
            a.z1 = zn && q.nv > 1 ? zn + m0 * P + q.pix[1] : nullptr;
            uk.fn(a, mr);
            if (post) {
              fused::Epilogue e;
              e.act = act;
              for (int64_t j = 0; j < q.nv; ++j)
                fused::apply_epilogue(e, yn + m0 * P + q.pix[j], P, a.rows, q.cnt[j]);
            }
          }
        }
      }
    };
    if (tasks > 1) {
      pool.run_tasks(tasks, [&](int64_t t) { run_pairs(pairs * t / tasks, pairs * (t + 1) / tasks); });
    } else {
      run_pairs(0, pairs);
    }
  }
}

}  // namespace onnxrt::kernels::direct
