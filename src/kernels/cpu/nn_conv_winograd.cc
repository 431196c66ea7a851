// Winograd F(2x2,3x3) / F(4x4,3x3) convolution (see the header for the method and its error).
//
// The image is processed in chunks of tile rows (across images when N > 1) so that the
// transformed input V and the GEMM results of a chunk stay in L2 between the three stages:
//   1. input transform: per (tile row, 16-channel block) the alpha input rows are gathered into
//      a [row][column][16 channels] strip (zero padding included), then the ukernel transforms
//      every tile of the strip with 16-lane vectors and scatters it into V[xi][tile][c];
//   2. alpha^2 GEMMs Mxi[tile][m] = V[xi] * U[xi] with sgemm_packed, spread over the threads
//      (one whole GEMM per task: they are small, and splitting each one would pack A twice);
//   3. output transform: per (tile row, 16-output-channel block) the ukernel turns the alpha^2
//      results into tile x tile outputs plus bias, which are written into Y's rows; Z and the
//      activation of FusedConv are then applied to those rows while they are in cache.
// Small convs (one chunk, small U) instead give each thread its own tile rows and run all three
// stages there (row_split_tasks).
#include "kernels/cpu/nn_conv_winograd.h"

#include <algorithm>
#include <cstring>

#include "base/cpu_features.h"
#include "kernels/cpu/fused_epilogue.h"
#include "kernels/ukernels/nn/winograd.h"

namespace onnxrt::kernels::winograd {

namespace {

using ukernels::kWinogradLanes;

// Chunk budget for V plus the GEMM results, in floats (~1 MB, the L2 of the dev machine's Zen 4).
constexpr int64_t kChunkFloats = 256 * 1024;
constexpr int64_t kB = ir::kChannelBlock;  // lanes per block of the blocked layout
// ...but at least this many tiles per chunk: each chunk streams all of U through the GEMMs, and
// with wide layers (C = M = 512: U is 38 MB for F(4x4)) a chunk of a few tiles spent its time
// reading U. The per-xi working set of the GEMM (V[xi], Mx[xi]) stays small either way.
constexpr int64_t kMinChunkTiles = 64;

// G (alpha x 3) for each tile size: the weight transform U = G g G^T.
constexpr double kG2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
constexpr double kG4[6][3] = {{1.0 / 4, 0, 0},
                              {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                              {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                              {1.0 / 24, 1.0 / 12, 1.0 / 6},
                              {1.0 / 24, -1.0 / 12, 1.0 / 6},
                              {0, 0, 1}};

struct Tiling {
  int64_t tile, alpha, a2;
  int64_t tiles_h, tiles_w;
  int64_t rows;        // tile rows over all images: N * tiles_h
  int64_t chunk_rows;  // tile rows per chunk
  int64_t buf_cols;    // columns of an input strip: tiles_w * tile + 2
};

Tiling tiling(const nn::ConvGeom& g, int tile) {
  Tiling t;
  t.tile = tile;
  t.alpha = tile + 2;
  t.a2 = t.alpha * t.alpha;
  t.tiles_h = (g.out[0] + tile - 1) / tile;
  t.tiles_w = (g.out[1] + tile - 1) / tile;
  t.rows = g.N * t.tiles_h;
  const int64_t per_row = t.a2 * t.tiles_w * (g.C + g.M);
  const int64_t min_rows = (kMinChunkTiles + t.tiles_w - 1) / t.tiles_w;
  t.chunk_rows = std::clamp<int64_t>(std::max(kChunkFloats / std::max<int64_t>(per_row, 1), min_rows), 1,
                                     std::max<int64_t>(t.rows, 1));
  t.buf_cols = t.tiles_w * tile + 2;
  return t;
}

// Per-thread strip buffers, grown on demand and kept for the thread's life.
float* thread_strip(size_t floats) {
  thread_local std::vector<float> buf;
  if (buf.size() < floats) buf.assign(floats, 0.f);
  return buf.data();
}

// Plane (n, channel) of the 2-D conv's input: X's plane, or for a stacked 3-D conv the depth slice
// it stands for (null: a zero slice outside X). The 2-D conv is the stack with one slice.
const float* in_plane(const float* x, const nn::ConvGeom& g, const DepthStack& ds, int64_t n, int64_t ch) {
  const int64_t od = n % ds.OD, kd = ch % ds.KD;
  const int64_t id = od * ds.stride - ds.pad + kd * ds.dil;
  if (id < 0 || id >= ds.D) return nullptr;
  return x + ((n / ds.OD * (g.C / ds.KD) + ch / ds.KD) * ds.D + id) * g.in[0] * g.in[1];
}

// Plane (n, m) of Y (and of Z, which has Y's layout): [N, M, OD, OH, OW] for a stacked 3-D conv.
int64_t out_plane(const nn::ConvGeom& g, const DepthStack& ds, int64_t n, int64_t m) {
  return ((n / ds.OD * g.M + m) * ds.OD + n % ds.OD) * g.out[0] * g.out[1];
}

// fn(task) for every task, over the pool's threads when the work pays for waking them. Tasks
// are claimed dynamically (run_tasks): on a loaded machine a statically split range waited for
// whichever thread was preempted.
// A null pool runs every task on the caller (the chunk is already one thread's share).
template <class Fn>
void spread(ThreadPool* pool, int64_t tasks, double cost_per_task, const Fn& fn) {
  if (pool && pool->num_threads() > 1 && tasks > 1 && cost_per_task * static_cast<double>(tasks) >= 65536.0) {
    pool->run_tasks(tasks, fn);
  } else {
    for (int64_t i = 0; i < tasks; ++i) fn(i);
  }
}

}  // namespace

Weights Weights::make(const float* w, int64_t M, int64_t C, int tile) {
  Weights r;
  r.tile_ = tile;
  r.M_ = M;
  r.C_ = C;
  const int alpha = tile + 2;
  const double(*G)[3] = tile == 4 ? kG4 : kG2;
  // U[xi][c][m], computed in double so that the transform itself adds no rounding beyond the
  // final conversion; one row i of the alpha x alpha tile at a time (xi = i * alpha + j), so the
  // unpacked buffer is alpha times smaller than all of U (6 MB instead of 38 MB for 512x512 F(4x4),
  // which was the peak of a ResNet-50 session's creation).
  std::vector<float> u(static_cast<size_t>(alpha * C * M));
  r.u_.reserve(static_cast<size_t>(alpha * alpha));
  // m innermost, so that each row of U is written in order: with c innermost the writes were M
  // floats apart (ResNet-50 b8's creation, min of 8 in one process, four alternated samples:
  // 258-304 -> 217-266 ms).
  for (int i = 0; i < alpha; ++i) {
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t m = 0; m < M; ++m) {
        const float* g = w + (m * C + c) * 9;
        double gg[3];  // row i of G g
        for (int b = 0; b < 3; ++b) gg[b] = G[i][0] * g[b] + G[i][1] * g[3 + b] + G[i][2] * g[6 + b];
        for (int j = 0; j < alpha; ++j) {
          const double v = gg[0] * G[j][0] + gg[1] * G[j][1] + gg[2] * G[j][2];
          u[static_cast<size_t>((j * C + c) * M + m)] = static_cast<float>(v);
        }
      }
    }
    for (int j = 0; j < alpha; ++j) r.u_.push_back(PackedB::pack(false, C, M, u.data() + j * C * M, M));
  }
  return r;
}

bool applies(const nn::ConvGeom& g) {
  return g.in.size() == 2 && g.G == 1 && g.kernel[0] == 3 && g.kernel[1] == 3 && g.stride[0] == 1 &&
         g.stride[1] == 1 && g.dil[0] == 1 && g.dil[1] == 1 && g.pad_begin[0] >= 0 && g.pad_begin[1] >= 0;
}

int pick_tile(const nn::ConvGeom& g) {
  // Measured with bench_model on single-conv models (Zen 4, 1 thread, medians of 3), im2col ->
  // Winograd ms: C=M=16 @32x32 0.077 -> 0.059; C=M=64 @8x8 0.087 -> 0.030; C=16 M=64 @56
  // 0.63 -> 0.38; C=M=256 @7 0.81 -> 0.24 (F2 0.35); C=M=512 @7 3.1 -> 1.9 (F2 1.65); the same
  // batch 2: 6.3 -> 2.35 (F2 3.2). So every conv with 16+ channels each way pays, and F(4x4)
  // wins except when its U (36*C*M floats) is large and shared by few tiles: then the 16/36
  // smaller U of F(2x2) costs less to stream than F(4x4)'s multiplies save.
  // With the AVX2 transforms (an AVX2-only EPYC, 1 thread) ResNet-50 b1 went from 166-169 to
  // 97-99 ms with the same thresholds. Without AVX2 the portable transforms (16-float arrays the
  // compiler vectorizes at SSE width) may cost more than the multiplies saved: not used.
  if (!cpu_features().has_avx512() && !cpu_features().has_avx2_fma()) return 0;
  if (g.C < 16 || g.M < 16) return 0;
  const int64_t tiles4 = g.N * ((g.out[0] + 3) / 4) * ((g.out[1] + 3) / 4);
  const double u4_bytes = 36.0 * 4.0 * static_cast<double>(g.C) * static_cast<double>(g.M);
  if (tiles4 < 8 && u4_bytes > 16e6) return 2;
  return 4;
}

namespace {

// Whether threads split the tile rows of a small conv (each runs all three stages on its own rows
// with its own V and GEMM results) instead of sharing every stage of each chunk: one meeting of
// the threads per conv instead of three per chunk, and the transforms run in parallel too. Only
// when U is small, since each thread then streams all of it, and all rows fit in one chunk.
// small_cnn (its 16->32 conv on 16x16), bench_model at 2 threads: median 34-35 -> 27-29 us.
constexpr double kSplitRowsMaxUBytes = 1 << 20;

int64_t row_split_tasks(const nn::ConvGeom& g, const Tiling& t, int threads) {
  if (threads < 2 || t.rows < 2 || t.chunk_rows < t.rows) return 1;
  if (static_cast<double>(t.a2) * g.C * g.M * 4.0 > kSplitRowsMaxUBytes) return 1;
  const double macs = static_cast<double>(t.a2) * t.rows * t.tiles_w * g.C * g.M;
  if (macs < 4 * 65536.0) return 1;
  return std::min<int64_t>(threads, t.rows);
}

// Scratch floats of one chunk of `rows` tile rows: V [a2][T][C] and the GEMM results [a2][T][M].
int64_t chunk_floats(const nn::ConvGeom& g, const Tiling& t, int64_t rows) {
  return t.a2 * rows * t.tiles_w * (g.C + g.M) + kWinogradLanes;
}

// The three stages for tile rows [r0, r0 + nrows) (over all images), stages spread over `pool`
// (null: on the caller).
void run_chunk(const Weights& w, const nn::ConvGeom& g, const Tiling& t, const float* x, const float* bias,
               const float* z, const ir::FusedActivation& act, float* y, float* scratch, int64_t r0,
               int64_t nrows, ThreadPool* pool, bool blocked, const DepthStack& ds) {
  const int64_t C = g.C, M = g.M, H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1];
  const int64_t ph = g.pad_begin[0], pw = g.pad_begin[1];
  const int64_t cblocks = (C + kWinogradLanes - 1) / kWinogradLanes;
  const int64_t mblocks = (M + kWinogradLanes - 1) / kWinogradLanes;
  const int64_t in_strip = t.alpha * t.buf_cols * kWinogradLanes;
  const int64_t out_strip = t.tile * t.tiles_w * t.tile * kWinogradLanes;
  const ukernels::WinogradInputFn in_fn = ukernels::winograd_input_f32_ukernel();
  const ukernels::WinogradOutputFn out_fn = ukernels::winograd_output_f32_ukernel();
  const bool has_epi = z || act.kind != ir::FusedAct::kNone;
  const int64_t T = nrows * t.tiles_w;  // tiles in this chunk
  float* V = scratch;                   // [a2][T][C]
  float* Mx = scratch + t.a2 * T * C;   // [a2][T][M] (+16 floats of slack for the last block)

  // 1. Input transform, one task per (tile row, channel block).
  spread(pool, nrows * cblocks, static_cast<double>(in_strip * 4), [&](int64_t it) {
    float* buf = thread_strip(static_cast<size_t>(in_strip));
    {
      const int64_t row = it / cblocks, cb = it % cblocks;
      const int64_t n = (r0 + row) / t.tiles_h, ty = (r0 + row) % t.tiles_h;
      const int64_t c0 = cb * kWinogradLanes, lanes = std::min(kWinogradLanes, C - c0);
      // Strip column j holds input column j - pw; columns outside X (padding, or the right
      // edge of the last partial tile) are zero.
      const int64_t j0 = std::min(pw, t.buf_cols), j1 = std::clamp(W + pw, j0, t.buf_cols);
      const float* planes[kWinogradLanes] = {};
      if (!blocked)
        for (int64_t l = 0; l < lanes; ++l) planes[l] = in_plane(x, g, ds, n, c0 + l);
      for (int64_t r = 0; r < t.alpha; ++r) {
        float* brow = buf + r * t.buf_cols * kWinogradLanes;
        const int64_t ih = ty * t.tile + r - ph;
        if (ih < 0 || ih >= H) {
          std::fill(brow, brow + t.buf_cols * kWinogradLanes, 0.f);
          continue;
        }
        std::fill(brow, brow + j0 * kWinogradLanes, 0.f);
        std::fill(brow + j1 * kWinogradLanes, brow + t.buf_cols * kWinogradLanes, 0.f);
        if (blocked) {
          // Channels c0.. are one or two blocks whose pixels hold 8 lanes each: whole runs.
          for (int64_t h = 0; h * kB < lanes; ++h) {
            const float* src = x + (((n * (C / kB) + c0 / kB + h) * H + ih) * W - pw) * kB;
            for (int64_t j = j0; j < j1; ++j)
              std::copy(src + j * kB, src + j * kB + kB, brow + j * kWinogradLanes + h * kB);
          }
          continue;
        }
        for (int64_t l = 0; l < lanes; ++l) {
          const float* plane = planes[l];
          if (!plane) {
            for (int64_t j = j0; j < j1; ++j) brow[j * kWinogradLanes + l] = 0.f;
            continue;
          }
          const float* src = plane + ih * W - pw;
          for (int64_t j = j0; j < j1; ++j) brow[j * kWinogradLanes + l] = src[j];
        }
      }
      ukernels::WinogradInputArgs a{};
      a.tile = t.tile;
      a.buf = buf;
      a.buf_row_stride = t.buf_cols * kWinogradLanes;
      a.tiles = t.tiles_w;
      a.v = V + row * t.tiles_w * C + c0;
      a.v_xi_stride = T * C;
      a.v_tile_stride = C;
      a.lanes = lanes;
      in_fn(a);
    }
  });

  // 2. The a2 GEMMs.
  auto gemm = [&](int64_t xi) {
    sgemm_packed(false, T, 1.f, V + xi * T * C, C, w.u(xi), 0.f, Mx + xi * T * M, M, nullptr);
  };
  spread(pool, t.a2, static_cast<double>(T) * C * M, gemm);

  // 3. Output transform, one task per (tile row, output-channel block).
  spread(pool, nrows * mblocks, static_cast<double>(out_strip * 4), [&](int64_t it) {
    float* obuf = thread_strip(static_cast<size_t>(out_strip));
    {
      const int64_t row = it / mblocks, mb = it % mblocks;
      const int64_t n = (r0 + row) / t.tiles_h, ty = (r0 + row) % t.tiles_h;
      const int64_t m0 = mb * kWinogradLanes, lanes = std::min(kWinogradLanes, M - m0);
      alignas(64) float bias16[kWinogradLanes] = {};
      if (bias) std::copy(bias + m0, bias + m0 + lanes, bias16);
      ukernels::WinogradOutputArgs a{};
      a.tile = t.tile;
      a.m = Mx + row * t.tiles_w * M + m0;
      a.m_xi_stride = T * M;
      a.m_tile_stride = M;
      a.tiles = t.tiles_w;
      a.bias = bias ? bias16 : nullptr;
      a.out = obuf;
      a.out_row_stride = t.tiles_w * t.tile * kWinogradLanes;
      out_fn(a);
      const int64_t oh0 = ty * t.tile, nr = std::min(t.tile, OH - oh0);
      if (blocked) {
        for (int64_t h = 0; h * kB < lanes; ++h) {
          const int64_t at = ((n * (M / kB) + m0 / kB + h) * OH + oh0) * OW * kB;
          float* yb = y + at;
          for (int64_t r = 0; r < nr; ++r) {
            const float* src = obuf + r * a.out_row_stride + h * kB;
            float* dst = yb + r * OW * kB;
            for (int64_t j = 0; j < OW; ++j) std::copy(src + j * kWinogradLanes, src + j * kWinogradLanes + kB, dst + j * kB);
          }
          if (has_epi) {
            fused::Epilogue e;
            e.act = act;
            e.z = z ? z + at : nullptr;
            e.ldz = OW * kB;
            fused::apply_epilogue(e, yb, OW * kB, nr, OW * kB);
          }
        }
        return;
      }
      for (int64_t l = 0; l < lanes; ++l) {
        const int64_t plane = out_plane(g, ds, n, m0 + l);
        float* yc = y + plane + oh0 * OW;
        for (int64_t r = 0; r < nr; ++r) {
          const float* src = obuf + r * a.out_row_stride + l;
          float* dst = yc + r * OW;
          for (int64_t j = 0; j < OW; ++j) dst[j] = src[j * kWinogradLanes];
        }
        if (has_epi) {
          fused::Epilogue e;
          e.act = act;
          e.z = z ? z + plane + oh0 * OW : nullptr;
          e.ldz = OW;
          fused::apply_epilogue(e, yc, OW, nr, OW);
        }
      }
    }
  });
}

}  // namespace

int64_t scratch_floats(const nn::ConvGeom& g, int tile, int threads) {
  const Tiling t = tiling(g, tile);
  const int64_t tasks = row_split_tasks(g, t, threads);
  if (tasks > 1) return tasks * chunk_floats(g, t, (t.rows + tasks - 1) / tasks);
  return chunk_floats(g, t, t.chunk_rows);
}

namespace {

void conv_stacked(const Weights& w, const nn::ConvGeom& g, const float* x, const float* bias, const float* z,
                  const ir::FusedActivation& act, float* y, float* scratch, ThreadPool& pool, bool blocked,
                  const DepthStack& ds) {
  const Tiling t = tiling(g, w.tile());
  const int64_t tasks = row_split_tasks(g, t, pool.num_threads());
  if (tasks > 1) {
    const int64_t per = chunk_floats(g, t, (t.rows + tasks - 1) / tasks);
    pool.run_tasks(tasks, [&](int64_t k) {
      const int64_t r0 = t.rows * k / tasks, r1 = t.rows * (k + 1) / tasks;
      run_chunk(w, g, t, x, bias, z, act, y, scratch + k * per, r0, r1 - r0, nullptr, blocked, ds);
    });
    return;
  }
  for (int64_t r0 = 0; r0 < t.rows; r0 += t.chunk_rows)
    run_chunk(w, g, t, x, bias, z, act, y, scratch, r0, std::min(t.chunk_rows, t.rows - r0), &pool, blocked, ds);
}

}  // namespace

void conv(const Weights& w, const nn::ConvGeom& g, const float* x, const float* bias, const float* z,
          const ir::FusedActivation& act, float* y, float* scratch, ThreadPool& pool, bool blocked) {
  conv_stacked(w, g, x, bias, z, act, y, scratch, pool, blocked, DepthStack{});
}

bool applies_3d(const nn::ConvGeom& g) {
  return g.in.size() == 3 && g.G == 1 && g.kernel[1] == 3 && g.kernel[2] == 3 && g.stride[1] == 1 &&
         g.stride[2] == 1 && g.dil[1] == 1 && g.dil[2] == 1 && g.pad_begin[0] >= 0 && g.pad_begin[1] >= 0 &&
         g.pad_begin[2] >= 0;
}

nn::ConvGeom stacked_geometry(const nn::ConvGeom& g, DepthStack* ds) {
  *ds = DepthStack{g.in[0], g.out[0], g.kernel[0], g.stride[0], g.dil[0], g.pad_begin[0]};
  nn::ConvGeom s = g;
  s.N = g.N * g.out[0];
  s.C = s.Cg = g.C * g.kernel[0];
  s.in = {g.in[1], g.in[2]};
  s.out = {g.out[1], g.out[2]};
  s.kernel = {3, 3}, s.stride = {1, 1}, s.dil = {1, 1};
  s.pad_begin = {g.pad_begin[1], g.pad_begin[2]};
  s.in_size = s.in[0] * s.in[1], s.out_size = s.out[0] * s.out[1], s.kernel_size = 9;
  return s;
}

void conv_3d(const Weights& w, const nn::ConvGeom& g, const float* x, const float* bias, const float* z,
             const ir::FusedActivation& act, float* y, float* scratch, ThreadPool& pool) {
  DepthStack ds;
  const nn::ConvGeom s = stacked_geometry(g, &ds);
  conv_stacked(w, s, x, bias, z, act, y, scratch, pool, false, ds);
}

}  // namespace onnxrt::kernels::winograd
