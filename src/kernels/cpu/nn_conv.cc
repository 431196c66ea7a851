// Conv and com.onnxrt.FusedConv on the CPU. Six paths:
//   depthwise 2-D (one input channel per group): direct microkernels (nn_conv_depthwise.cc), since
//     a GEMM with K = kh*kw (9 for MobileNet) spends its time in packing, not arithmetic;
//   3x3 stride 1 with 16+ channels each way: Winograd (nn_conv_winograd.cc); 3-D convs whose
//     H x W window is 3x3 at stride 1 too, their depth slices stacked as input channels;
//   2-D, one group, constant W, K = C*kh*kw <= 256 (network stems): a direct kernel reading
//     the padded input through a tap table (nn_conv_direct.cc), since for K = 27 (MobileNetV2,
//     the small CNN) or 147 (ResNet's 7x7) writing im2col panels cost as much as the arithmetic;
//   pointwise (1x1, stride 1, no pads), one group, constant W, K = C <= 256: the same direct
//     kernel reading X's planes in place, bias, Z and Relu/Clip in registers (nn_conv_direct.cc);
//   1x1 (any stride, no pads), one group, constant W, C > 256 on output planes up to 14x14
//     (known at create time): a GEMM with pixels as rows and output channels in the lanes
//     (nn_conv_pixel_gemm.cc), since 7x7 and 14x14 planes leave lanes idle when pixels fill them;
//   everything else: per (image, group) a GEMM Y_g[Mg, P] = W_g[Mg, K] * col[K, P] (P output
//     pixels, K = Cg * kernel size) on the sgemm microkernels, with our own blocking:
//     - W_g is the A operand; constant weights are packed once in create() into the microkernel's
//       panel layout. Re-packing A on every call cost as much as the arithmetic for the late
//       ResNet layers (7x7 outputs: 49 multiply-adds per packed weight);
//     - the B operand is produced straight in panel layout: im2col writes into the panels (no
//       separate im2col buffer and second packing pass), and 1x1 stride-1 convs copy X rows;
//     - bias, residual Z and the activation of FusedConv are applied to each 12x32 tile right
//       after its last K block, while the tile is in L1.
#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "base/cpu_features.h"
#include "base/thread_pool.h"
#include "kernels/cpu/fused_epilogue.h"
#include "kernels/cpu/nn_conv_depthwise.h"
#include "kernels/cpu/nn_conv_direct.h"
#include "kernels/cpu/nn_conv_impl.h"
#include "kernels/cpu/nn_conv_pixel_gemm.h"
#include "kernels/cpu/nn_conv_winograd.h"
#include "kernels/cpu/nn_common.h"
#include "kernels/ukernels/gemm/sgemm.h"
#include "kernels/ukernels/nn/ukernels.h"
#include "tensor/sym_shape.h"

namespace onnxrt::kernels {

namespace {

using nn::ConvGeom;
using ukernels::SgemmUkernel;

// Blocking as in kernels/cpu/gemm.cc (measured there on the Zen 4 dev machine): a KC x NR B panel
// (32 KB) stays in L1 while the MC x KC A block (144 KB) streams from L2. Unlike gemm.cc's B, the
// conv's B block is written by im2col just before the GEMM reads it: 256 columns (256 KB) stay
// in L2 between the two, where 1024 (1 MB) went out to L3 and back (AVX2 EPYC, 1 thread, median
// of 6 alternated blocks: a 3x3 stride-2 144 -> 144 conv 12.6 -> 11.1 ms, a 5x5 32 -> 48 conv
// on 30x30 1.26 -> 1.16 ms, C3D 12.4 -> 11.0 ms).
constexpr int64_t kKc = 256;
constexpr int64_t kNc = 256;
constexpr int64_t kMc = 144;
constexpr int64_t kDirectMaxPixels = 256;

SgemmUkernel pick_ukernel() {
  const CpuFeatures& f = cpu_features();
  if (f.has_avx512()) return ukernels::sgemm_ukernel_avx512();
  if (f.has_avx2_fma()) return ukernels::sgemm_ukernel_avx2();
  return ukernels::sgemm_ukernel_scalar();
}

// One B block per thread, kept for the thread's life so steady-state runs neither allocate nor
// fault in fresh pages.
float* thread_b_buffer() {
  struct Buf {
    // 16 floats of slack: im2col_panels writes whole 8-float vectors past a block's last run.
    float* p = static_cast<float*>(std::aligned_alloc(64, (kKc * kNc + 16) * sizeof(float)));
    ~Buf() { std::free(p); }
  };
  thread_local Buf buf;
  return buf.p;
}

// W[G*Mg, K] into the microkernel's A layout, per group: K blocks of kKc; inside a block the
// MR-row panels of all Mg rows, panel `ir` at ir*kc holding a[k*m + i] (a short last panel is
// packed with its own row count m, as the microkernel expects).
void pack_weights(const float* w, int64_t G, int64_t Mg, int64_t K, int64_t mr, float* out) {
  for (int64_t g = 0; g < G; ++g) {
    const float* wg = w + g * Mg * K;
    float* og = out + g * Mg * K;
    for (int64_t pc = 0; pc < K; pc += kKc) {
      const int64_t kc = std::min(kKc, K - pc);
      for (int64_t ir = 0; ir < Mg; ir += mr) {
        const int64_t m = std::min(mr, Mg - ir);
        float* dst = og + pc * Mg + ir * kc;
        for (int64_t i = 0; i < m; ++i) {
          const float* src = wg + (ir + i) * K + pc;
          for (int64_t k = 0; k < kc; ++k) dst[k * m + i] = src[k];
        }
      }
    }
  }
}

// Writes `len` values of B row k, columns [j, j+len) of the block, into NR-column panels:
// src[t*s] or zeros when src is null.
// Panel widths are powers of two (8, 16, 32), so the panel of column j is a shift away: small
// convs call put() thousands of times per run, and two 64-bit divisions per call were a large
// share of their im2col.
// Stride 2 (every downsampling conv) goes through a vector permute where the CPU has one
// (AVX-512, 3x3 stride-2 128@56: 2.97 -> 2.84 ms; the rest of its packing time is the B block's
// memory traffic, not the copy. AVX2: see copy_stride2_f32_avx2).
using CopyStride2Fn = void (*)(const float*, float*, int64_t);
CopyStride2Fn copy_stride2_ukernel() {
  static const CopyStride2Fn fn = cpu_features().has_avx512()     ? &ukernels::copy_stride2_f32_avx512
                                  : cpu_features().has_avx2_fma() ? &ukernels::copy_stride2_f32_avx2
                                                                  : nullptr;
  return fn;
}

using Im2colPanelsFn = void (*)(const ukernels::Im2colPanelsArgs&);
Im2colPanelsFn im2col_panels_ukernel() {
  static const Im2colPanelsFn fn = cpu_features().has_avx2_fma() ? &ukernels::im2col_panels_f32_avx2 : nullptr;
  return fn;
}

struct PanelWriter {
  float* out;
  int64_t kc, nr;
  int nr_shift = std::countr_zero(static_cast<uint64_t>(nr));
  CopyStride2Fn stride2 = copy_stride2_ukernel();
  void put(int64_t k, int64_t j, const float* src, int64_t s, int64_t len) const {
    while (len > 0) {
      const int64_t off = j & (nr - 1);
      const int64_t take = std::min(len, nr - off);
      float* d = out + (j >> nr_shift) * kc * nr + k * nr + off;
      if (!src) {
        std::memset(d, 0, static_cast<size_t>(take) * sizeof(float));
      } else if (s == 1) {
        std::memcpy(d, src, static_cast<size_t>(take) * sizeof(float));
        src += take;
      } else if (s == 2 && stride2) {
        stride2(src, d, take);
        src += take * 2;
      } else {
        for (int64_t t = 0; t < take; ++t) d[t] = src[t * s];
        src += take * s;
      }
      j += take;
      len -= take;
    }
  }
};

// A conv whose every tap falls inside X: no padding, and the last window ends in X.
bool taps_inside(const ConvGeom& g) {
  for (size_t d = 0; d < g.in.size(); ++d)
    if (g.pad_begin[d] != 0 || (g.out[d] - 1) * g.stride[d] + (g.kernel[d] - 1) * g.dil[d] >= g.in[d])
      return false;
  return true;
}

// The extent along spatial dim d that holds every tap of the conv.
int64_t tap_extent(const ConvGeom& g, size_t d) {
  return (g.out[d] - 1) * g.stride[d] + (g.kernel[d] - 1) * g.dil[d] + 1;
}

// X zero-padded so that every tap of the conv is inside it, as one [N*C, spatial...] copy (`out`
// holds padded_size(g) floats); returns the geometry of the conv on that copy. Small convs spent
// most of their im2col on border runs, and 3-D ones (C3D's 3x3x3) a third of their run on the
// per-run border tests: this turns each (tap, output row) into one copy.
int64_t padded_size(const ConvGeom& g) {
  int64_t n = g.N * g.C;
  for (size_t d = 0; d < g.in.size(); ++d) n *= tap_extent(g, d);
  return n;
}

ConvGeom pad_input(const ConvGeom& g, const float* x, float* out, ThreadPool& pool) {
  const size_t nd = g.in.size(), L = nd - 1;
  ConvGeom p = g;
  p.in_size = 1;
  for (size_t d = 0; d < nd; ++d) {
    p.in[d] = tap_extent(g, d);
    p.pad_begin[d] = 0;
    p.in_size *= p.in[d];
  }
  const int64_t W = g.in[L], Wp = p.in[L], pw = g.pad_begin[L];
  const int64_t rows = p.in_size / Wp;  // padded rows per plane
  // Padded column c holds input column c - pw.
  const int64_t c0 = std::min(pw, Wp), c1 = std::min(Wp, W + pw);
  pool.parallel_for(g.N * g.C, static_cast<double>(p.in_size), [&](int64_t p0, int64_t p1) {
    for (int64_t plane = p0; plane < p1; ++plane) {
      const float* src = x + plane * g.in_size;
      float* dst = out + plane * p.in_size;
      for (int64_t r = 0; r < rows; ++r) {
        float* row = dst + r * Wp;
        // The input row of padded row r: its outer coordinates shifted by the begin pads.
        int64_t rem = r, src_row = 0, scale = 1;
        bool inside = true;
        for (size_t d = L; d-- > 0;) {
          const int64_t id = rem % p.in[d] - g.pad_begin[d];
          rem /= p.in[d];
          if (id < 0 || id >= g.in[d]) {
            inside = false;
            break;
          }
          src_row += id * scale;
          scale *= g.in[d];
        }
        if (!inside) {
          std::fill(row, row + Wp, 0.f);
          continue;
        }
        for (int64_t c = 0; c < c0; ++c) row[c] = 0.f;
        if (c1 > c0) std::memcpy(row + c0, src + src_row * W + (c0 - pw), static_cast<size_t>(c1 - c0) * sizeof(float));
        for (int64_t c = std::max(c0, c1); c < Wp; ++c) row[c] = 0.f;
      }
    }
  });
  return p;
}

// B rows [pc, pc+kc) and columns [j0, j0+nc) of one (image, group): for a pointwise conv the rows
// of X, otherwise im2col rows: row r = (c, k...), col[r][j] = x[c][o(j)*stride - pad + k*dil].
void pack_b_block(const ConvGeom& g, const float* x, bool pointwise, int64_t pc, int64_t kc,
                  int64_t j0, int64_t nc, int64_t nr, float* out) {
  const PanelWriter w{out, kc, nr};
  if (pointwise) {
    for (int64_t k = 0; k < kc; ++k) w.put(k, 0, x + (pc + k) * g.in_size + j0, 1, nc);
    return;
  }
  const size_t nd = g.in.size();
  const size_t L = nd - 1;
  if (taps_inside(g)) {
    // Every tap is inside X (padding was applied by copying X): an output row of a tap is one
    // strided run of X, with no border case to test.
    int64_t in_stride[8];  // spatial rank <= 8 is checked by the caller
    in_stride[L] = 1;
    for (size_t d = L; d > 0; --d) in_stride[d - 1] = in_stride[d] * g.in[d];
    const float* rows[kKc];  // row k's tap: X at the first output pixel's window
    for (int64_t k = 0; k < kc; ++k) {
      int64_t kr = (pc + k) % g.kernel_size, tap = 0;
      for (size_t d = nd; d-- > 0;) {
        tap += (kr % g.kernel[d]) * g.dil[d] * in_stride[d];
        kr /= g.kernel[d];
      }
      rows[k] = x + (pc + k) / g.kernel_size * g.in_size + tap;
    }
    // The block's columns as runs inside one output row, each at its offset from a row's tap.
    thread_local std::vector<ukernels::Im2colRun> runs;
    runs.clear();
    int64_t o[8], rem = j0;
    for (size_t d = nd; d-- > 0;) {
      o[d] = rem % g.out[d];
      rem /= g.out[d];
    }
    for (int64_t j = 0; j < nc;) {
      const int64_t len = std::min(g.out[L] - o[L], nc - j);
      int64_t row = 0;
      for (size_t d = 0; d < L; ++d) row += o[d] * g.stride[d] * in_stride[d];
      runs.push_back({j, row + o[L] * g.stride[L], len});
      j += len;
      o[L] = 0;
      for (size_t d = L; d-- > 0;) {  // carry into the outer output dims
        if (++o[d] < g.out[d]) break;
        o[d] = 0;
      }
    }
    if (const auto panels_fn = im2col_panels_ukernel(); panels_fn && (g.stride[L] == 1 || g.stride[L] == 2)) {
      // Runs cut at the panel edges, in the panels' layout (panel p's column t at p*kc*nr + t).
      thread_local std::vector<ukernels::Im2colRun> cut;
      thread_local std::vector<int64_t> panel_runs;
      cut.clear();
      panel_runs.assign(1, 0);
      for (const ukernels::Im2colRun& u : runs) {
        for (int64_t t = 0; t < u.len;) {
          const int64_t j = u.dst + t, off = j & (nr - 1), take = std::min(u.len - t, nr - off);
          if (off == 0 && j > 0) panel_runs.push_back(static_cast<int64_t>(cut.size()));
          cut.push_back({(j - off) * kc + off, u.src + t * g.stride[L], take});
          t += take;
        }
      }
      panel_runs.push_back(static_cast<int64_t>(cut.size()));
      panels_fn({rows, kc, nr, g.stride[L], cut.data(), panel_runs.data(),
                 static_cast<int64_t>(panel_runs.size()) - 1, out});
      return;
    }
    for (int64_t k = 0; k < kc; ++k)
      for (const ukernels::Im2colRun& u : runs) w.put(k, u.dst, rows[k] + u.src, g.stride[L], u.len);
    return;
  }
  int64_t kidx[8], o[8];  // spatial rank <= 8 is checked by the caller
  for (int64_t r = pc; r < pc + kc; ++r) {
    const int64_t kr_row = r - pc;
    const int64_t c = r / g.kernel_size;
    int64_t kr = r % g.kernel_size;
    for (size_t d = nd; d-- > 0;) {
      kidx[d] = kr % g.kernel[d];
      kr /= g.kernel[d];
    }
    const float* xc = x + c * g.in_size;
    int64_t rem = j0;
    for (size_t d = nd; d-- > 0;) {
      o[d] = rem % g.out[d];
      rem /= g.out[d];
    }
    int64_t j = 0;
    while (j < nc) {
      const int64_t run = std::min(g.out[L] - o[L], nc - j);
      int64_t off = 0;
      bool valid = true;
      for (size_t d = 0; d < L; ++d) {
        const int64_t id = o[d] * g.stride[d] - g.pad_begin[d] + kidx[d] * g.dil[d];
        if (id < 0 || id >= g.in[d]) {
          valid = false;
          break;
        }
        off = off * g.in[d] + id;
      }
      if (!valid) {
        w.put(kr_row, j, nullptr, 1, run);
      } else {
        const float* row = xc + off * g.in[L];
        const int64_t s = g.stride[L], n = g.in[L];
        const int64_t i0 = o[L] * s - g.pad_begin[L] + kidx[L] * g.dil[L];
        // Valid t: 0 <= i0 + t*s < n (stride 1, the common case, without dividing).
        int64_t lo = i0 >= 0 ? 0 : (s == 1 ? -i0 : (-i0 + s - 1) / s);
        int64_t hi = i0 < n ? (s == 1 ? n - i0 : (n - 1 - i0) / s + 1) : 0;
        lo = std::min(lo, run);
        hi = std::clamp(hi, lo, run);
        if (lo > 0) w.put(kr_row, j, nullptr, 1, lo);
        if (hi > lo) w.put(kr_row, j + lo, row + i0 + lo * s, s, hi - lo);
        if (run > hi) w.put(kr_row, j + hi, nullptr, 1, run - hi);
      }
      j += run;
      o[L] += run;
      for (size_t d = L; d > 0 && o[d] == g.out[d]; --d) {
        o[d] = 0;
        ++o[d - 1];
      }
    }
  }
}

bool is_pointwise(const ConvGeom& g) {
  for (size_t d = 0; d < g.in.size(); ++d)
    if (g.kernel[d] != 1 || g.stride[d] != 1 || g.pad_begin[d] != 0 || g.out[d] != g.in[d])
      return false;
  return true;
}

// Rows [m0, m1) x columns [n0, n1) of one (image, group) GEMM; m0 is a multiple of MR. `wp` is
// the group's packed weights, `y` its output rows (leading dim = output pixels), `epi` its
// epilogue (row bias and Z already offset to the group).
void gemm_block(const SgemmUkernel& uk, const ConvGeom& g, const float* x, bool pointwise,
                const float* wp, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* y,
                const fused::Epilogue& epi, float* bbuf) {
  const int64_t Mg = g.Mg, K = g.K(), P = g.out_size, mr = uk.mr, nr = uk.nr;
  const bool has_epi = !epi.empty();
  // A pointwise conv on a small plane reads X in place: its rows are at most 1 KB apart, so
  // a 32-column panel stays on few pages and the copy into panels would cost more than it saves
  // (MobileNetV2's 7x7 and 14x14 1x1 convs). Larger planes are packed as usual: read in place,
  // rows of 1024 pixels (4 KB apart: every row of a panel in the same L1 set) made PointNet's
  // 128 -> 1024 Conv1d over 1024 points 1.34x slower than packed.
  const bool direct = pointwise && P <= kDirectMaxPixels;
  if (K == 0) {
    for (int64_t m = m0; m < m1; ++m) std::fill(y + m * P + n0, y + m * P + n1, 0.f);
    if (has_epi) fused::apply_epilogue(epi.at(m0, n0), y + m0 * P + n0, P, m1 - m0, n1 - n0);
    return;
  }
  for (int64_t jc = n0; jc < n1; jc += kNc) {
    const int64_t nc = std::min(kNc, n1 - jc);
    for (int64_t pc = 0; pc < K; pc += kKc) {
      const int64_t kc = std::min(kKc, K - pc);
      const bool last = pc + kc >= K;
      const float beta = pc == 0 ? 0.f : 1.f;
      if (!direct) pack_b_block(g, x, pointwise, pc, kc, jc, nc, nr, bbuf);
      const float* ablock = wp + pc * Mg;
      for (int64_t ic = m0; ic < m1; ic += kMc) {
        const int64_t mc = std::min(kMc, m1 - ic);
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int64_t n = std::min(nr, nc - jr);
          const float* bp = direct ? x + pc * P + jc + jr : bbuf + (jr / nr) * kc * nr;
          const int64_t ldb = direct ? P : nr;
          for (int64_t ir = ic; ir < ic + mc; ir += mr) {
            const int64_t m = std::min(mr, ic + mc - ir);
            float* c = y + ir * P + jc + jr;
            uk.fn(m, n, kc, ablock + ir * kc, bp, ldb, c, P, 1.f, beta);
            if (last && has_epi) fused::apply_epilogue(epi.at(ir, jc + jr), c, P, m, n);
          }
        }
      }
    }
  }
}

// One (image, group) GEMM, split over M or N across the pool (may be null: one thread).
void gemm_item(const SgemmUkernel& uk, const ConvGeom& g, const float* x, bool pointwise,
               const float* wp, float* y, const fused::Epilogue& epi, ThreadPool* pool) {
  const int64_t mr = uk.mr, nr = uk.nr;
  const int64_t mb = (g.Mg + mr - 1) / mr, nb = (g.out_size + nr - 1) / nr;
  const double flops = 2.0 * static_cast<double>(g.Mg) * static_cast<double>(g.out_size) *
                       static_cast<double>(std::max<int64_t>(g.K(), 1));
  // ~0.5 MFLOP per thread is where waking a worker starts to pay (as in gemm.cc).
  int64_t threads = pool ? pool->num_threads() : 1;
  threads = std::min<int64_t>(threads, std::max<int64_t>(1, static_cast<int64_t>(flops / 5e5)));
  threads = std::min(threads, mb * nb);
  if (threads <= 1) {
    gemm_block(uk, g, x, pointwise, wp, 0, g.Mg, 0, g.out_size, y, epi, thread_b_buffer());
    return;
  }
  const bool direct = pointwise && g.out_size <= kDirectMaxPixels;
  // Tasks are claimed dynamically by the pool, so a few per thread let the caller take over the
  // share of a worker that wakes late or is preempted (the dev machine is shared): with exactly
  // one task per thread every conv waited for the slowest thread, and two threads ran
  // MobileNetV2 slower than one.
  constexpr int64_t kTasksPerThread = 4;
  auto split_rows = [&](int64_t tasks) {
    pool->run_tasks(tasks, [&](int64_t t) {
      const int64_t m0 = mb * t / tasks * mr, m1 = std::min(g.Mg, mb * (t + 1) / tasks * mr);
      if (m0 < m1) gemm_block(uk, g, x, pointwise, wp, m0, m1, 0, g.out_size, y, epi, thread_b_buffer());
    });
  };
  // B read in place (small pointwise planes): splitting M costs nothing extra, while splitting N
  // would have threads write the same cache lines of every output row (rows of 49 or 196 floats
  // are not line-aligned).
  if (direct && mb >= threads) return split_rows(std::min(mb, kTasksPerThread * threads));
  // Otherwise each task packs the B columns it uses, so splitting N packs nothing twice; split M
  // (one task per thread, each packing all of B) only when N is too narrow to share.
  const double cost_n = static_cast<double>(mb * mr) * ((nb + threads - 1) / threads * nr);
  const double cost_m = static_cast<double>((mb + threads - 1) / threads * mr) * (nb * nr) + 8.0 * nb * nr;
  if (nb < threads || (mb >= threads && cost_m < cost_n)) return split_rows(std::min(mb, threads));
  const int64_t tasks = std::min(nb, kTasksPerThread * threads);
  pool->run_tasks(tasks, [&](int64_t t) {
    const int64_t n0 = nb * t / tasks * nr, n1 = std::min(g.out_size, nb * (t + 1) / tasks * nr);
    if (n0 < n1) gemm_block(uk, g, x, pointwise, wp, 0, g.Mg, n0, n1, y, epi, thread_b_buffer());
  });
}

// A 1-D conv (Conv1d: Conformer's and Mamba's depthwise convs, wav2vec2's feature extractor) is
// the 2-D conv of its [N, C, 1, L] view with a 1 x k window: the 2-D paths (the depthwise and
// direct kernels) then take it too. W [M, C/G, k] already has the [M, C/G, 1, k] layout.
void as_2d(ConvGeom& g) {
  g.in.insert(g.in.begin(), 1);
  g.out.insert(g.out.begin(), 1);
  g.kernel.insert(g.kernel.begin(), 1);
  g.stride.insert(g.stride.begin(), 1);
  g.dil.insert(g.dil.begin(), 1);
  g.pad_begin.insert(g.pad_begin.begin(), 0);
}

class ConvKernel final : public Kernel {
 public:
  ConvKernel(std::optional<nn::ConvAttrs> attrs, Tensor w, ir::FusedActivation act, bool has_z)
      : attrs_(std::move(attrs)), w_(std::move(w)), act_(act), uk_(pick_ukernel()), has_z_(has_z) {}

  // Packs constant weights for `group` groups (when W's shape agrees with it).
  // `wino_tile`: the Winograd tile size to prepare for 3x3 stride-1 convs (0: none).
  // `pixel_gemm`: the conv is a 1x1 one that runs on pixel_gemm (decided by the caller from
  // the attributes and X's plane size, which make that path certain: no other copy is kept).
  void prepack(int64_t group, int wino_tile, bool pixel_gemm) {
    if (!w_.defined() || w_.rank() < 3 || group <= 0 || w_.dim(0) % group != 0) return;
    const int64_t Mg = w_.dim(0) / group;
    const int64_t K = w_.size() / std::max<int64_t>(w_.dim(0), 1);
    // Depthwise convs run directly on W. 1-D convs (W [M, C/G, k]) run as 1 x k 2-D ones (as_2d).
    const bool w2d = w_.rank() == 4, w1d = w_.rank() == 3;
    if (w_.dim(1) == 1 && group > 1 && (w2d || w1d)) {
      depthwise_ = true;
      return;
    }
    if (pixel_gemm && group == 1 && attrs_ && attrs_->group == 1) {
      pixel_ = pixel_gemm::Weights::make(w_.data<float>(), w_.dim(0), K, uk_.nr);
      w_ = Tensor::borrow(w_.dtype(), w_.shape(), nullptr, nullptr);
      w_released_ = true;
      return;
    }
    const int64_t kh = w2d ? w_.dim(2) : 1, kw = w2d ? w_.dim(3) : w_.dim(2);
    if ((w2d || w1d) && (direct::applies_to_weights(group, kh, kw, K) ||
                         direct::pointwise_applies_to_weights(group, kh, kw, K, w_.dim(0))))
      direct_ = direct::Weights::make(w_.data<float>(), w_.dim(0), K);
    // The GEMM-packed copy is only a fallback for direct convs: skip it when the attributes
    // already guarantee that run() takes the direct path (packed bytes not kept: 3.2 MB for
    // MobileNetV2, 7.9 MB for ResNet-50).
    if (direct_.empty() || !direct_path_is_certain(group)) {
      packed_.reset(static_cast<float*>(std::aligned_alloc(64, (static_cast<size_t>(w_.size()) * 4 + 63) / 64 * 64 + 64)));
      if (!packed_) return;
      pack_weights(w_.data<float>(), group, Mg, K, uk_.mr, packed_.get());
      packed_G_ = group, packed_Mg_ = Mg, packed_K_ = K;
    }
    // 3x3 stride-1 convs also get Winograd weights; run() uses them when pick_tile() agrees.
    auto ones = [](const std::vector<int64_t>& v) {
      return std::all_of(v.begin(), v.end(), [](int64_t e) { return e == 1; });
    };
    if (wino_tile && group == 1 && attrs_ && w_.rank() == 4 && w_.dim(2) == 3 && w_.dim(3) == 3 &&
        ones(attrs_->w.strides) && ones(attrs_->w.dilations))
      wino_ = winograd::Weights::make(w_.data<float>(), w_.dim(0), w_.dim(1), wino_tile);
    // 3-D convs with a 3x3 stride-1 H x W window: W [M, C, KD, 3, 3] is the stacked 2-D weight.
    auto last_two_ones = [](const std::vector<int64_t>& v) {
      return v.size() != 3 || (v[1] == 1 && v[2] == 1);
    };
    if (wino_tile && group == 1 && attrs_ && w_.rank() == 5 && w_.dim(3) == 3 && w_.dim(4) == 3 &&
        last_two_ones(attrs_->w.strides) && last_two_ones(attrs_->w.dilations))
      wino_ = winograd::Weights::make(w_.data<float>(), w_.dim(0), w_.dim(1) * w_.dim(2), wino_tile);
    // Every run() path now reads only the packed forms (group known, W's shape fixed): keep W's
    // dtype and shape, drop its data, and let the plan release the constant (prepacked_input).
    if (attrs_ && attrs_->group == group) {
      w_ = Tensor::borrow(w_.dtype(), w_.shape(), nullptr, nullptr);
      w_released_ = true;
    }
  }
  bool prepacked_input(size_t i) const override { return i == 1 && w_released_; }

  // Whether every run() takes direct::conv or direct::conv_pointwise (direct_ made, W constant),
  // judged from the create-time attributes: 2-D, one group, the kernel of W, and for 1x1 windows
  // stride 1 without pads (auto_pad gives 1x1 stride-1 windows no pads either). Winograd may
  // still take 3x3 stems first; it needs no packed copy either.
  bool direct_path_is_certain(int64_t group) const {
    if (!attrs_ || attrs_->w.rank() != 2 || attrs_->group != 1 || group != 1 || w_.rank() != 4) return false;
    if (attrs_->w.kernel != std::vector<int64_t>{w_.dim(2), w_.dim(3)}) return false;
    if (direct::applies_to_weights(group, w_.dim(2), w_.dim(3), direct_.K())) return true;
    auto all = [](const std::vector<int64_t>& v, int64_t e) {
      return std::all_of(v.begin(), v.end(), [e](int64_t x) { return x == e; });
    };
    return w_.dim(2) == 1 && w_.dim(3) == 1 && all(attrs_->w.strides, 1) && all(attrs_->w.pads, 0);
  }

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* w = w_.defined() ? &w_ : ctx.input(1);
    const Tensor* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const Tensor* z = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    Tensor* y = ctx.output(0);
    if (!x || !w || !y) return ctx.error("needs X, W and output Y");
    auto geom = nn::conv_geometry(ctx, attrs_, *x, *w, b, *y);
    if (!geom) return geom.status();
    if (geom->in.size() == 1) as_2d(*geom);
    const ConvGeom& g = *geom;
    if (g.in.size() > 8) return ctx.error("more than 8 spatial dims are not supported");
    if (z && (z->dtype() != DType::kFloat32 || z->shape() != y->shape()))
      return ctx.error("Z " + std::string(dtype_name(z->dtype())) + " " + shape_to_string(z->shape()) +
                       " must be float32 with the output's shape " + shape_to_string(y->shape()));
    const float* xd = x->data<float>();
    const float* wd = w->data<float>();
    const float* bd = b ? b->data<float>() : nullptr;
    const float* zd = z ? z->data<float>() : nullptr;
    float* yd = y->data<float>();
    ThreadPool& pool = ctx.threads();
    if (g.N == 0 || g.M == 0 || g.out_size == 0) return Status::ok();

    const bool use_depthwise = depthwise::applies(g);
    const bool use_winograd = !use_depthwise && !wino_.empty() && w == &w_ && winograd::applies(g) &&
                              wino_.M() == g.M && wino_.C() == g.C && winograd::pick_tile(g) == wino_.tile();
    winograd::DepthStack depth_stack;
    const bool may_stack = !wino_.empty() && w == &w_ && winograd::applies_3d(g);
    const ConvGeom stacked = may_stack ? winograd::stacked_geometry(g, &depth_stack) : ConvGeom{};
    const bool use_winograd_3d = may_stack && wino_.M() == g.M &&
                                 wino_.C() == stacked.C && winograd::pick_tile(stacked) == wino_.tile();
    const bool use_pixel = !use_depthwise && !use_winograd && !pixel_.empty() && w == &w_ && pixel_gemm::applies(g) &&
                           pixel_.M() == g.M && pixel_.K() == g.K();
    const bool use_direct = !use_depthwise && !use_winograd && !use_pixel && !direct_.empty() && w == &w_ &&
                            direct::applies(g) && direct_.M() == g.M && direct_.K() == g.K();
    const bool use_pointwise = !use_depthwise && !use_winograd && !use_pixel && !use_direct && !direct_.empty() &&
                               w == &w_ && direct::pointwise_applies(g) && direct_.M() == g.M && direct_.K() == g.K();
    // Y over Z (output_reuses_input): the pixel-row GEMM and the pointwise direct kernel read each
    // Z element just before writing Y there. The other paths write partial results or read Z in a
    // later pass, so they get a copy of Z.
    if (zd && zd == yd && !use_pixel && !use_pointwise) {
      auto* copy = static_cast<float*>(ctx.scratch(z->nbytes() + 64));
      if (!copy) return ctx.error("out of memory for a copy of Z");
      std::memcpy(copy, zd, z->nbytes());
      zd = copy;
    }

    if (use_depthwise) {
      depthwise::conv(g, xd, wd, bd, zd, act_, yd, pool);
      return Status::ok();
    }

    if (use_winograd) {
      const int64_t n = winograd::scratch_floats(g, wino_.tile(), pool.num_threads());
      auto* s = static_cast<float*>(ctx.scratch(static_cast<size_t>(n) * sizeof(float)));
      if (!s) return ctx.error("out of memory for the Winograd buffers");
      winograd::conv(wino_, g, xd, bd, zd, act_, yd, s, pool);
      return Status::ok();
    }

    if (use_winograd_3d) {
      const int64_t n = winograd::scratch_floats(stacked, wino_.tile(), pool.num_threads());
      auto* s = static_cast<float*>(ctx.scratch(static_cast<size_t>(n) * sizeof(float)));
      if (!s) return ctx.error("out of memory for the Winograd buffers");
      winograd::conv_3d(wino_, g, xd, bd, zd, act_, yd, s, pool);
      return Status::ok();
    }

    if (use_pixel) {
      const int64_t n = pixel_gemm::scratch_floats(g, uk_.mr);
      auto* s = static_cast<float*>(ctx.scratch(static_cast<size_t>(n) * sizeof(float)));
      if (!s) return ctx.error("out of memory for the packed input");
      pixel_gemm::conv(uk_, pixel_, g, xd, bd, zd, act_, yd, s, pool);
      return Status::ok();
    }

    if (use_direct) {
      const int64_t n = direct::scratch_floats(g);
      auto* s = static_cast<float*>(ctx.scratch(static_cast<size_t>(n) * sizeof(float)));
      if (!s) return ctx.error("out of memory for the padded input");
      direct::conv(direct_, g, xd, bd, zd, act_, yd, s, pool);
      return Status::ok();
    }

    // Pointwise convs with K <= 256 (bench_model, 1 thread, GEMM -> direct ms: MobileNetV2's 16->96
    // @112 0.74 -> 0.42, 32->16 @112 0.21 -> 0.13, 24->144 @56 0.28 -> 0.22; ResNet's 64->256 @56
    // 1.34 -> 1.00; small planes gain less: 32->192 @28 0.110 -> 0.092, 160->960 @7 0.18 -> 0.18).
    if (use_pointwise) {
      direct::conv_pointwise(direct_, g, xd, bd, zd, act_, yd, pool);
      return Status::ok();
    }

    const float* wp = packed_.get();
    if (!wp || packed_G_ != g.G || packed_Mg_ != g.Mg || packed_K_ != g.K()) {
      // W's data is gone only when prepack() judged that this point is never reached.
      if (!wd) return ctx.error("internal: no packed weights for this conv's geometry");
      float* s = static_cast<float*>(ctx.scratch(static_cast<size_t>(g.M * g.K()) * 4 + 64));
      pack_weights(wd, g.G, g.Mg, g.K(), uk_.mr, s);
      wp = s;
    }
    const bool pointwise = is_pointwise(g);
    ConvGeom padded_geom;
    const ConvGeom* gg = &g;
    if (!pointwise && !taps_inside(g)) {
      float* xp = static_cast<float*>(ctx.scratch(static_cast<size_t>(padded_size(g)) * 4 + 64));
      if (!xp) return ctx.error("out of memory for the padded input");
      padded_geom = pad_input(g, xd, xp, pool);
      gg = &padded_geom;
      xd = xp;
    }
    const int64_t items = g.N * g.G;
    const int64_t nt = pool.num_threads();
    const double item_macs = static_cast<double>(g.Mg) * g.K() * g.out_size;
    // Many small items (grouped convs, batches): one item per thread with single-threaded GEMMs
    // scales better than splitting each small GEMM.
    const bool outer = nt > 1 && (items >= 2 * nt || (items >= nt && item_macs < (1 << 22)));
    auto item = [&](int64_t it, ThreadPool* p) {
      const int64_t n = it / g.G, gi = it % g.G;
      fused::Epilogue e;
      e.act = act_;
      e.row_bias = bd ? bd + gi * g.Mg : nullptr;
      const int64_t yoff = (n * g.M + gi * g.Mg) * g.out_size;
      e.z = zd ? zd + yoff : nullptr;
      e.ldz = g.out_size;
      gemm_item(uk_, *gg, xd + (n * g.C + gi * g.Cg) * gg->in_size, pointwise, wp + gi * g.Mg * g.K(),
                yd + yoff, e, p);
    };
    if (outer) {
      pool.run_tasks(items, [&](int64_t it) { item(it, nullptr); });
    } else {
      for (int64_t it = 0; it < items; ++it) item(it, &pool);
    }
    return Status::ok();
  }
  // FusedConv's residual Z, when a path that can write Y over it (run()) is likely: the
  // pixel-row GEMM, or the pointwise direct kernel for a 1x1 conv.
  int output_reuses_input() const override {
    if (!has_z_) return -1;
    const bool pointwise = !direct_.empty() && w_.rank() == 4 && w_.dim(2) == 1 && w_.dim(3) == 1;
    return !pixel_.empty() || pointwise ? 3 : -1;
  }

  const char* variant() const override {
    // Winograd runs when the run-time shape agrees with pick_tile(); otherwise direct or the packed GEMM.
    if (!pixel_.empty()) return "pixel_gemm";
    if (depthwise_) return "depthwise";
    if (!wino_.empty() && !packed_) return wino_.tile() == 4 ? "winograd_f4_or_direct" : "winograd_f2_or_direct";
    if (!wino_.empty()) return wino_.tile() == 4 ? "winograd_f4_or_packed_gemm" : "winograd_f2_or_packed_gemm";
    if (!direct_.empty()) return packed_ ? "direct_or_packed_gemm" : "direct";
    return packed_ ? "packed_gemm" : "gemm";
  }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::optional<nn::ConvAttrs> attrs_;
  Tensor w_;  // constant weights, kept alive here; undefined when W is a run-time input
  ir::FusedActivation act_;
  SgemmUkernel uk_;
  bool has_z_;  // FusedConv with a residual input Z (input 3)
  bool depthwise_ = false;  // constant depthwise W (one input channel per group): run on W as is
  std::unique_ptr<float, Free> packed_;
  int64_t packed_G_ = 0, packed_Mg_ = 0, packed_K_ = 0;
  winograd::Weights wino_;  // empty unless W is constant, one group, and the (H x W) window 3x3 at stride 1
  direct::Weights direct_;  // empty unless W is constant and direct::applies_to_weights
  pixel_gemm::Weights pixel_;  // empty unless prepack() was told the conv runs on pixel_gemm
  bool w_released_ = false;  // w_ holds W's shape only (prepack)
};

// The same for a 3-D conv (winograd::applies_3d): the tile of its stacked 2-D conv.
int winograd_3d_tile_at_create(const KernelInit& init, const nn::ConvAttrs& attrs, const Tensor& w) {
  const ir::WindowAttrs& wa = attrs.w;
  if (wa.rank() != 3 || attrs.group != 1 || w.dim(3) != 3 || w.dim(4) != 3) return 0;
  const ir::ValueType* xt = init.input_types.empty() ? nullptr : init.input_types[0];
  if (!xt || !xt->has_shape || xt->rank() != 5 || wa.auto_pad != ir::AutoPad::kNotSet) return 4;
  for (int64_t d = 0; d < 5; ++d)
    if (!xt->shape[d].is_known()) return 4;
  nn::ConvGeom g;
  g.N = xt->shape[0].value(), g.C = w.dim(1), g.M = w.dim(0), g.G = 1, g.Cg = g.C, g.Mg = g.M;
  g.kernel = {w.dim(2), 3, 3};
  g.stride = wa.strides.size() == 3 ? wa.strides : std::vector<int64_t>{1, 1, 1};
  g.dil = wa.dilations.size() == 3 ? wa.dilations : std::vector<int64_t>{1, 1, 1};
  const std::vector<int64_t> pads = wa.pads.size() == 6 ? wa.pads : std::vector<int64_t>(6, 0);
  g.pad_begin = {pads[0], pads[1], pads[2]};
  g.in.resize(3);
  g.out.resize(3);
  for (int d = 0; d < 3; ++d) {
    g.in[d] = xt->shape[d + 2].value();
    if (g.stride[d] < 1 || g.dil[d] < 1 || pads[d] < 0 || pads[d + 3] < 0) return 0;
    const int64_t span = (g.kernel[d] - 1) * g.dil[d] + 1, padded = g.in[d] + pads[d] + pads[d + 3];
    if (padded < span) return 0;
    g.out[d] = (padded - span) / g.stride[d] + 1;
  }
  if (!winograd::applies_3d(g)) return 0;
  winograd::DepthStack ds;
  return winograd::pick_tile(winograd::stacked_geometry(g, &ds));
}

// The Winograd tile size for a conv whose X shape and pads are known when the plan is built
// (winograd::pick_tile on that geometry, 0 when im2col is faster: no transformed weights are kept
// then); F(4x4) when the shape is known only at run time.
int winograd_tile_at_create(const KernelInit& init, const std::optional<nn::ConvAttrs>& attrs, const Tensor& w) {
  if (attrs && w.defined() && w.rank() == 5) return winograd_3d_tile_at_create(init, *attrs, w);
  if (!attrs || !w.defined() || w.rank() != 4) return 0;
  const ir::ValueType* xt = init.input_types.empty() ? nullptr : init.input_types[0];
  if (!xt || !xt->has_shape || xt->rank() != 4 || attrs->w.auto_pad != ir::AutoPad::kNotSet) return 4;
  for (int64_t d = 0; d < 4; ++d)
    if (!xt->shape[d].is_known()) return 4;
  nn::ConvGeom g;
  g.N = xt->shape[0].value(), g.C = w.dim(1), g.M = w.dim(0), g.G = 1, g.Cg = g.C, g.Mg = g.M;
  const std::vector<int64_t>& p = attrs->w.pads;
  const int64_t pt = p.size() == 4 ? p[0] : 0, pl = p.size() == 4 ? p[1] : 0;
  const int64_t pb = p.size() == 4 ? p[2] : 0, pr = p.size() == 4 ? p[3] : 0;
  g.in = {xt->shape[2].value(), xt->shape[3].value()};
  g.out = {g.in[0] + pt + pb - 2, g.in[1] + pl + pr - 2};
  g.kernel = {3, 3}, g.stride = {1, 1}, g.dil = {1, 1}, g.pad_begin = {pt, pl};
  if (g.out[0] <= 0 || g.out[1] <= 0) return 0;
  return winograd::pick_tile(g);
}

// Whether a conv runs on pixel_gemm: constant W [M, C, KH, KW], one group, 2-D, explicit pads
// (or VALID), and X's plane known at create time (pixel_gemm::preferred depends on the output
// plane and K only, so a symbolic batch is fine), with a microkernel that path has a transposed
// store for: the AVX-512 12x32 one or the AVX2 6x16 one.
bool pixel_gemm_at_create(const KernelInit& init, const std::optional<nn::ConvAttrs>& attrs, const Tensor& w,
                          const SgemmUkernel& uk) {
  if (!attrs || !w.defined() || w.rank() != 4 || attrs->group != 1 || attrs->w.rank() != 2) return false;
  if (!(uk.mr == 12 && uk.nr == 32) && !(uk.mr == 6 && uk.nr == 16)) return false;
  if (attrs->w.auto_pad != ir::AutoPad::kNotSet && attrs->w.auto_pad != ir::AutoPad::kValid) return false;
  const ir::ValueType* xt = init.input_types.empty() ? nullptr : init.input_types[0];
  if (!xt || !xt->has_shape || xt->rank() != 4 || !xt->shape[1].is_known() || xt->shape[1].value() != w.dim(1) ||
      !xt->shape[2].is_known() || !xt->shape[3].is_known())
    return false;
  const ir::WindowAttrs& wa = attrs->w;
  if (wa.kernel != std::vector<int64_t>{w.dim(2), w.dim(3)}) return false;
  nn::ConvGeom g;
  g.N = 1, g.C = w.dim(1), g.M = w.dim(0), g.G = 1, g.Cg = g.C, g.Mg = g.M;
  g.in = {xt->shape[2].value(), xt->shape[3].value()};
  g.kernel = wa.kernel;
  g.stride = wa.strides.size() == 2 ? wa.strides : std::vector<int64_t>{1, 1};
  g.dil = wa.dilations.size() == 2 ? wa.dilations : std::vector<int64_t>{1, 1};
  const std::vector<int64_t> pads = wa.pads.size() == 4 ? wa.pads : std::vector<int64_t>{0, 0, 0, 0};
  g.pad_begin = {pads[0], pads[1]};
  g.out.resize(2);
  for (int d = 0; d < 2; ++d) {
    if (g.in[d] < 1 || g.stride[d] < 1 || g.dil[d] < 1 || g.kernel[d] < 1 || pads[d] < 0 || pads[d + 2] < 0)
      return false;
    const int64_t span = (g.kernel[d] - 1) * g.dil[d] + 1, padded = g.in[d] + pads[d] + pads[d + 2];
    if (padded < span) return false;
    g.out[d] = (padded - span) / g.stride[d] + 1;
  }
  g.in_size = g.in[0] * g.in[1], g.out_size = g.out[0] * g.out[1], g.kernel_size = g.kernel[0] * g.kernel[1];
  // 3x3 stride-1 convs that Winograd takes stay there (fewer multiplies).
  if (winograd::applies(g) && winograd::pick_tile(g) != 0) return false;
  return pixel_gemm::applies(g) && pixel_gemm::preferred(g, uk.nr);
}

// The conv attributes when the spatial rank is known at create time (empty: read at run time).
Expected<std::optional<nn::ConvAttrs>> attrs_at_create(const KernelInit& init) {
  std::optional<nn::ConvAttrs> attrs;
  if (auto nd = nn::declared_spatial_rank(init, 0)) {
    // Unknown kernel dims (-1) are taken from W at run time.
    std::vector<int64_t> wk(*nd, -1);
    const ir::ValueType* wt = init.input_types.size() > 1 ? init.input_types[1] : nullptr;
    if (wt && wt->has_shape && wt->rank() == static_cast<int64_t>(*nd) + 2)
      for (size_t d = 0; d < *nd; ++d)
        if (wt->shape[d + 2].is_known()) wk[d] = wt->shape[d + 2].value();
    auto a = nn::read_conv_attrs(init.node, *nd, wk);
    if (!a) return init.error(a.status().message());
    attrs = *a;
  }
  return attrs;
}

Expected<std::unique_ptr<Kernel>> make_conv(const KernelInit& init, ir::FusedActivation act) {
  ONNXRT_ASSIGN_OR_RETURN(std::optional<nn::ConvAttrs> attrs, attrs_at_create(init));
  Tensor w;
  if (init.constant_inputs.size() > 1 && init.constant_inputs[1] &&
      init.constant_inputs[1]->dtype() == DType::kFloat32)
    w = *init.constant_inputs[1];
  const int wino_tile = winograd_tile_at_create(init, attrs, w);
  const bool pixel = pixel_gemm_at_create(init, attrs, w, pick_ukernel());
  const bool has_z = init.input_types.size() > 3 && init.input_types[3] != nullptr;
  auto k = std::make_unique<ConvKernel>(attrs, std::move(w), act, has_z);
  k->prepack(attrs ? attrs->group : 1, wino_tile, pixel);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_conv(const KernelInit& init) {
  return make_conv(init, ir::FusedActivation{});
}

Expected<std::unique_ptr<Kernel>> make_cpu_fused_conv(const KernelInit& init) {
  auto act = ir::read_fused_activation(init.node);
  if (!act) return act.status();
  return make_conv(init, *act);
}

// For the 16-bit Conv (nn_conv_half.cc); see nn_conv_impl.h.
namespace conv_impl {
ukernels::SgemmUkernel pick_sgemm_ukernel() { return pick_ukernel(); }
void pack_conv_weights(const float* w, int64_t G, int64_t Mg, int64_t K, int64_t mr, float* out) {
  pack_weights(w, G, Mg, K, mr, out);
}
bool conv_is_pointwise(const nn::ConvGeom& g) { return is_pointwise(g); }
void conv_gemm_item(const ukernels::SgemmUkernel& uk, const nn::ConvGeom& g, const float* x, bool pointwise,
                    const float* wp, float* y, const fused::Epilogue& epi, ThreadPool* pool) {
  gemm_item(uk, g, x, pointwise, wp, y, epi, pool);
}
ukernels::DwConv2dArgs conv_dw_args(const nn::ConvGeom& g, const ir::FusedActivation& act, bool has_z) {
  return depthwise::microkernel_args(g, act, has_z);
}
Expected<std::optional<nn::ConvAttrs>> conv_attrs_at_create(const KernelInit& init) { return attrs_at_create(init); }
}  // namespace conv_impl

}  // namespace onnxrt::kernels
