// sgemm_packed_epilogue vs a double-precision naive GEMM, for every microkernel family on this
// machine: the epilogue must see every element of C exactly once, only after its last K block,
// in blocks of at most kEpilogueMaxCols columns. Shapes cross the driver's edges: row panels (MR
// 4/6/12) and the 144-row A blocks, 256-deep K blocks, 1024-column N blocks, the epilogue's
// 128-column groups, the small unpacked kernel, K == 0 and M == 0.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/harness.h"

namespace onnxrt::kernels {
namespace {

struct Case {
  bool ta;
  int64_t M, N, K;
  float alpha, beta;
};

void check(GemmIsa isa, const Case& c, ThreadPool* pool, std::mt19937& rng) {
  SCOPED_TRACE(::testing::Message() << sgemm_variant(isa) << " ta=" << c.ta << " M=" << c.M
                                    << " N=" << c.N << " K=" << c.K << " beta=" << c.beta
                                    << " threads=" << (pool ? pool->num_threads() : 1));
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  const int64_t lda = c.ta ? c.M : c.K, ldc = c.N + 3;  // padded C: columns N.. must stay untouched
  std::vector<float> A(static_cast<size_t>(std::max<int64_t>(c.M * c.K, 1)));
  std::vector<float> B(static_cast<size_t>(std::max<int64_t>(c.K * c.N, 1)));
  std::vector<float> C0(static_cast<size_t>(std::max<int64_t>(c.M * ldc, 1)));
  for (float& x : A) x = d(rng);
  for (float& x : B) x = d(rng);
  for (float& x : C0) x = c.beta == 0.f ? std::numeric_limits<float>::quiet_NaN() : d(rng);
  const float sentinel = 12345.f;
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = c.N; j < ldc; ++j) C0[static_cast<size_t>(i * ldc + j)] = sentinel;
  std::vector<float> C = C0;
  const size_t count = static_cast<size_t>(std::max<int64_t>(c.M * c.N, 1));
  std::unique_ptr<std::atomic<int>[]> visits(new std::atomic<int>[count]);
  for (size_t i = 0; i < count; ++i) visits[i] = 0;
  std::vector<float> seen(count, 0.f);  // C as the epilogue found it
  std::atomic<int> bad_blocks{0};

  // The epilogue records what it saw and replaces y by 2y + 1: applied before the last K block,
  // twice, or to the wrong place, the final C is off.
  const GemmEpilogue epilogue = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    if (r0 < 0 || r0 >= r1 || r1 > c.M || c0 < 0 || c0 >= c1 || c1 > c.N || c1 - c0 > kEpilogueMaxCols) {
      ++bad_blocks;
      return;
    }
    for (int64_t i = r0; i < r1; ++i)
      for (int64_t j = c0; j < c1; ++j) {
        float& y = C[static_cast<size_t>(i * ldc + j)];
        seen[static_cast<size_t>(i * c.N + j)] = y;
        visits[static_cast<size_t>(i * c.N + j)]++;
        y = 2.f * y + 1.f;
      }
  };
  const PackedB pb = PackedB::pack(false, c.K, c.N, B.data(), c.N, isa);
  sgemm_packed_epilogue(c.ta, c.M, c.alpha, A.data(), lda, pb, c.beta, C.data(), ldc, pool, epilogue);

  EXPECT_EQ(bad_blocks.load(), 0) << "a block outside C or wider than kEpilogueMaxCols";
  int bad = 0;
  const double tol = 1e-5 * (1.0 + std::sqrt(static_cast<double>(c.K))) * 4;
  for (int64_t i = 0; i < c.M && bad < 3; ++i) {
    for (int64_t j = 0; j < ldc && bad < 3; ++j) {
      const float got = C[static_cast<size_t>(i * ldc + j)];
      if (j >= c.N) {
        if (got != sentinel) ++bad, ADD_FAILURE() << "padding at " << i << "," << j << " written";
        continue;
      }
      double acc = 0;
      for (int64_t k = 0; k < c.K; ++k)
        acc += static_cast<double>(A[static_cast<size_t>(c.ta ? k * lda + i : i * lda + k)]) *
               B[static_cast<size_t>(k * c.N + j)];
      double want = c.alpha * acc;
      if (c.beta != 0.f) want += c.beta * static_cast<double>(C0[static_cast<size_t>(i * ldc + j)]);
      const size_t e = static_cast<size_t>(i * c.N + j);
      const double seen_y = seen[e];
      if (visits[e] != 1) {
        ++bad;
        ADD_FAILURE() << "C[" << i << "," << j << "] given to the epilogue " << visits[e] << " times";
      } else if (!(std::fabs(seen_y - want) <= tol) || !(std::fabs(got - (2 * want + 1)) <= 3 * tol)) {
        ++bad;
        ADD_FAILURE() << "C[" << i << "," << j << "]: epilogue saw " << seen_y << " and left " << got
                      << ", expected " << want << " and " << 2 * want + 1;
      }
    }
  }
}

const GemmIsa kIsas[] = {GemmIsa::kScalar, GemmIsa::kAvx2, GemmIsa::kAvx512};

TEST(LinalgSgemmEpilogue, EveryElementOnceAfterTheLastKBlock) {
  std::mt19937 rng(21);
  ThreadPool& pool = testing::test_pool();
  const Case cases[] = {
      {false, 1, 1, 1, 1.f, 0.f},        {false, 3, 40, 30, 1.f, 0.f},       // small kernel (AVX-512)
      {false, 13, 130, 300, 0.5f, 1.5f}, {true, 25, 257, 513, 1.f, 0.f},     // K blocks, 128-col groups
      {false, 150, 1090, 270, 1.f, 0.f}, {false, 12, 2100, 64, 1.f, -1.f},   // 144-row and 1024-col blocks
      {true, 7, 33, 5, 2.f, 0.f},        {false, 4, 200, 0, 1.f, 3.f},       // K == 0: beta * C only
      {false, 0, 16, 16, 1.f, 0.f},
  };
  for (GemmIsa isa : kIsas)
    for (const Case& c : cases)
      for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
        check(isa, c, p, rng);
        if (::testing::Test::HasFailure()) return;
      }
}

}  // namespace
}  // namespace onnxrt::kernels
