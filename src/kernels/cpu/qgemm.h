// Integer GEMM for the quantized products (MatMulInteger, QLinearMatMul):
//   C[m, n] = sum_k (A[m, k] - za[m]) * (B[k, n] - zb[n])      (int32, wrapping)
// A and B are int8 or uint8; za and zb are per tensor (one value), per row of A / column of B, or
// absent (0). The zero points are subtracted while packing into int16 pairs, so the microkernels
// (ukernels/gemm/igemm.h) multiply exact small integers and every path gives the same bits as the
// reference loops in quant_ops.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/thread_pool.h"

namespace onnxrt::kernels {

// An int8 / uint8 operand: element (r, c) at data[r * ld + c]; zero points of the element type,
// `zp_count` of them (0: none, 1: per tensor, else per row of A / column of B). A's zero point
// of row r is zp[r % zp_count], so a batch of matrices stacked as rows shares per-row values.
struct QuantOperand {
  const void* data = nullptr;
  bool is_signed = false;
  int64_t ld = 0;
  const void* zp = nullptr;
  int64_t zp_count = 0;
};

enum class QgemmIsa { kAuto, kScalar, kAvx2 };

// B[K, N] minus its zero points, packed into the microkernel's int16 panels. Immutable once
// built, so a packed constant weight serves concurrent runs. pack() allocates and keeps the panels
// as int8 (qgemm widens them one K block at a time): half the memory, and half the bytes a
// single-row product (a decode step) streams. A column whose B - zb does not fit int8 (uint8
// weights with a zero point) is stored shifted by the middle of its type instead, and qgemm adds
// the difference times each row's sum of A - za back. pack_into() uses the caller's buffer of
// packed_elements(K, N) int16 (per-run scratch for a B that is not constant), which must
// outlive the result.
class QuantPackedB {
 public:
  static QuantPackedB pack(int64_t K, int64_t N, const QuantOperand& b, QgemmIsa isa = QgemmIsa::kAuto);
  // With a pool, panels are packed on every thread.
  static QuantPackedB pack_into(int64_t K, int64_t N, const QuantOperand& b, int16_t* buffer,
                                QgemmIsa isa = QgemmIsa::kAuto, ThreadPool* pool = nullptr);
  static size_t packed_elements(int64_t K, int64_t N);
  int64_t K() const { return K_; }
  int64_t N() const { return N_; }
  bool empty() const { return data_ == nullptr && narrow_ == nullptr; }
  bool narrow() const { return narrow_ != nullptr; }
  bool shifted() const { return !col_offset_.empty(); }

 private:
  friend void qgemm(int64_t, const QuantOperand&, const QuantPackedB&, int32_t*, int64_t, int16_t*, ThreadPool*,
                    QgemmIsa);
  int64_t K_ = 0, N_ = 0;
  const int16_t* data_ = nullptr;
  const int8_t* narrow_ = nullptr;  // the same layout in int8 (pack() only)
  std::vector<int32_t> col_offset_;  // pack(): per column, (shift - zero point) to add back times A's row sums
  std::shared_ptr<int16_t[]> owned_;
  std::shared_ptr<int8_t[]> owned_narrow_;
};

// For each column j of an 8-bit B[K, N] (operand b, with its zero points): the shift s_j that
// makes every B - s_j fit int8: the column's zero point when B - zb already fits (symmetric int8
// weights), else the middle of the type (0 for int8, 128 for uint8). Storing B - s_j as int8,
// a product adds (s_j - zb_j) times the sum of the other operand back.
std::vector<int32_t> int8_column_shifts(int64_t K, int64_t N, const QuantOperand& b);

// int16 elements of the scratch qgemm needs for A with M rows and K columns.
size_t qgemm_scratch_elements(int64_t M, int64_t K);

// C[M, N] (row stride ldc) = (A - za) * (B - zb), with B from QuantPackedB. `scratch` holds
// qgemm_scratch_elements(M, K) int16. pool may be null (single-threaded); isa kAuto follows
// cpu_features() (tests name one to run both tiles on one machine).
void qgemm(int64_t M, const QuantOperand& a, const QuantPackedB& b, int32_t* C, int64_t ldc, int16_t* scratch,
           ThreadPool* pool, QgemmIsa isa = QgemmIsa::kAuto);

}  // namespace onnxrt::kernels
