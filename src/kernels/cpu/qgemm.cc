// Blocking and packing for the integer GEMM (qgemm.h). A is packed once per call into int16
// micro-panels of kIgemmRows rows; B into panels of kIgemmCols columns (int16, or int8 widened
// per K block into a 16 KB stack buffer). The work is split into
// (row group, column panel) items; each item runs its row tiles over K blocks of kKcPairs pairs,
// so that a panel's block (kKcPairs * 64 bytes = 16 KB) stays in L1 while the row tiles pass.
#include "kernels/cpu/qgemm.h"

#include <algorithm>
#include <climits>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/ukernels/gemm/igemm.h"

namespace onnxrt::kernels {
namespace {

using ukernels::kIgemmCols;
using ukernels::kIgemmRows;

constexpr int64_t kKcPairs = 256;
constexpr int64_t kGroupTiles = 16;  // row tiles per work item (96 rows)
// Row groups of at most this many tiles run the narrow tile on int8 panels (see run_items).
constexpr int64_t kNarrowTileMaxTiles = 2;

int64_t pairs_of(int64_t K) { return (K + 1) / 2; }
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int32_t element(const void* data, bool is_signed, int64_t i) {
  return is_signed ? static_cast<const int8_t*>(data)[i] : static_cast<const uint8_t*>(data)[i];
}

int32_t zero_point(const QuantOperand& op, int64_t i) {
  if (!op.zp || op.zp_count == 0) return 0;
  return element(op.zp, op.is_signed, op.zp_count == 1 ? 0 : i % op.zp_count);
}

// Row tile t of A (rows [r0, r0 + mt)) into dst: for each k pair, mt pairs.
template <typename T>
void pack_a_tile(const QuantOperand& a, int64_t r0, int64_t mt, int64_t K, int16_t* dst) {
  const T* src = static_cast<const T*>(a.data);
  const int64_t pairs = pairs_of(K);
  for (int64_t i = 0; i < mt; ++i) {
    const T* row = src + (r0 + i) * a.ld;
    const int32_t z = zero_point(a, r0 + i);
    int16_t* d = dst + 2 * i;
    for (int64_t k = 0; k + 1 < K; k += 2, d += 2 * mt) {
      d[0] = static_cast<int16_t>(row[k] - z);
      d[1] = static_cast<int16_t>(row[k + 1] - z);
    }
    if (K % 2) {
      d = dst + 2 * i + (pairs - 1) * 2 * mt;
      d[0] = static_cast<int16_t>(row[K - 1] - z);
      d[1] = 0;
    }
  }
}

ukernels::IgemmTileFn tile_for(QgemmIsa isa) {
  const bool avx2 = cpu_features().has_avx2_fma();
  if (isa == QgemmIsa::kScalar || !avx2) return &ukernels::igemm_tile_scalar;
  return &ukernels::igemm_tile_avx2;
}

}  // namespace

size_t QuantPackedB::packed_elements(int64_t K, int64_t N) {
  return static_cast<size_t>(ceil_div(N, kIgemmCols) * pairs_of(K) * 2 * kIgemmCols);
}

QuantPackedB QuantPackedB::pack_into(int64_t K, int64_t N, const QuantOperand& b, int16_t* buffer, QgemmIsa isa,
                                     ThreadPool* pool) {
  const auto pack = isa != QgemmIsa::kScalar && cpu_features().has_avx2_fma() ? &ukernels::igemm_pack_panel_avx2
                                                                               : &ukernels::igemm_pack_panel_scalar;
  const int64_t panel_size = pairs_of(K) * 2 * kIgemmCols, panels = ceil_div(N, kIgemmCols);
  auto pack_panels = [&](int64_t q0, int64_t q1) {
    int16_t z[kIgemmCols];
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t c0 = q * kIgemmCols, nc = std::min<int64_t>(kIgemmCols, N - c0);
      for (int64_t j = 0; j < kIgemmCols; ++j) z[j] = static_cast<int16_t>(j < nc ? zero_point(b, c0 + j) : 0);
      pack(static_cast<const uint8_t*>(b.data) + c0, b.is_signed, b.ld, K, nc, z, buffer + q * panel_size);
    }
  };
  if (pool) pool->parallel_for(panels, static_cast<double>(2 * K * kIgemmCols), pack_panels);
  else pack_panels(0, panels);
  QuantPackedB p;
  p.K_ = K;
  p.N_ = N;
  p.data_ = buffer;
  return p;
}

std::vector<int32_t> int8_column_shifts(int64_t K, int64_t N, const QuantOperand& b) {
  std::vector<int32_t> lo(static_cast<size_t>(N), INT32_MAX), hi(static_cast<size_t>(N), INT32_MIN);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t j = 0; j < N; ++j) {
      const int32_t v = element(b.data, b.is_signed, k * b.ld + j);
      lo[static_cast<size_t>(j)] = std::min(lo[static_cast<size_t>(j)], v);
      hi[static_cast<size_t>(j)] = std::max(hi[static_cast<size_t>(j)], v);
    }
  std::vector<int32_t> shift(static_cast<size_t>(N));
  for (int64_t j = 0; j < N; ++j) {
    const size_t c = static_cast<size_t>(j);
    const int32_t z = zero_point(b, j);
    const bool fits = K == 0 || (lo[c] - z >= -128 && hi[c] - z <= 127);
    shift[c] = fits ? z : (b.is_signed ? 0 : 128);
  }
  return shift;
}

QuantPackedB QuantPackedB::pack(int64_t K, int64_t N, const QuantOperand& b, QgemmIsa isa) {
  const size_t n = std::max<size_t>(packed_elements(K, N), 1);
  // Every 8-bit B packs as int8: column j stores B - s_j (int8_column_shifts), and qgemm adds
  // (s_j - zb_j) * (row sum of A - za) back. Packed panel by panel through a one-panel int16
  // buffer, never holding the whole matrix as int16.
  const std::vector<int32_t> s = int8_column_shifts(K, N, b);
  std::vector<uint8_t> shift(static_cast<size_t>(N));  // s_j, as a byte of B's type
  QuantPackedB p;
  p.K_ = K;
  p.N_ = N;
  for (int64_t j = 0; j < N; ++j) {
    const int32_t sj = s[static_cast<size_t>(j)], z = zero_point(b, j);
    shift[static_cast<size_t>(j)] = static_cast<uint8_t>(sj);
    if (sj != z) {
      if (p.col_offset_.empty()) p.col_offset_.assign(static_cast<size_t>(N), 0);
      p.col_offset_[static_cast<size_t>(j)] = sj - z;
    }
  }
  std::shared_ptr<int8_t[]> narrow(new int8_t[n]);
  const int64_t panel_size = pairs_of(K) * 2 * kIgemmCols;
  std::vector<int16_t> panel(static_cast<size_t>(panel_size));
  for (int64_t q = 0; q < ceil_div(N, kIgemmCols); ++q) {
    const int64_t c0 = q * kIgemmCols, nc = std::min<int64_t>(kIgemmCols, N - c0);
    const QuantOperand cols{static_cast<const uint8_t*>(b.data) + c0, b.is_signed, b.ld, shift.data() + c0,
                            std::max<int64_t>(nc, 2)};  // per column (a count of 1 would mean per tensor)
    pack_into(K, nc, cols, panel.data(), isa);
    for (int64_t i = 0; i < panel_size; ++i)
      narrow[static_cast<size_t>(q * panel_size + i)] = static_cast<int8_t>(panel[static_cast<size_t>(i)]);
  }
  p.narrow_ = narrow.get();
  p.owned_narrow_ = std::move(narrow);
  return p;
}

size_t qgemm_scratch_elements(int64_t M, int64_t K) {
  return static_cast<size_t>(ceil_div(M, kIgemmRows) * kIgemmRows * pairs_of(K) * 2);
}

void qgemm(int64_t M, const QuantOperand& a, const QuantPackedB& b, int32_t* C, int64_t ldc, int16_t* scratch,
           ThreadPool* pool, QgemmIsa isa) {
  const int64_t K = b.K(), N = b.N();
  if (M <= 0 || N <= 0) return;
  const int64_t pairs = pairs_of(K), tiles = ceil_div(M, kIgemmRows), panels = ceil_div(N, kIgemmCols);
  const int64_t tile_stride = kIgemmRows * pairs * 2;  // int16 per packed row tile
  auto pack_tiles = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = t * kIgemmRows, mt = std::min<int64_t>(kIgemmRows, M - r0);
      if (a.is_signed) pack_a_tile<int8_t>(a, r0, mt, K, scratch + t * tile_stride);
      else pack_a_tile<uint8_t>(a, r0, mt, K, scratch + t * tile_stride);
    }
  };
  if (pool) pool->parallel_for(tiles, static_cast<double>(kIgemmRows * K), pack_tiles);
  else pack_tiles(0, tiles);

  const ukernels::IgemmTileFn tile = tile_for(isa);
  const auto widen = tile == &ukernels::igemm_tile_scalar ? &ukernels::igemm_widen_scalar : &ukernels::igemm_widen_avx2;
  const int64_t groups = ceil_div(tiles, kGroupTiles);
  const int64_t panel_size = pairs * 2 * kIgemmCols;
  auto run_items = [&](int64_t i0, int64_t i1) {
    alignas(64) int16_t wide[kKcPairs * 2 * kIgemmCols];  // one K block of a narrow panel, widened
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t g = item / panels, q = item % panels;
      const int64_t t0 = g * kGroupTiles, t1 = std::min(tiles, t0 + kGroupTiles);
      // Few row tiles read the narrow panel directly; more share one widened copy of each block.
      const bool narrow_tile = !b.data_ && t1 - t0 <= kNarrowTileMaxTiles && tile == &ukernels::igemm_tile_avx2;
      const int64_t c0 = q * kIgemmCols, nc = std::min<int64_t>(kIgemmCols, N - c0);
      for (int64_t p0 = 0; p0 < std::max<int64_t>(pairs, 1); p0 += kKcPairs) {
        const int64_t pc = std::min(kKcPairs, pairs - p0);
        if (narrow_tile) {
          const int8_t* block = b.narrow_ + q * panel_size + p0 * 2 * kIgemmCols;
          for (int64_t t = t0; t < t1; ++t) {
            const int64_t r0 = t * kIgemmRows, mt = std::min<int64_t>(kIgemmRows, M - r0);
            ukernels::igemm_tile_narrow_avx2(mt, nc, pc, scratch + t * tile_stride + p0 * 2 * mt, block,
                                             C + r0 * ldc + c0, ldc, p0 > 0);
          }
          continue;
        }
        const int16_t* block = b.data_ ? b.data_ + q * panel_size + p0 * 2 * kIgemmCols : wide;
        if (!b.data_) widen(b.narrow_ + q * panel_size + p0 * 2 * kIgemmCols, pc * 2 * kIgemmCols, wide);
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t r0 = t * kIgemmRows, mt = std::min<int64_t>(kIgemmRows, M - r0);
          tile(mt, nc, pc, scratch + t * tile_stride + p0 * 2 * mt, block, C + r0 * ldc + c0, ldc, p0 > 0);
        }
      }
    }
  };
  const double cost = static_cast<double>(kGroupTiles * kIgemmRows) * kIgemmCols * std::max<int64_t>(K, 1) / 2;
  if (pool) pool->parallel_for(groups * panels, cost, run_items);
  else run_items(0, groups * panels);
  if (b.col_offset_.empty()) return;

  // Columns packed with a shift: C[r, j] += (sum_k A[r, k] - za) * offset_j, wrapping like the sums.
  auto add_offsets = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      uint32_t sum = 0;
      for (int64_t k = 0; k < K; ++k) sum += static_cast<uint32_t>(element(a.data, a.is_signed, r * a.ld + k));
      sum -= static_cast<uint32_t>(K) * static_cast<uint32_t>(zero_point(a, r));
      int32_t* row = C + r * ldc;
      for (int64_t j = 0; j < N; ++j)
        row[j] = static_cast<int32_t>(static_cast<uint32_t>(row[j]) + sum * static_cast<uint32_t>(b.col_offset_[static_cast<size_t>(j)]));
    }
  };
  if (pool) pool->parallel_for(M, static_cast<double>(K + N), add_offsets);
  else add_offsets(0, M);
}

}  // namespace onnxrt::kernels
