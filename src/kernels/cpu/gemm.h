// Single-precision GEMM for the CPU kernels (MatMul, Gemm, Conv via im2col, ...):
//   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C
// Row-major with leading dimensions; op(X) is X or X^T. beta == 0 means C is not read (it may
// hold garbage or NaN). Picks AVX-512, AVX2+FMA or scalar microkernels from cpu_features() and
// splits work over `pool` (may be null: single-threaded).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "base/thread_pool.h"
#include "onnxrt/tensor.h"

namespace onnxrt::kernels {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc, ThreadPool* pool);

// The microkernel family a GEMM runs with. kAuto follows cpu_features(); tests and benchmarks
// name one explicitly to exercise every path in one process (an ISA the CPU lacks falls back to
// the best one it has).
enum class GemmIsa { kAuto, kScalar, kAvx2, kAvx512 };

// sgemm with an explicit microkernel family.
void sgemm_isa(GemmIsa isa, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
               float alpha, const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
               float* C, int64_t ldc, ThreadPool* pool);

// op(B)[K,N] packed once into the microkernel's panel layout, for constant weights (MatMul, Gemm
// and Conv pack in create(); every run then skips packing B). Immutable once built, so one packed
// matrix serves concurrent runs.
class PackedB {
 public:
  // Copies op(B) (B itself is not referenced afterwards).
  static PackedB pack(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb,
                      GemmIsa isa = GemmIsa::kAuto);
  // op(B) of float16 values (bit patterns), kept as float16 panels that the microkernel widens as
  // it loads them: half the memory and, for few-row products (decoding), half the memory
  // traffic. Exact: every float16 is a float32. Microkernel families without a float16 tile
  // (AVX-512) get float32 panels instead. B may be misaligned.
  static PackedB pack_half(bool trans_b, int64_t K, int64_t N, const uint16_t* B, int64_t ldb,
                           GemmIsa isa = GemmIsa::kAuto);
  // The same for bfloat16 values (bit patterns).
  static PackedB pack_bf16(bool trans_b, int64_t K, int64_t N, const uint16_t* B, int64_t ldb,
                           GemmIsa isa = GemmIsa::kAuto);
  // pack / pack_half / pack_bf16 (by B's dtype: float32, float16 or bfloat16; any other gives
  // an empty PackedB) of a constant 2-D B, with ldb = B's row length. The panels are shared with
  // an earlier packing of the same bytes in the same way, while that packing and B's storage are
  // alive: an unrolled RNN or a model that reuses one weight in many nodes (exported loops) holds
  // one packed copy instead of one per node. 100 copies of a 256 x 256 weight (25 MB) ran each
  // step out of L3 instead of L2: 30 us per [8, 256] step against 15.
  static PackedB pack_constant(bool trans_b, int64_t K, int64_t N, const Tensor& b);
  int64_t K() const { return K_; }
  int64_t N() const { return N_; }
  bool empty() const { return data_ == nullptr && half_ == nullptr; }
  // Where the panels are: equal for two PackedB that share them (pack_constant).
  const void* panels() const { return data_ ? static_cast<const void*>(data_.get()) : half_.get(); }
  bool is_half() const { return half_ != nullptr; }

 private:
  friend struct PackedBAccess;
  int64_t K_ = 0;
  int64_t N_ = 0;
  GemmIsa isa_ = GemmIsa::kAuto;  // resolved: never kAuto after pack()
  std::shared_ptr<float> data_;
  std::shared_ptr<uint16_t> half_;  // float16 or bfloat16 panels (data_ is then null)
  bool bf16_ = false;               // half_ holds bfloat16
};

// C[M,N] = alpha * op(A)[M,K] * B + beta * C with B from PackedB::pack (B.K() == K, B.N() == N).
void sgemm_packed(bool trans_a, int64_t M, float alpha, const float* A, int64_t lda,
                  const PackedB& B, float beta, float* C, int64_t ldc, ThreadPool* pool);

// sgemm_packed that hands each block of C to `epilogue(r0, r1, c0, c1)` as soon as that block
// (rows [r0, r1), columns [c0, c1)) holds its final value, while it is still in cache: for fused
// bias / activation / residual epilogues without a second pass over C. Blocks are disjoint and
// cover C exactly once; with a pool, different threads call epilogue on different blocks
// concurrently. Every call gets at most kEpilogueMaxCols columns.
constexpr int64_t kEpilogueMaxCols = 128;
using GemmEpilogue = std::function<void(int64_t r0, int64_t r1, int64_t c0, int64_t c1)>;
void sgemm_packed_epilogue(bool trans_a, int64_t M, float alpha, const float* A, int64_t lda,
                           const PackedB& B, float beta, float* C, int64_t ldc, ThreadPool* pool,
                           const GemmEpilogue& epilogue);

// C[M,N] = alpha * op(A)[M,K] * B + beta * bias[N] (the bias row repeated on every row of C):
// The bias is added inside the product (the small path) or per block of C while it is in cache.
void sgemm_packed_bias(bool trans_a, int64_t M, float alpha, const float* A, int64_t lda,
                       const PackedB& B, float beta, const float* bias, float* C, int64_t ldc,
                       ThreadPool* pool);

// Columns [n0, n1) of C[M,N] = alpha * op(A)[M,K] * B + beta * C, on the calling thread only: for
// callers that split one product over their own threads by column range (the LSTM recurrence,
// one range per thread and time step). n0 must be a multiple of kPackedColumnAlign (every
// microkernel's panel width divides it); n1 <= B.N().
constexpr int64_t kPackedColumnAlign = 32;
void sgemm_packed_columns(bool trans_a, int64_t M, float alpha, const float* A, int64_t lda,
                          const PackedB& B, int64_t n0, int64_t n1, float beta, float* C,
                          int64_t ldc);

// The microkernel name that GemmIsa resolves to here ("sgemm_12x32_avx512"), for profiles.
const char* sgemm_variant(GemmIsa isa = GemmIsa::kAuto);

}  // namespace onnxrt::kernels
