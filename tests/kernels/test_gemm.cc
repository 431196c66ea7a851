// SGEMM engine vs a double-precision naive GEMM, for every microkernel family on this machine.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <limits>
#include <random>
#include <vector>

#include "base/half.h"
#include "kernels/cpu/gemm.h"
#include "kernels/harness.h"

namespace onnxrt::kernels {
namespace {

struct Case {
  bool ta, tb;
  int64_t M, N, K;
  float alpha, beta;
  int64_t pad;  // extra leading-dimension padding on A, B and C
};

std::vector<float> random_vec(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Runs one case (packed: B through PackedB) and checks every element of C, and that the padding
// columns of C were not touched.
void check(GemmIsa isa, const Case& c, bool packed, ThreadPool* pool, std::mt19937& rng) {
  SCOPED_TRACE(::testing::Message() << sgemm_variant(isa) << " ta=" << c.ta << " tb=" << c.tb
                                    << " M=" << c.M << " N=" << c.N << " K=" << c.K
                                    << " alpha=" << c.alpha << " beta=" << c.beta
                                    << " pad=" << c.pad << " packed=" << packed);
  const int64_t ar = c.ta ? c.K : c.M, ac = c.ta ? c.M : c.K;
  const int64_t br = c.tb ? c.N : c.K, bc = c.tb ? c.K : c.N;
  const int64_t lda = ac + c.pad, ldb = bc + c.pad, ldc = c.N + c.pad;
  std::vector<float> A = random_vec(static_cast<size_t>(std::max<int64_t>(ar * lda, 1)), rng);
  std::vector<float> B = random_vec(static_cast<size_t>(std::max<int64_t>(br * ldb, 1)), rng);
  std::vector<float> C0 = random_vec(static_cast<size_t>(std::max<int64_t>(c.M * ldc, 1)), rng);
  if (c.beta == 0.f) {  // beta == 0 must not read C
    for (float& x : C0) x = std::numeric_limits<float>::quiet_NaN();
  }
  const float sentinel = 12345.f;
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = c.N; j < ldc; ++j) C0[static_cast<size_t>(i * ldc + j)] = sentinel;
  std::vector<float> C = C0;
  if (packed) {
    PackedB pb = PackedB::pack(c.tb, c.K, c.N, B.data(), ldb, isa);
    sgemm_packed(c.ta, c.M, c.alpha, A.data(), lda, pb, c.beta, C.data(), ldc, pool);
  } else {
    sgemm_isa(isa, c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta,
              C.data(), ldc, pool);
  }
  int bad = 0;
  for (int64_t i = 0; i < c.M && bad < 3; ++i) {
    for (int64_t j = 0; j < ldc && bad < 3; ++j) {
      const float got = C[static_cast<size_t>(i * ldc + j)];
      if (j >= c.N) {
        if (got != sentinel) ++bad, ADD_FAILURE() << "padding at " << i << "," << j << " written";
        continue;
      }
      double acc = 0;
      for (int64_t k = 0; k < c.K; ++k) {
        const double a = A[static_cast<size_t>(c.ta ? k * lda + i : i * lda + k)];
        const double b = B[static_cast<size_t>(c.tb ? j * ldb + k : k * ldb + j)];
        acc += a * b;
      }
      double want = c.alpha * acc;
      if (c.beta != 0.f) want += c.beta * static_cast<double>(C0[static_cast<size_t>(i * ldc + j)]);
      const double tol = 1e-5 * (1.0 + std::sqrt(static_cast<double>(c.K))) * 4;
      if (!(std::fabs(got - want) <= tol)) {
        ++bad;
        ADD_FAILURE() << "C[" << i << "," << j << "] = " << got << ", expected " << want;
      }
    }
  }
}

const GemmIsa kIsas[] = {GemmIsa::kScalar, GemmIsa::kAvx2, GemmIsa::kAvx512};

TEST(LinalgSgemm, SweepSmallShapesEveryIsa) {
  std::mt19937 rng(11);
  for (GemmIsa isa : kIsas) {
    for (int64_t M : {0, 1, 3, 6, 13, 25})
      for (int64_t N : {0, 1, 2, 3, 4, 5, 8, 15, 16, 17, 24, 25, 33, 48, 64})
        for (int64_t K : {0, 1, 7, 259})
          for (int t = 0; t < 4; ++t) {
            const bool ta = t & 1, tb = t & 2;
            const Case c{ta, tb, M, N, K, (M + N) % 2 ? 1.f : 0.5f, (M + N + K + t) % 2 ? 0.f : -1.5f,
                         (M + K) % 3 == 0 ? 3 : 0};
            check(isa, c, false, nullptr, rng);
            if (::testing::Test::HasFailure()) return;
          }
  }
}

TEST(LinalgSgemm, LargerShapesThreaded) {
  std::mt19937 rng(12);
  ThreadPool& pool = testing::test_pool();
  for (GemmIsa isa : kIsas) {
    for (const Case& c : {Case{false, false, 127, 129, 65, 1.f, 0.f, 0},
                          Case{false, false, 1, 768, 768, 1.f, 0.f, 0},
                          Case{true, false, 300, 200, 520, 0.75f, 1.f, 5},
                          Case{false, true, 64, 64, 64, 1.f, 0.f, 0},
                          Case{true, true, 160, 1100, 33, 2.f, 0.5f, 1},
                          Case{false, false, 5, 2100, 40, 1.f, 1.f, 0}}) {
      check(isa, c, false, &pool, rng);
    }
  }
}

TEST(LinalgSgemm, PackedBMatchesEveryIsa) {
  std::mt19937 rng(13);
  ThreadPool& pool = testing::test_pool();
  for (GemmIsa isa : kIsas) {
    for (const Case& c : {Case{false, false, 1, 1, 1, 1.f, 0.f, 0},
                          Case{false, true, 7, 45, 300, 1.f, 0.f, 2},
                          Case{true, false, 33, 17, 5, 0.5f, 2.f, 0},
                          Case{false, false, 150, 1090, 270, 1.f, 0.f, 0},
                          Case{false, false, 0, 16, 16, 1.f, 0.f, 0},
                          Case{false, false, 4, 16, 0, 1.f, 3.f, 0},
                          // One or two columns (the dot-product path), K over several packed blocks.
                          Case{false, false, 1000, 1, 300, 1.f, 0.5f, 3},
                          Case{false, true, 517, 2, 600, 0.75f, 0.f, 1}}) {
      check(isa, c, true, &pool, rng);
    }
  }
}

// float16 / bfloat16 panels (PackedB::pack_half / pack_bf16) hold the same values as float32 panels of the widened B,
// and the microkernels do the same multiply-adds in the same order: the results must be the same
// bits, on every path (plain, epilogue blocks, column ranges), for plain, transposed and
// misaligned B. Families without a float16 tile (AVX-512) fall back to float32 panels.
TEST(LinalgSgemm, PackedHalfBMatchesPackedFloatBitForBit) {
  std::mt19937 rng(14);
  ThreadPool& pool = testing::test_pool();
  for (GemmIsa isa : kIsas) {
    for (const Case& c : {Case{false, false, 1, 1, 1, 1.f, 0.f, 0}, Case{false, true, 7, 45, 300, 1.f, 0.f, 2},
                          Case{true, false, 33, 17, 5, 0.5f, 2.f, 0}, Case{false, false, 150, 1090, 270, 1.f, 0.f, 0},
                          Case{false, false, 1, 2304, 768, 1.f, 0.f, 0}, Case{false, true, 3, 100, 513, 1.f, 1.f, 1},
                          Case{false, false, 0, 16, 16, 1.f, 0.f, 0}, Case{false, false, 4, 16, 0, 1.f, 3.f, 0}}) {
      for (int variant = 0; variant < 4; ++variant) {
        const int misalign = variant & 1;
        const bool bf16 = variant & 2;
        SCOPED_TRACE(::testing::Message() << sgemm_variant(isa) << " tb=" << c.tb << " M=" << c.M << " N=" << c.N
                                          << " K=" << c.K << " misaligned=" << misalign << " bf16=" << bf16);
        const int64_t br = c.tb ? c.N : c.K, bc = c.tb ? c.K : c.N, ldb = bc + c.pad, lda = c.K + c.pad;
        const int64_t lda_t = c.ta ? c.M + c.pad : lda, ldc = c.N + c.pad;
        std::vector<float> A = random_vec(static_cast<size_t>(std::max<int64_t>((c.ta ? c.K : c.M) * lda_t, 1)), rng);
        std::vector<float> B = random_vec(static_cast<size_t>(std::max<int64_t>(br * ldb, 1)), rng);
        std::vector<uint16_t> h(B.size());
        for (size_t i = 0; i < B.size(); ++i) {
          h[i] = bf16 ? float_to_bfloat16(B[i] * 4.f) : float_to_half(B[i] * 4.f);
          B[i] = bf16 ? bfloat16_to_float(h[i]) : half_to_float(h[i]);
        }
        std::vector<char> bytes(h.size() * 2 + 1);
        std::memcpy(bytes.data() + misalign, h.data(), h.size() * 2);
        const PackedB pf = PackedB::pack(c.tb, c.K, c.N, B.data(), ldb, isa);
        const uint16_t* h16 = reinterpret_cast<const uint16_t*>(bytes.data() + misalign);
        const PackedB ph = bf16 ? PackedB::pack_bf16(c.tb, c.K, c.N, h16, ldb, isa)
                                : PackedB::pack_half(c.tb, c.K, c.N, h16, ldb, isa);
        EXPECT_EQ(ph.is_half(), std::string(sgemm_variant(isa)) != "sgemm_12x32_avx512");
        const std::vector<float> C0 = random_vec(static_cast<size_t>(std::max<int64_t>(c.M * ldc, 1)), rng);
        std::vector<float> want = C0, got = C0;
        sgemm_packed(c.ta, c.M, c.alpha, A.data(), lda_t, pf, c.beta, want.data(), ldc, &pool);
        sgemm_packed(c.ta, c.M, c.alpha, A.data(), lda_t, ph, c.beta, got.data(), ldc, &pool);
        ASSERT_EQ(got, want);
        // Epilogue blocks cover C exactly once, as with float32 panels.
        std::vector<int> seen(static_cast<size_t>(std::max<int64_t>(c.M * c.N, 1)), 0);
        got = C0;
        sgemm_packed_epilogue(c.ta, c.M, c.alpha, A.data(), lda_t, ph, c.beta, got.data(), ldc, &pool,
                              [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
                                for (int64_t i = r0; i < r1; ++i)
                                  for (int64_t j = c0; j < c1; ++j) ++seen[static_cast<size_t>(i * c.N + j)];
                              });
        ASSERT_EQ(got, want);
        if (c.K > 0 && c.M * c.N > 0)
          for (int v : seen) ASSERT_EQ(v, 1);
        // Column ranges on the calling thread (the LSTM path).
        got = C0;
        for (int64_t n0 = 0; n0 < c.N; n0 += kPackedColumnAlign * 2)
          sgemm_packed_columns(c.ta, c.M, c.alpha, A.data(), lda_t, ph, n0, n0 + kPackedColumnAlign * 2, c.beta,
                               got.data(), ldc);
        ASSERT_EQ(got, want);
      }
    }
  }
}

TEST(LinalgSgemm, HandComputed) {
  // [1 2; 3 4] * [5 6; 7 8] = [19 22; 43 50]; alpha 2, beta 1 with C = 1.
  const float A[] = {1, 2, 3, 4}, B[] = {5, 6, 7, 8};
  for (GemmIsa isa : kIsas) {
    float C[] = {1, 1, 1, 1};
    sgemm_isa(isa, false, false, 2, 2, 2, 2.f, A, 2, B, 2, 1.f, C, 2, nullptr);
    EXPECT_EQ(C[0], 39.f);
    EXPECT_EQ(C[1], 45.f);
    EXPECT_EQ(C[2], 87.f);
    EXPECT_EQ(C[3], 101.f);
    // A^T * B^T = [1 3; 2 4] * [5 7; 6 8] = [23 31; 34 46]
    sgemm_isa(isa, true, true, 2, 2, 2, 1.f, A, 2, B, 2, 0.f, C, 2, nullptr);
    EXPECT_EQ(C[0], 23.f);
    EXPECT_EQ(C[1], 31.f);
    EXPECT_EQ(C[2], 34.f);
    EXPECT_EQ(C[3], 46.f);
  }
}

TEST(LinalgSgemm, ZeroKScalesC) {
  float C[] = {1, 2, std::numeric_limits<float>::quiet_NaN(), 4};
  sgemm(false, false, 2, 2, 0, 1.f, nullptr, 1, nullptr, 2, 0.f, C, 2, nullptr);
  for (float x : C) EXPECT_EQ(x, 0.f);
  float D[] = {1, 2, 3, 4};
  sgemm(false, false, 2, 2, 0, 1.f, nullptr, 1, nullptr, 2, 2.f, D, 2, nullptr);
  EXPECT_EQ(D[3], 8.f);
}

}  // namespace
}  // namespace onnxrt::kernels

namespace onnxrt::kernels {
namespace {

// sgemm_packed_bias against filling C with the bias rows and sgemm_packed with beta, on shapes
// that take the unpacked small path (N <= 64, short K) and shapes that do not.
TEST(LinalgSgemm, PackedBiasMatchesBroadcastThenBeta) {
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  ThreadPool& pool = testing::test_pool();
  struct S { int64_t M, N, K; bool ta; };
  for (const S& s : {S{97, 8, 8, false}, S{5, 1, 3, false}, S{33, 17, 40, true}, S{4, 64, 256, false},
                     S{9, 65, 12, false}, S{130, 300, 270, false}, S{0, 8, 8, false},
                     S{1000, 1, 300, false}, S{700, 2, 20, false}, S{300, 3, 40, false}, S{257, 23, 300, false}}) {
    std::vector<float> A(static_cast<size_t>(std::max<int64_t>(1, s.M * s.K))), B(s.K * s.N), bias(s.N);
    for (auto& x : A) x = d(rng);
    for (auto& x : B) x = d(rng);
    for (auto& x : bias) x = d(rng);
    const PackedB pb = PackedB::pack(false, s.K, s.N, B.data(), s.N);
    const int64_t lda = s.ta ? s.M : s.K;
    std::vector<float> got(s.M * s.N, std::nanf("")), want(s.M * s.N);
    for (int64_t i = 0; i < s.M; ++i) std::copy(bias.begin(), bias.end(), want.begin() + i * s.N);
    sgemm_packed(s.ta, s.M, 0.5f, A.data(), lda, pb, 2.f, want.data(), s.N, &pool);
    sgemm_packed_bias(s.ta, s.M, 0.5f, A.data(), lda, pb, 2.f, bias.data(), got.data(), s.N, &pool);
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_NEAR(got[i], want[i], 1e-5f * (1.f + std::fabs(want[i]))) << s.M << "x" << s.N << "x" << s.K << " at " << i;
  }
}

// PackedB::pack_constant shares the panels of one constant among its readers, and never hands
// out the panels of a constant whose storage has gone, even when new data sits at the same
// address and the old panels are still alive.
TEST(LinalgSgemm, PackConstantSharesOnlyLiveBytes) {
  std::mt19937 rng(77);
  const int64_t K = 40, N = 24, M = 3;
  auto buf = std::make_shared<std::vector<float>>(random_vec(static_cast<size_t>(K * N), rng));
  const std::vector<float> A = random_vec(static_cast<size_t>(M * K), rng);
  auto product = [&](const PackedB& pb) {
    std::vector<float> C(static_cast<size_t>(M * N));
    sgemm_packed(false, M, 1.f, A.data(), K, pb, 0.f, C.data(), N, nullptr);
    return C;
  };
  auto naive = [&](const std::vector<float>& B) {
    std::vector<float> C(static_cast<size_t>(M * N));
    sgemm_isa(GemmIsa::kScalar, false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, C.data(), N, nullptr);
    return C;
  };
  auto close = [](const std::vector<float>& a, const std::vector<float>& b) {
    for (size_t i = 0; i < a.size(); ++i)
      if (std::fabs(a[i] - b[i]) > 1e-4f) return false;
    return true;
  };
  const std::vector<float> first = *buf;
  auto keep1 = std::make_shared<int>(1);
  PackedB p1, p2;
  {
    const Tensor b = Tensor::borrow(DType::kFloat32, {K, N}, buf->data(), keep1);
    p1 = PackedB::pack_constant(false, K, N, b);
    p2 = PackedB::pack_constant(false, K, N, b);
    EXPECT_EQ(p1.panels(), p2.panels());  // one copy for both readers
    // Another geometry of the same bytes (B^T) is its own packing.
    const PackedB pt = PackedB::pack_constant(true, N, K, Tensor::borrow(DType::kFloat32, {K, N}, buf->data(), keep1));
    EXPECT_NE(p1.panels(), pt.panels());
  }
  EXPECT_TRUE(close(product(p1), naive(first)));
  // The storage goes (p1 stays alive); new bytes at the same address must be packed anew.
  keep1.reset();
  const std::vector<float> second = random_vec(static_cast<size_t>(K * N), rng);
  std::copy(second.begin(), second.end(), buf->begin());  // same address, new bytes
  const Tensor b2 = Tensor::borrow(DType::kFloat32, {K, N}, buf->data(), std::make_shared<int>(2));
  const PackedB p3 = PackedB::pack_constant(false, K, N, b2);
  EXPECT_NE(p1.panels(), p3.panels());
  EXPECT_TRUE(close(product(p3), naive(*buf)));
  EXPECT_TRUE(close(product(p1), naive(first)));
}

}  // namespace
}  // namespace onnxrt::kernels
