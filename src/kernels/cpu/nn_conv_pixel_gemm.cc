// Pointwise convolution with pixels as GEMM rows: see nn_conv_pixel_gemm.h.
#include "kernels/cpu/nn_conv_pixel_gemm.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "base/cpu_features.h"
#include "kernels/cpu/fused_epilogue.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::pixel_gemm {

namespace {

// The largest register tile we lay a result tile out for (the AVX-512 sgemm kernel is 12 x 32,
// the AVX2 one 6 x 16).
constexpr int kMaxMr = 16;
constexpr int kMaxNr = 32;
// Windowed convs take this path up to this many output pixels per image (see preferred()), with
// the AVX-512 microkernel.
constexpr int64_t kWindowedMaxPixels = 200;

// Offsets in X of the pixels of one tile, and whether they are consecutive floats (stride 1,
// one image), which makes packing a row copy.
struct TilePixels {
  int64_t off[kMaxMr];
  bool contiguous;
};

TilePixels tile_pixels(const nn::ConvGeom& g, int64_t q0, int64_t m) {
  TilePixels t;
  const int64_t P = g.out_size, OW = g.out[1], W = g.in[1];
  for (int64_t i = 0; i < m; ++i) {
    const int64_t q = q0 + i, n = q / P, p = q % P, oh = p / OW, ow = p % OW;
    t.off[i] = n * g.C * g.in_size + oh * g.stride[0] * W + ow * g.stride[1];
  }
  t.contiguous = true;
  for (int64_t i = 1; i < m; ++i) t.contiguous = t.contiguous && t.off[i] == t.off[0] + i;
  return t;
}

// K rows of R consecutive floats, `cs` apart, to a[k*R + i]. A constant size, so that the copy is
// inlined: a memcpy call per 48-byte row took 0.35 ms per MobileNetV2 run (C = 960 rows per
// tile), on one thread since the packing is cheap.
template <int64_t R>
void copy_rows(const float* src, int64_t K, int64_t cs, float* a) {
  for (int64_t k = 0; k < K; ++k, src += cs, a += R) std::memcpy(a, src, R * sizeof(float));
}

// a[k*m + i] = X[pixel i][channel k]: the A micro-panel of the sgemm microkernel.
void pack_tile_pointwise(const nn::ConvGeom& g, const float* x, int64_t q0, int64_t m, float* a) {
  const TilePixels t = tile_pixels(g, q0, m);
  const int64_t K = g.C, cs = g.in_size;
  if (t.contiguous && m == 12) return copy_rows<12>(x + t.off[0], K, cs, a);  // the AVX-512 tile
  if (t.contiguous && m == 6) return copy_rows<6>(x + t.off[0], K, cs, a);    // the AVX2 tile
  if (t.contiguous) {
    const float* src = x + t.off[0];
    for (int64_t k = 0; k < K; ++k, src += cs, a += m)
      for (int64_t i = 0; i < m; ++i) a[i] = src[i];
    return;
  }
  for (int64_t k = 0; k < K; ++k, a += m)
    for (int64_t i = 0; i < m; ++i) a[i] = x[t.off[i] + k * cs];
}

// The same for a windowed conv (im2col rows of the tile's pixels): column k = (c, kh, kw) of
// pixel i is X[c][oh*sh - pt + kh*dh][ow*sw - pl + kw*dw], zero in the padding.
void pack_tile_windowed(const nn::ConvGeom& g, const float* x, int64_t q0, int64_t m, float* a) {
  const int64_t P = g.out_size, OW = g.out[1], H = g.in[0], W = g.in[1], cs = g.in_size;
  const int64_t KH = g.kernel[0], KW = g.kernel[1];
  int64_t top[kMaxMr], left[kMaxMr];
  const float* img[kMaxMr];
  for (int64_t i = 0; i < m; ++i) {
    const int64_t q = q0 + i, n = q / P, p = q % P;
    top[i] = (p / OW) * g.stride[0] - g.pad_begin[0];
    left[i] = (p % OW) * g.stride[1] - g.pad_begin[1];
    img[i] = x + n * g.C * cs;
  }
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t kh = 0; kh < KH; ++kh) {
      for (int64_t kw = 0; kw < KW; ++kw, a += m) {
        for (int64_t i = 0; i < m; ++i) {
          const int64_t ih = top[i] + kh * g.dil[0], iw = left[i] + kw * g.dil[1];
          a[i] = ih >= 0 && ih < H && iw >= 0 && iw < W ? img[i][c * cs + ih * W + iw] : 0.f;
        }
      }
    }
  }
}

// A 1x1 window whose every output pixel reads an input pixel (any stride; no pads on either
// side): packing is a row copy or a strided gather. Other geometries, end pads of a 1x1 conv
// included, take the windowed packer, which zero-fills taps outside the plane.
bool is_unpadded_1x1(const nn::ConvGeom& g) {
  for (int d = 0; d < 2; ++d)
    if (g.kernel[d] != 1 || g.pad_begin[d] != 0 || (g.out[d] - 1) * g.stride[d] >= g.in[d]) return false;
  return true;
}

void pack_tile(const nn::ConvGeom& g, const float* x, int64_t q0, int64_t m, float* a) {
  if (is_unpadded_1x1(g)) {
    pack_tile_pointwise(g, x, q0, m, a);
  } else {
    pack_tile_windowed(g, x, q0, m, a);
  }
}

}  // namespace

Weights Weights::make(const float* w, int64_t M, int64_t K, int nr) {
  Weights r;
  r.nr_ = nr;
  r.M_ = M;
  r.K_ = K;
  const int64_t panels = (M + nr - 1) / nr;
  r.p_.assign(static_cast<size_t>(panels * K * nr), 0.f);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k)
      r.p_[static_cast<size_t>(((m / nr) * K + k) * nr + m % nr)] = w[m * K + k];
  return r;
}

bool applies(const nn::ConvGeom& g) {
  return (cpu_features().has_avx512() || cpu_features().has_avx2_fma()) && g.in.size() == 2 && g.G == 1 && g.C >= 1;
}

bool preferred(const nn::ConvGeom& g, int nr) {
  if (nr == 16) {
    // AVX2 (6x16 tiles; the other paths put pixels in 16-wide tiles): worth it only where those
    // leave many lanes idle. MobileNetV2 per node (1 thread, us, other path -> this one): 7x7
    // planes (49 of 64 lanes) 960->160 254 -> 220, 960->320 506 -> 426, 320->1280 692 -> 568,
    // 160->960 (K within the direct kernel's reach) 242 -> 217; 14x14 planes (196 of 208)
    // lost: 384->64 117 -> 130, 576->96 259 -> 277. Windowed convs too deep for the direct
    // kernel: ResNet-50's 3x3 stride-2 512 @14 -> 7 as a single-conv model (min of 100, ms)
    // 3.79-4.03 on the packed GEMM -> 3.07-3.26 here.
    const int64_t P = g.out_size, lanes = (P + 15) / 16 * 16;
    if (P * 100 >= lanes * 85) return false;
    return is_unpadded_1x1(g) || g.K() > 256;
  }
  // Measured per shape (1 thread, single-conv models, min of 30, ms: pixels-in-lanes path ->
  // this one): 2048->512 @7 1.29 -> 0.95, 512->2048 @7 +Z 1.27 -> 1.00, 1024->2048 @14 stride 2
  // 2.71 -> 2.09, 1024->512 @14 2.15 -> 1.94, 1024->256 @14 0.96 -> 1.00, 512->1024 @28
  // stride 2 2.07 -> 2.13; but with K <= 256 the direct kernel stays ahead (256->1024 @14 +Z
  // 1.03 -> 1.09) and planes of 28x28 and up fill their lanes anyway (512->256 @28 1.93 -> 2.03).
  if (is_unpadded_1x1(g)) return g.C > 256 && g.out_size <= 196;
  // Windowed convs too deep for the direct kernel (K > 256) otherwise run on the packed GEMM with
  // pixels in the lanes. ResNet-50's 3x3 stride-2 convs as single-conv models (bench_model, min
  // of 300, packed GEMM -> this path, ms): 512@14 (49 output pixels) 2.94 -> 2.29 at 1 thread,
  // 1.57 -> 1.14 at 2; 256@28 (196) 2.48 -> 2.42 and 1.49 -> 1.24. With 784 pixels (128@56)
  // the lanes fill anyway and the packed GEMM stays.
  return g.K() > 256 && g.out_size <= kWindowedMaxPixels;
}

int64_t scratch_floats(const nn::ConvGeom& g, int mr) {
  const int64_t tiles = (g.N * g.out_size + mr - 1) / mr;
  return tiles * mr * g.K() + 16;
}

void conv(const ukernels::SgemmUkernel& uk, const Weights& w, const nn::ConvGeom& g, const float* x,
          const float* bias, const float* z, const ir::FusedActivation& act, float* y, float* scratch,
          ThreadPool& pool) {
  const int64_t K = g.K(), M = g.M, P = g.out_size, NP = g.N * P;
  const int mr = uk.mr, nr = uk.nr;
  const int64_t tiles = (NP + mr - 1) / mr, panels = (M + nr - 1) / nr;
  const bool clamp = act.kind == ir::FusedAct::kRelu || act.kind == ir::FusedAct::kClip;
  const bool post = !clamp && act.kind != ir::FusedAct::kNone;
  const float lo = act.kind == ir::FusedAct::kClip ? act.p0 : 0.f;
  const float hi = act.kind == ir::FusedAct::kClip ? act.p1 : std::numeric_limits<float>::infinity();

  // 1. X^T into microkernel panels, tile t at scratch + t*mr*K (read by every channel panel).
  auto pack = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      pack_tile(g, x, t * mr, std::min<int64_t>(mr, NP - t * mr), scratch + t * mr * K);
  };
  // A copied float weighs about as much as 8 multiply-adds of the pool's cost model (the rows
  // are strided reads): counted as 1, a 450 KB copy (576 channels @14x14) stayed on one thread.
  pool.parallel_for(tiles, 8.0 * mr * K, pack);

  // 2. Per (channel panel, pixel tile): an mr x nr tile of Y^T, stored transposed into Y's rows.
  const double macs = static_cast<double>(NP) * M * K;
  const int64_t nt = pool.num_threads();
  const int64_t want = nt > 1 ? std::clamp<int64_t>(static_cast<int64_t>(macs / 2.5e5), 1, 4 * nt) : 1;
  const int64_t panel_chunks = std::min(panels, want);
  const int64_t tile_chunks = std::min(tiles, (want + panel_chunks - 1) / panel_chunks);
  const int64_t tasks = panel_chunks * tile_chunks;

  auto run_task = [&](int64_t task) {
    const int64_t pc = task / tile_chunks, tc = task % tile_chunks;
    const int64_t j0 = panels * pc / panel_chunks, j1 = panels * (pc + 1) / panel_chunks;
    const int64_t t0 = tiles * tc / tile_chunks, t1 = tiles * (tc + 1) / tile_chunks;
    alignas(64) float c[kMaxMr * kMaxNr];
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t ch0 = j * nr, nj = std::min<int64_t>(nr, M - ch0);
      const float* bp = w.panel(j);
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t q0 = t * mr, m = std::min<int64_t>(mr, NP - q0);
        uk.fn(m, nj, K, scratch + t * mr * K, bp, nr, c, nr, 1.f, 0.f);
        // Runs of the tile's pixels inside one image: consecutive floats of each channel row.
        for (int64_t i0 = 0; i0 < m;) {
          const int64_t n = (q0 + i0) / P, p = (q0 + i0) % P, len = std::min(m - i0, P - p);
          float* yb = y + (n * M + ch0) * P + p;
          const float* zb = z ? z + (n * M + ch0) * P + p : nullptr;
          const ukernels::TransposedStoreArgs st{c + i0 * nr, static_cast<int>(len), static_cast<int>(nj),
                                                 bias ? bias + ch0 : nullptr, zb, P, yb, P, clamp, lo, hi};
          if (nr == 32 && m <= 16) {
            ukernels::store_transposed_f32_avx512(st);
          } else if (nr == 16 && m <= 8) {
            ukernels::store_transposed_f32_avx2(st);
          } else {
            for (int64_t jj = 0; jj < nj; ++jj) {
              const float b = bias ? bias[ch0 + jj] : 0.f;
              const float* cc = c + i0 * nr + jj;
              float* yr = yb + jj * P;
              const float* zr = zb ? zb + jj * P : nullptr;
              for (int64_t i = 0; i < len; ++i) {
                float v = cc[i * nr] + b;
                if (zr) v += zr[i];
                if (clamp) v = std::min(std::max(v, lo), hi);
                yr[i] = v;
              }
            }
          }
          if (post) {
            fused::Epilogue e;
            e.act = act;
            fused::apply_epilogue(e, yb, P, nj, len);
          }
          i0 += len;
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

}  // namespace onnxrt::kernels::pixel_gemm
