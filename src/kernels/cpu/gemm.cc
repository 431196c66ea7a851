// The SGEMM driver: BLIS-style blocking around register-tiled microkernels.
//   jc (NC columns of B) -> pc (KC rows of K) -> [pack B block] -> ic (MC rows of A) -> [pack A]
//   -> jr (NR) -> ir (MR) -> microkernel
// The KC x NR B micro-panel (32 KB at 256x32) is reused by every MR x KC A micro-panel of the
// MC x KC A block (144 KB, well inside the 1 MB L2 of the Zen 4 dev machine). KC 128 and 192 and
// MR 14 measured no better than 256 and 12 there (~100 GFLOP/s single-thread, ~90% of the FMA
// loop peak measured on the same core).
// Threads get disjoint 2-D blocks of C (aligned to the tile sizes) and each packs its own A and B
// parts: one fork/join per call and no shared buffers, at the price of packing some B (or A)
// twice, which is O(1/M_block) of the arithmetic.
#include "kernels/cpu/gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "base/cpu_features.h"
#include "base/half.h"
#include "kernels/ukernels/gemm/sgemm.h"
#include "tensor/tensor_alloc.h"

namespace onnxrt::kernels {

struct PackedBAccess {
  static const float* data(const PackedB& b) { return b.data_.get(); }
  static const uint16_t* half(const PackedB& b) { return b.half_.get(); }
  static bool bf16(const PackedB& b) { return b.bf16_; }
  static GemmIsa isa(const PackedB& b) { return b.isa_; }
  static void init(PackedB& b, int64_t K, int64_t N, GemmIsa isa, std::shared_ptr<float> d,
                   std::shared_ptr<uint16_t> h = nullptr, bool bf16 = false) {
    b.K_ = K;
    b.N_ = N;
    b.isa_ = isa;
    b.data_ = std::move(d);
    b.half_ = std::move(h);
    b.bf16_ = bf16;
  }
};

namespace {

using ukernels::SgemmUkernel;

constexpr int64_t kKc = 256;
constexpr int64_t kNc = 1024;
constexpr int64_t kMcTarget = 144;
// K step when B is read unpacked (one row panel of A): short k runs keep the kc rows of B that
// one NR panel touches on few pages and in L1 for the next panel, at the cost of re-reading C
// K/16 times (cheap: C is one row panel). Measured on 1..12 x 3072 x 768: 16 beat 64 and 256
// by 10-30%.
constexpr int64_t kDirectKc = 16;
// Packed B panels are prefetched into L2 one panel ahead when a panel has at least this many row
// tiles (see run_block); with fewer the prefetches crowd the tiles.
constexpr int64_t kPrefetchMinTiles = 8;

GemmIsa resolve(GemmIsa isa) {
  const CpuFeatures& f = cpu_features();
  GemmIsa best = f.has_avx512() ? GemmIsa::kAvx512
                 : f.has_avx2_fma() ? GemmIsa::kAvx2
                                    : GemmIsa::kScalar;
  if (isa == GemmIsa::kAuto) return best;
  // An ISA this CPU lacks falls back to what it has (tests name ISAs explicitly).
  if (isa == GemmIsa::kAvx512 && best != GemmIsa::kAvx512) return best;
  if (isa == GemmIsa::kAvx2 && best == GemmIsa::kScalar) return best;
  return isa;
}

SgemmUkernel ukernel_for(GemmIsa resolved) {
  switch (resolved) {
    case GemmIsa::kAvx512: return ukernels::sgemm_ukernel_avx512();
    case GemmIsa::kAvx2: return ukernels::sgemm_ukernel_avx2();
    default: return ukernels::sgemm_ukernel_scalar();
  }
}

// Per-thread packing buffers, grown on demand and kept for the thread's life so that steady-state
// calls do not allocate.
struct Scratch {
  float* p = nullptr;
  size_t cap = 0;
  ~Scratch() { std::free(p); }
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      cap = p ? n : 0;
    }
    return p;
  }
};
thread_local Scratch tl_a;
thread_local Scratch tl_b;

// One full panel of MR rows of a row-major A (rows at src + i*lda, kc columns) into dst[k*MR + i],
// in steps of 8 columns: 8 floats read from each of the MR rows, then 8*MR floats written in a
// row. Row after row (kc floats of one row, then the next) read A as one short stream at a time
// and took ~1 ns a float when A had dropped out of L2 (the layer output that a GEMM reads, after
// the previous GEMM streamed its weights through): 6% of a BERT layer. MR streams at once keep
// that many cache misses in flight.
template <int MR>
void pack_a_panel(const float* src, int64_t lda, int64_t kc, float* dst) {
  constexpr int64_t kStep = 8;
  int64_t k = 0;
  for (; k + kStep <= kc; k += kStep) {
    float t[MR][kStep];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
      for (int j = 0; j < kStep; ++j) t[i][j] = src[i * lda + k + j];
#pragma GCC unroll 8
    for (int j = 0; j < kStep; ++j)
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) dst[(k + j) * MR + i] = t[i][j];
  }
  for (; k < kc; ++k)
    for (int i = 0; i < MR; ++i) dst[k * MR + i] = src[i * lda + k];
}

// The row tiles of an mc-row block: as few as MR allows, of heights that differ by at most one.
// With MR-high tiles and a short last one, 8 rows ran as 6 + 2 on AVX2, and the 2-row tile's 4
// accumulators cannot cover the FMA latency: it took 60% of the 6-row tile's time for a third of
// its work (an RNN's [8, 256] x [256, 256] steps at 50 GFLOP/s). As 4 + 4 both tiles keep 8
// accumulators busy.
struct RowTiles {
  int64_t count, base, extra;
  RowTiles(int64_t mc, int64_t mr) : count((mc + mr - 1) / mr), base(mc / count), extra(mc % count) {}
  int64_t start(int64_t t) const { return t * base + std::min(t, extra); }
  int64_t rows(int64_t t) const { return base + (t < extra ? 1 : 0); }
};

// A[i0:i0+mc, p0:p0+kc] into the row panels of RowTiles(mc, mr); the panel of tile t starts at
// out + start(t)*kc and is packed with its own row count, which is what the microkernel expects.
void pack_a(bool trans, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0,
            int64_t kc, int64_t mr, float* out) {
  const RowTiles tiles(mc, mr);
  if (trans) {
    // A^T is stored [K, M]: each of its kc rows is read once, front to back, and dealt out to
    // the tiles' panels. Tile by tile, every tile re-read all kc rows, and rows a multiple of
    // 4 KB apart (a ConvTranspose's input planes of 64 x 64 pixels, read as A^T) fell in the same
    // L1 sets: the packing took 19% of a 64 -> 32 channel 2x2 ConvTranspose over 128 x 128.
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = A + (p0 + k) * lda + i0;
      for (int64_t t = 0; t < tiles.count; ++t) {
        const int64_t ir = tiles.start(t), m = tiles.rows(t);
        float* dst = out + ir * kc + k * m;
        for (int64_t i = 0; i < m; ++i) dst[i] = src[ir + i];
      }
    }
    return;
  }
  for (int64_t t = 0; t < tiles.count; ++t) {
    const int64_t ir = tiles.start(t), m = tiles.rows(t);
    float* dst = out + ir * kc;
    const float* src = A + (i0 + ir) * lda + p0;
    // Full panels of each microkernel's MR (12 AVX-512, 6 AVX2, 4 scalar).
    if (m == 12) {
      pack_a_panel<12>(src, lda, kc, dst);
    } else if (m == 6) {
      pack_a_panel<6>(src, lda, kc, dst);
    } else if (m == 4) {
      pack_a_panel<4>(src, lda, kc, dst);
    } else {
      for (int64_t i = 0; i < m; ++i)
        for (int64_t k = 0; k < kc; ++k) dst[k * m + i] = src[i * lda + k];
    }
  }
}

// op(B)[p0:p0+kc, j0:j0+nc] into NR-column panels of kc*nr floats, zero-padded on the right.
// Walks B in its own row order (sequential reads, one write stream per panel); going panel by
// panel would stride through kc rows per panel and touch a new page almost every row for wide B.
// T is float, or uint16_t for float16 panels (copied as they are: packing only moves values).
template <typename T>
void pack_b(bool trans, const T* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0,
            int64_t nc, int64_t nr, T* out) {
  if (!trans) {
    for (int64_t k = 0; k < kc; ++k) {
      const T* src = B + (p0 + k) * ldb + j0;
      for (int64_t jr = 0; jr < nc; jr += nr) {
        const int64_t n = std::min(nr, nc - jr);
        T* d = out + (jr / nr) * kc * nr + k * nr;
        for (int64_t j = 0; j < n; ++j) d[j] = src[jr + j];
        for (int64_t j = n; j < nr; ++j) d[j] = T(0);  // +0 in float16 too
      }
    }
    return;
  }
  // Transposed: 8 x 8 tiles, so that reads (8 floats of a row of B) and writes (8 floats of a
  // panel row) are both contiguous. One float at a time with a stride of nr floats on the write
  // side took 2.4x as long (GPT-2's tied 768 x 50257 projection: 76 vs 32 ms).
  constexpr int64_t kTile = 8;
  for (int64_t jr = 0; jr < nc; jr += nr) {
    const int64_t n = std::min(nr, nc - jr);
    T* dst = out + (jr / nr) * kc * nr;
    for (int64_t k = 0; k < kc; ++k)
      for (int64_t j = n; j < nr; ++j) dst[k * nr + j] = T(0);
    for (int64_t j = 0; j < n; j += kTile) {
      const int64_t jn = std::min(kTile, n - j);
      const T* src = B + (j0 + jr + j) * ldb + p0;
      int64_t k = 0;
      if (jn == kTile) {
        for (; k + kTile <= kc; k += kTile) {
          T tile[kTile][kTile];
          for (int64_t a = 0; a < kTile; ++a)
            for (int64_t b = 0; b < kTile; ++b) tile[b][a] = src[a * ldb + k + b];
          for (int64_t b = 0; b < kTile; ++b)
            for (int64_t a = 0; a < kTile; ++a) dst[(k + b) * nr + j + a] = tile[b][a];
        }
      }
      for (; k < kc; ++k)
        for (int64_t a = 0; a < jn; ++a) dst[k * nr + j + a] = src[a * ldb + k];
    }
  }
}

// pack()'s layout for a B that is not 4-byte aligned: a weight read in place from a model file,
// whose raw_data may start at any byte (onnx/tensor_proto.h). Blocks of kKc x kStageCols of op(B)
// are first copied bytewise into aligned scratch, then packed as usual: no float is ever read
// through a misaligned pointer, and the extra copy stays in cache.
template <typename T>
void pack_b_misaligned(bool trans, const T* B, int64_t ldb, int64_t K, int64_t N, int64_t nr,
                       int64_t n_pad, T* out) {
  constexpr int64_t kStageCols = 256;  // a multiple of every microkernel's NR
  constexpr int64_t kSize = sizeof(T);
  const char* bytes = reinterpret_cast<const char*>(B);
  std::vector<T> stage(static_cast<size_t>(kKc * kStageCols));
  for (int64_t pc = 0; pc < K; pc += kKc) {
    const int64_t kc = std::min(kKc, K - pc);
    for (int64_t j0 = 0; j0 < N; j0 += kStageCols) {
      const int64_t nc = std::min(kStageCols, N - j0);
      if (!trans) {  // rows pc.. of B [K, N], columns j0..: staged as [kc, nc]
        for (int64_t k = 0; k < kc; ++k)
          std::memcpy(stage.data() + k * nc, bytes + ((pc + k) * ldb + j0) * kSize, static_cast<size_t>(nc * kSize));
      } else {  // B is [N, K]: rows j0.., columns pc..: staged as [nc, kc]
        for (int64_t j = 0; j < nc; ++j)
          std::memcpy(stage.data() + j * kc, bytes + ((j0 + j) * ldb + pc) * kSize, static_cast<size_t>(kc * kSize));
      }
      // Panels j0 / nr onwards of block pc.
      pack_b(trans, stage.data(), trans ? kc : nc, 0, kc, 0, nc, nr, out + pc * n_pad + (j0 / nr) * kc * nr);
    }
  }
}

struct Problem {
  SgemmUkernel uk;
  bool trans_a, trans_b;
  int64_t M, N, K;
  float alpha, beta;
  const float* A;
  int64_t lda;
  const float* B;  // unpacked B, or null when `packed` is set
  int64_t ldb;
  const float* packed;  // PackedB data: block p0 at packed + p0*n_pad, panel-major inside
  int64_t n_pad;
  float* C;
  int64_t ldc;
  const GemmEpilogue* epilogue = nullptr;  // called on each finished block of C; null: none
  const uint16_t* packed_half = nullptr;   // float16 PackedB data in packed's layout (packed null)
  bool half_is_bf16 = false;               // packed_half holds bfloat16

  bool is_packed() const { return packed != nullptr || packed_half != nullptr; }
};

// The epilogue over all of C in blocks of kEpilogueMaxCols columns, for the paths that produce C
// in one piece (K == 0, the small unpacked kernel).
void epilogue_all(const Problem& p) {
  if (!p.epilogue) return;
  for (int64_t c0 = 0; c0 < p.N; c0 += kEpilogueMaxCols)
    (*p.epilogue)(0, p.M, c0, std::min(p.N, c0 + kEpilogueMaxCols));
}

void run_block(const Problem& p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int64_t mr = p.uk.mr, nr = p.uk.nr;
  const int64_t mc_max = std::max<int64_t>(mr, kMcTarget / mr * mr);
  // With a single row panel B is used once: packing it would cost as much as the arithmetic.
  const bool direct_b = !p.is_packed() && !p.trans_b && (m1 - m0) <= mr;
  float* abuf = tl_a.get(static_cast<size_t>(mc_max * kKc));
  float* bbuf = (p.is_packed() || direct_b) ? nullptr : tl_b.get(static_cast<size_t>(kKc * kNc));
  if (!abuf || (!bbuf && !p.is_packed() && !direct_b)) return;  // out of memory: nothing sane to do
  const int64_t kc_step = direct_b ? kDirectKc : kKc;
  const int64_t elem_bytes = p.packed_half ? 2 : 4;
  for (int64_t jc = n0; jc < n1; jc += kNc) {
    const int64_t nc = std::min(kNc, n1 - jc);
    for (int64_t pc = 0; pc < p.K; pc += kc_step) {
      const int64_t kc = std::min(kc_step, p.K - pc);
      const float beta = pc == 0 ? p.beta : 1.f;
      const float* bblock = nullptr;
      const uint16_t* hblock = nullptr;  // float16 panels
      int64_t panel_stride, ldbk;
      if (p.is_packed()) {
        const int64_t off = pc * p.n_pad + (jc / nr) * kc * nr;
        if (p.packed_half) hblock = p.packed_half + off;
        else bblock = p.packed + off;
        panel_stride = kc * nr;
        ldbk = nr;
      } else if (direct_b) {
        bblock = p.B + pc * p.ldb + jc;
        panel_stride = nr;
        ldbk = p.ldb;
      } else {
        pack_b(p.trans_b, p.B, p.ldb, pc, kc, jc, nc, nr, bbuf);
        bblock = bbuf;
        panel_stride = kc * nr;
        ldbk = nr;
      }
      // After the last K block, each group of finished columns goes to the epilogue while its
      // mc rows are still in L1/L2.
      const bool epilogue_now = p.epilogue && pc + kc >= p.K;
      for (int64_t ic = m0; ic < m1; ic += mc_max) {
        const int64_t mc = std::min(mc_max, m1 - ic);
        pack_a(p.trans_a, p.A, p.lda, ic, mc, pc, kc, mr, abuf);
        int64_t epi_c0 = 0;
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int64_t n = std::min(nr, nc - jr);
          const float* bp = bblock ? bblock + (jr / nr) * panel_stride : nullptr;
          const uint16_t* hp = hblock ? hblock + (jr / nr) * panel_stride : nullptr;
          float* cp = p.C + ic * p.ldc + jc + jr;
          // A model's weights are read from DRAM when they exceed the caches (each transformer
          // layer's are used once per run), and the hardware prefetchers stop at 4 KB pages: a
          // 16 KB panel restarts its stream four times. So while one panel's row tiles run, the
          // next panel is fetched into L2, a slice per tile. BERT-base 1 thread 260 -> 250 ms,
          // GPT-2 prefill 366-372 -> 356. With few tiles per panel the prefetches crowd them
          // (Winograd's short strips: ResNet-50 1.5% slower when every panel was prefetched).
          const RowTiles tiles(mc, mr);
          const int64_t ntiles = tiles.count;
          const bool prefetch = p.is_packed() && ntiles >= kPrefetchMinTiles && jr + nr < nc;
          const int64_t lines = kc * nr * elem_bytes / 64;
          const int64_t lines_per_tile = (lines + ntiles - 1) / ntiles;
          const char* next = hp ? reinterpret_cast<const char*>(hp + panel_stride)
                                : reinterpret_cast<const char*>(bp + panel_stride);
          for (int64_t t = 0; t < ntiles; ++t) {
            const int64_t ir = tiles.start(t), m = tiles.rows(t);
            if (prefetch)
              for (int64_t l = t * lines_per_tile, e = std::min(lines, l + lines_per_tile); l < e; ++l)
                __builtin_prefetch(next + 64 * l, 0, 2);  // locality 2: into L2 (prefetcht1)
            if (hp)
              (p.half_is_bf16 ? p.uk.bf16_fn : p.uk.half_fn)(m, n, kc, abuf + ir * kc, hp, ldbk, cp + ir * p.ldc, p.ldc,
                           p.alpha, beta);
            else
              p.uk.fn(m, n, kc, abuf + ir * kc, bp, ldbk, cp + ir * p.ldc, p.ldc, p.alpha, beta);
          }
          if (epilogue_now && (jr + n - epi_c0 >= kEpilogueMaxCols || jr + n == nc)) {
            (*p.epilogue)(ic, ic + mc, jc + epi_c0, jc + jr + n);
            epi_c0 = jr + n;
          }
        }
      }
    }
  }
}

void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.f) {
      std::fill(c, c + N, 0.f);
    } else {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  }
}

// Small enough for the unpacked AVX-512 path: narrow B, short K, and little enough work that one
// thread is the right choice anyway (~64K multiply-adds, a few microseconds).
bool use_small_path(const Problem& p) {
  // The AVX-512 family only (the small kernel is AVX-512); compared by function, not by name,
  // since this runs on every GEMM call.
  static const ukernels::SgemmUkernelFn avx512 = ukernels::sgemm_ukernel_avx512().fn;
  if (p.uk.fn != avx512) return false;
  if (p.packed_half || p.N > ukernels::kSmallMaxN || p.K > ukernels::kSmallMaxK || p.M * p.N * p.K > (1 << 16))
    return false;
  if (p.packed) return p.N <= p.uk.nr && p.K <= kKc;  // one panel, one K block: row-major [K][nr]
  return !p.trans_b;
}

// Element (k, j) of op(B), packed or not (float32 only).
float b_at(const Problem& p, int64_t k, int64_t j) {
  if (!p.packed) return p.trans_b ? p.B[j * p.ldb + k] : p.B[k * p.ldb + j];
  const int64_t pc = k / kKc * kKc, kc = std::min(kKc, p.K - pc), nr = p.uk.nr;
  return p.packed[pc * p.n_pad + (j / nr) * kc * nr + (k - pc) * nr + j % nr];
}

// Narrow products (N <= 24, A not transposed, float32 B), read A in place instead of packing it
// for the 6x16 tile, which also spent most of its lanes on padding: a scikit-learn MLP's output
// layer [1000, 100] x [100, 1] took 99 us (onnxruntime 32), [1000, 100] x [100, 3..8] 70-77 us
// whatever N (onnxruntime 36-43). Up to four columns are row dot products (dot_rows, the
// attention decode ukernel); up to 24 the LSTM's row-panel tile (sgemm_rows) against op(B)
// copied once into a [K, round_up(N, 8)] panel. Threaded over row blocks, the epilogue per block.
// op(B) is copied into that layout on every call (K * N element reads), which the rows must pay
// for: with few rows the tile path is cheaper ([1, 4096] x [4096, 16] took 207 us on the copy).
constexpr int64_t kDotMaxN = 4;
constexpr int64_t kNarrowMinRows = 64;
bool use_narrow_path(const Problem& p) {
  static const ukernels::SgemmUkernelFn scalar = ukernels::sgemm_ukernel_scalar().fn;
  return p.N <= ukernels::kRowPanelWidth && p.M >= kNarrowMinRows && !p.trans_a && !p.packed_half &&
         p.uk.fn != scalar && cpu_features().has_avx2_fma();
}

void run_narrow(const Problem& p, ThreadPool* pool) {
  const bool dots = p.N <= kDotMaxN;
  // Dot products take op(B)'s columns contiguous; the row panels its rows, padded to 8.
  const int64_t width = dots ? p.K : (p.N + ukernels::kRowPanelStep - 1) / ukernels::kRowPanelStep * ukernels::kRowPanelStep;
  std::vector<float> b(static_cast<size_t>((dots ? p.N : p.K) * width), 0.f);
  for (int64_t j = 0; j < p.N; ++j)
    for (int64_t k = 0; k < p.K; ++k) b[static_cast<size_t>(dots ? j * p.K + k : k * width + j)] = b_at(p, k, j);
  constexpr int64_t kRows = 128;
  const int64_t blocks = (p.M + kRows - 1) / kRows;
  const bool direct = !dots && p.alpha == 1.f && p.beta == 0.f;  // the tile writes C itself
  auto work = [&](int64_t b0, int64_t b1) {
    float tmp[kRows * ukernels::kRowPanelWidth];
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t r0 = blk * kRows, rows = std::min(kRows, p.M - r0);
      const float* a = p.A + r0 * p.lda;
      float* c = p.C + r0 * p.ldc;
      if (direct) {
        ukernels::sgemm_rows_avx2(rows, p.N, p.K, a, p.lda, b.data(), c, p.ldc);
      } else {
        if (dots) {
          for (int64_t j = 0; j < p.N; ++j)
            ukernels::dot_rows_avx2(b.data() + j * p.K, a, p.lda, rows, p.K, p.alpha, tmp + j * kRows);
        } else {
          ukernels::sgemm_rows_avx2(rows, p.N, p.K, a, p.lda, b.data(), tmp, p.N);
        }
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t j = 0; j < p.N; ++j) {
            // dot_rows applied alpha already; the tile did not.
            const float v = dots ? tmp[j * kRows + i] : p.alpha * tmp[i * p.N + j];
            float& cij = c[i * p.ldc + j];
            cij = p.beta == 0.f ? v : v + p.beta * cij;
          }
      }
      if (p.epilogue) (*p.epilogue)(r0, r0 + rows, 0, p.N);
    }
  };
  if (pool) pool->parallel_for(blocks, static_cast<double>(kRows * p.N * p.K), work);
  else work(0, blocks);
}

void run(const Problem& p, ThreadPool* pool) {
  if (p.M <= 0 || p.N <= 0) return;
  if (p.K <= 0) {
    scale_c(p.M, p.N, p.beta, p.C, p.ldc);
    return epilogue_all(p);
  }
  if (use_narrow_path(p)) return run_narrow(p, pool);
  if (use_small_path(p)) {
    const float* B = p.packed ? p.packed : p.B;
    const int64_t ldb = p.packed ? p.uk.nr : p.ldb;
    ukernels::sgemm_small_avx512(p.M, p.N, p.K, p.alpha, p.A, p.lda, p.trans_a, B, ldb, p.beta, p.C, p.ldc);
    return epilogue_all(p);
  }
  const int64_t mr = p.uk.mr, nr = p.uk.nr;
  const int64_t mb = (p.M + mr - 1) / mr, nb = (p.N + nr - 1) / nr;
  const double flops = 2.0 * static_cast<double>(p.M) * static_cast<double>(p.N) *
                       static_cast<double>(p.K);
  // ~0.5 MFLOP per thread is where waking a worker (a few microseconds) starts to pay.
  int64_t threads = pool ? pool->num_threads() : 1;
  threads = std::min<int64_t>(threads, std::max<int64_t>(1, static_cast<int64_t>(flops / 5e5)));
  threads = std::min(threads, mb * nb);
  if (threads <= 1) return run_block(p, 0, p.M, 0, p.N);
  // Grid tm x tn = threads minimising one thread's cost per k: its (padded) tile arithmetic plus
  // packing its rows of A and columns of B, a packed float costing about 16 multiply-adds
  // (packing is memory-bound). E.g. 196x64x576 on 2 threads splits M, not N.
  int64_t best_tm = 1, best_tn = threads;
  double best_cost = 1e300;
  for (int64_t tm = 1; tm <= threads; ++tm) {
    if (threads % tm) continue;
    const int64_t tn = threads / tm;
    if (tm > mb || tn > nb) continue;
    const double rows = static_cast<double>((mb + tm - 1) / tm * mr);
    const double cols = static_cast<double>((nb + tn - 1) / tn * nr);
    const double cost = rows * cols + 16.0 * (rows + cols);
    if (cost < best_cost) best_cost = cost, best_tm = tm, best_tn = tn;
  }
  const int64_t tm = best_tm, tn = best_tn;
  pool->run_tasks(tm * tn, [&](int64_t task) {
    const int64_t ti = task / tn, tj = task % tn;
    const int64_t mb0 = mb * ti / tm, mb1 = mb * (ti + 1) / tm;
    const int64_t nb0 = nb * tj / tn, nb1 = nb * (tj + 1) / tn;
    const int64_t m0 = mb0 * mr, m1 = std::min(p.M, mb1 * mr);
    const int64_t n0 = nb0 * nr, n1 = std::min(p.N, nb1 * nr);
    if (m0 < m1 && n0 < n1) run_block(p, m0, m1, n0, n1);
  });
}

}  // namespace

void sgemm_isa(GemmIsa isa, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
               float alpha, const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
               float* C, int64_t ldc, ThreadPool* pool) {
  Problem p{ukernel_for(resolve(isa)), trans_a, trans_b, M, N, K, alpha, beta, A, lda, B, ldb,
            nullptr, 0, C, ldc};
  run(p, pool);
}

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc, ThreadPool* pool) {
  sgemm_isa(GemmIsa::kAuto, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, pool);
}

namespace {

// Panels of op(B) for the packed layout: K blocks of kKc, inside each the NR panels of all N (the
// order run_block walks). T is float, or uint16_t for float16 panels.
template <typename T>
std::shared_ptr<T> pack_panels(bool trans_b, int64_t K, int64_t N, const T* B, int64_t ldb, int64_t nr) {
  const int64_t n_pad = (std::max<int64_t>(N, 0) + nr - 1) / nr * nr;
  const size_t count = static_cast<size_t>(std::max<int64_t>(K, 0) * n_pad);
  // Lives as long as the kernel: weight storage (its own pre-faulted mapping when large; see
  // tensor_alloc.h).
  std::shared_ptr<void> storage = allocate_weight_bytes(std::max<size_t>(64, count * sizeof(T)));
  std::shared_ptr<T> data(storage, static_cast<T*>(storage.get()));
  if (!data) return data;
  if (reinterpret_cast<uintptr_t>(B) % alignof(T) != 0) {
    pack_b_misaligned(trans_b, B, ldb, K, N, nr, n_pad, data.get());
  } else {
    for (int64_t pc = 0; pc < K; pc += kKc) {
      const int64_t kc = std::min(kKc, K - pc);
      if (N > 0) pack_b(trans_b, B, ldb, pc, kc, 0, N, nr, data.get() + pc * n_pad);
    }
  }
  return data;
}

// The Problem of a product with a packed B (float32 or float16 panels).
Problem packed_problem(bool trans_a, int64_t M, float alpha, const float* A, int64_t lda, const PackedB& B,
                       float beta, float* C, int64_t ldc) {
  const SgemmUkernel uk = ukernel_for(PackedBAccess::isa(B));
  const int64_t n_pad = (B.N() + uk.nr - 1) / uk.nr * uk.nr;
  Problem p{uk, trans_a, false, M, B.N(), B.K(), alpha, beta, A, lda, nullptr, 0, PackedBAccess::data(B), n_pad, C, ldc};
  p.packed_half = PackedBAccess::half(B);
  p.half_is_bf16 = PackedBAccess::bf16(B);
  return p;
}

}  // namespace

PackedB PackedB::pack(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb,
                      GemmIsa isa) {
  PackedB out;
  const GemmIsa resolved = resolve(isa);
  PackedBAccess::init(out, K, N, resolved, pack_panels(trans_b, K, N, B, ldb, ukernel_for(resolved).nr));
  return out;
}

namespace {

// pack_half / pack_bf16: 16-bit panels, or float32 panels of the widened values for a family
// without a 16-bit tile.
PackedB pack_16bit(bool trans_b, int64_t K, int64_t N, const uint16_t* B, int64_t ldb, GemmIsa isa, bool bf16) {
  PackedB out;
  const GemmIsa resolved = resolve(isa);
  const SgemmUkernel uk = ukernel_for(resolved);
  if (!(bf16 ? uk.bf16_fn : uk.half_fn)) {
    const int64_t rows = trans_b ? N : K, cols = trans_b ? K : N;
    std::vector<float> wide(static_cast<size_t>(std::max<int64_t>(rows, 0) * std::max<int64_t>(ldb, 0)));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        uint16_t h;
        std::memcpy(&h, reinterpret_cast<const char*>(B) + (r * ldb + c) * 2, 2);  // B may be misaligned
        wide[static_cast<size_t>(r * ldb + c)] = bf16 ? bfloat16_to_float(h) : half_to_float(h);
      }
    return PackedB::pack(trans_b, K, N, wide.data(), ldb, resolved);
  }
  PackedBAccess::init(out, K, N, resolved, nullptr, pack_panels(trans_b, K, N, B, ldb, uk.nr), bf16);
  return out;
}

}  // namespace

PackedB PackedB::pack_half(bool trans_b, int64_t K, int64_t N, const uint16_t* B, int64_t ldb, GemmIsa isa) {
  return pack_16bit(trans_b, K, N, B, ldb, isa, false);
}

PackedB PackedB::pack_bf16(bool trans_b, int64_t K, int64_t N, const uint16_t* B, int64_t ldb, GemmIsa isa) {
  return pack_16bit(trans_b, K, N, B, ldb, isa, true);
}

namespace {

// Packings of constants for PackedB::pack_constant. An entry matches only while B's storage is
// alive (the weak reference locks): the same pointer into live storage is the same immutable
// bytes, while a freed constant's address may come back for other data. Entries whose storage
// or panels have gone are dropped on the next lookup.
struct SharedPacking {
  const void* key;  // B's data
  DType dtype;
  bool trans_b;
  int64_t K, N, ldb;
  std::weak_ptr<void> storage;
  PackedB meta;  // the packing's fields with its panels dropped (not kept alive by the cache)
  std::weak_ptr<float> data;
  std::weak_ptr<uint16_t> half;
};
std::mutex g_shared_mu;
std::vector<SharedPacking> g_shared;

}  // namespace

PackedB PackedB::pack_constant(bool trans_b, int64_t K, int64_t N, const Tensor& b) {
  const DType dt = b.dtype();
  if (b.rank() != 2 || (dt != DType::kFloat32 && dt != DType::kFloat16 && dt != DType::kBFloat16)) return {};
  const int64_t ldb = b.dim(1);
  auto pack_now = [&] {
    if (dt == DType::kFloat32) return pack(trans_b, K, N, b.data<float>(), ldb);
    if (dt == DType::kFloat16) return pack_half(trans_b, K, N, b.data<uint16_t>(), ldb);
    return pack_bf16(trans_b, K, N, b.data<uint16_t>(), ldb);
  };
  if (!b.storage() || !b.raw()) return pack_now();  // no owner to tell whether the bytes are still these
  {
    std::lock_guard<std::mutex> lock(g_shared_mu);
    std::erase_if(g_shared, [](const SharedPacking& e) {
      return e.storage.expired() || (e.data.expired() && e.half.expired());
    });
    for (const SharedPacking& e : g_shared) {
      if (e.key != b.raw() || e.dtype != dt || e.trans_b != trans_b || e.K != K || e.N != N || e.ldb != ldb) continue;
      PackedB hit = e.meta;
      hit.data_ = e.data.lock();
      hit.half_ = e.half.lock();
      if (!hit.empty()) return hit;
    }
  }
  PackedB packed = pack_now();
  if (!packed.empty()) {
    PackedB meta = packed;
    meta.data_.reset();
    meta.half_.reset();
    std::lock_guard<std::mutex> lock(g_shared_mu);
    g_shared.push_back({b.raw(), dt, trans_b, K, N, ldb, b.storage(), std::move(meta), packed.data_, packed.half_});
  }
  return packed;
}

void sgemm_packed(bool trans_a, int64_t M, float alpha, const float* A, int64_t lda,
                  const PackedB& B, float beta, float* C, int64_t ldc, ThreadPool* pool) {
  sgemm_packed_epilogue(trans_a, M, alpha, A, lda, B, beta, C, ldc, pool, GemmEpilogue());
}

void sgemm_packed_epilogue(bool trans_a, int64_t M, float alpha, const float* A, int64_t lda,
                           const PackedB& B, float beta, float* C, int64_t ldc, ThreadPool* pool,
                           const GemmEpilogue& epilogue) {
  Problem p = packed_problem(trans_a, M, alpha, A, lda, B, beta, C, ldc);
  if (epilogue) p.epilogue = &epilogue;
  if (!p.is_packed() && p.K > 0 && p.N > 0) return;  // pack() failed to allocate
  run(p, pool);
}

void sgemm_packed_bias(bool trans_a, int64_t M, float alpha, const float* A, int64_t lda,
                       const PackedB& B, float beta, const float* bias, float* C, int64_t ldc,
                       ThreadPool* pool) {
  const Problem p = packed_problem(trans_a, M, alpha, A, lda, B, beta, C, ldc);
  if (p.packed && p.K > 0 && M > 0 && use_small_path(p)) {
    ukernels::sgemm_small_avx512(M, p.N, p.K, alpha, A, lda, trans_a, p.packed, p.uk.nr, beta, C, ldc, bias);
    return;
  }
  // The bias is added per block while the block is in cache (a pre-filled C was a serial pass
  // over all of C first: 512 KB per LSTM layer, on the calling thread).
  const GemmEpilogue add_bias = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    for (int64_t i = r0; i < r1; ++i) {
      float* row = C + i * ldc;
      for (int64_t j = c0; j < c1; ++j) row[j] += beta * bias[j];
    }
  };
  sgemm_packed_epilogue(trans_a, M, alpha, A, lda, B, 0.f, C, ldc, pool, add_bias);
}

void sgemm_packed_columns(bool trans_a, int64_t M, float alpha, const float* A, int64_t lda,
                          const PackedB& B, int64_t n0, int64_t n1, float beta, float* C,
                          int64_t ldc) {
  const Problem p = packed_problem(trans_a, M, alpha, A, lda, B, beta, C, ldc);
  n1 = std::min(n1, B.N());
  if (M <= 0 || n0 >= n1 || n0 < 0 || n0 % p.uk.nr != 0) return;
  if (p.K <= 0) return scale_c(M, n1 - n0, beta, C + n0, ldc);
  if (!p.is_packed()) return;  // pack() failed to allocate
  run_block(p, 0, M, n0, n1);
}

const char* sgemm_variant(GemmIsa isa) { return ukernel_for(resolve(isa)).name; }

}  // namespace onnxrt::kernels
