// The row-panel SGEMM microkernels (ukernels::SgemmRowsFn, the LSTM step product) against a
// float64 product: every row count around the 4-row tiles, every panel width up to 24 (the
// masked last vector), K from 1 to past the LSTM's 256, and strided A and C whose gaps must stay
// untouched. Also the panel layout the LSTM kernel packs, through its variant name; and the
// vector-row products of decode attention (DotRowsFn, AxpyRowsFn).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/harness.h"
#include "kernels/registry.h"
#include "kernels/ukernels/gemm/sgemm.h"

namespace onnxrt::testing {
namespace {

using kernels::ukernels::kRowPanelStep;
using kernels::ukernels::kRowPanelWidth;
using kernels::ukernels::SgemmRowsFn;

struct Variant {
  const char* name;
  SgemmRowsFn fn;
};

std::vector<Variant> variants() {
  std::vector<Variant> v{{"scalar", &kernels::ukernels::sgemm_rows_scalar}};
  if (cpu_features().has_avx2_fma()) v.push_back({"avx2", &kernels::ukernels::sgemm_rows_avx2});
  return v;
}

TEST(SgemmRows, MatchesFloat64Product) {
  std::mt19937 rng(53);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  constexpr float kGuard = -777.0f;
  for (const Variant& v : variants()) {
    for (int64_t m : {1, 2, 3, 4, 5, 7, 8, 9}) {
      for (int64_t n = 1; n <= kRowPanelWidth; ++n) {
        for (int64_t K : {1, 3, 17, 300}) {
          const int64_t lda = K + 3, ldc = n + 5;
          const int64_t width = (n + kRowPanelStep - 1) / kRowPanelStep * kRowPanelStep;
          std::vector<float> a(static_cast<size_t>(m * lda)), p(static_cast<size_t>(K * width), 0.0f);
          for (float& x : a) x = u(rng);
          for (int64_t k = 0; k < K; ++k)
            for (int64_t j = 0; j < n; ++j) p[static_cast<size_t>(k * width + j)] = u(rng);
          std::vector<float> c(static_cast<size_t>(m * ldc), kGuard);
          v.fn(m, n, K, a.data(), lda, p.data(), c.data(), ldc);
          for (int64_t i = 0; i < m; ++i) {
            for (int64_t j = 0; j < ldc; ++j) {
              const float got = c[static_cast<size_t>(i * ldc + j)];
              const std::string what = std::string(v.name) + " m " + std::to_string(m) + " n " + std::to_string(n) +
                                       " K " + std::to_string(K) + " at " + std::to_string(i) + "," + std::to_string(j);
              if (j >= n) {
                EXPECT_EQ(got, kGuard) << what << ": written past n";
                continue;
              }
              double want = 0.0, mag = 0.0;
              for (int64_t k = 0; k < K; ++k) {
                const double t = static_cast<double>(a[static_cast<size_t>(i * lda + k)]) * p[static_cast<size_t>(k * width + j)];
                want += t;
                mag += std::fabs(t);
              }
              EXPECT_NEAR(got, want, 1e-6 * mag + 1e-7) << what;
            }
          }
        }
      }
    }
  }
}

// dot_rows and axpy_rows (scalar and AVX2) against float64: every row count around the 8-row
// blocks, lengths around the 8-float vectors and the 32-float column blocks, rows at a stride
// past their length; outputs past n (d) keep their guard values.
TEST(VectorRows, MatchFloat64Products) {
  std::mt19937 rng(59);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  constexpr float kGuard = -777.0f;
  struct Fns {
    const char* name;
    kernels::ukernels::DotRowsFn dot;
    kernels::ukernels::AxpyRowsFn axpy;
  };
  std::vector<Fns> fns{{"scalar", &kernels::ukernels::dot_rows_scalar, &kernels::ukernels::axpy_rows_scalar}};
  if (cpu_features().has_avx2_fma())
    fns.push_back({"avx2", &kernels::ukernels::dot_rows_avx2, &kernels::ukernels::axpy_rows_avx2});
  for (const Fns& f : fns) {
    for (int64_t n : {1, 2, 3, 7, 8, 9, 15, 16, 17, 129}) {
      for (int64_t d : {1, 5, 8, 13, 31, 32, 33, 64, 70}) {
        const std::string what = std::string(f.name) + " n " + std::to_string(n) + " d " + std::to_string(d);
        const int64_t ld = d + 3;
        std::vector<float> r(static_cast<size_t>(n * ld)), x(static_cast<size_t>(d)), w(static_cast<size_t>(n));
        for (float& e : r) e = u(rng);
        for (float& e : x) e = u(rng);
        for (float& e : w) e = u(rng);
        std::vector<float> dots(static_cast<size_t>(n + 4), kGuard), sums(static_cast<size_t>(d + 4), kGuard);
        f.dot(x.data(), r.data(), ld, n, d, 0.5f, dots.data());
        f.axpy(w.data(), r.data(), ld, n, d, sums.data());
        for (int64_t j = 0; j < n + 4; ++j) {
          if (j >= n) {
            EXPECT_EQ(dots[static_cast<size_t>(j)], kGuard) << what << ": dot written past n";
            continue;
          }
          double want = 0.0, mag = 0.0;
          for (int64_t k = 0; k < d; ++k) {
            const double t = static_cast<double>(x[static_cast<size_t>(k)]) * r[static_cast<size_t>(j * ld + k)];
            want += t, mag += std::fabs(t);
          }
          EXPECT_NEAR(dots[static_cast<size_t>(j)], 0.5 * want, 1e-6 * mag + 1e-7) << what << " dot " << j;
        }
        for (int64_t k = 0; k < d + 4; ++k) {
          if (k >= d) {
            EXPECT_EQ(sums[static_cast<size_t>(k)], kGuard) << what << ": axpy written past d";
            continue;
          }
          double want = 0.0, mag = 0.0;
          for (int64_t j = 0; j < n; ++j) {
            const double t = static_cast<double>(w[static_cast<size_t>(j)]) * r[static_cast<size_t>(j * ld + k)];
            want += t, mag += std::fabs(t);
          }
          EXPECT_NEAR(sums[static_cast<size_t>(k)], want, 1e-6 * mag + 1e-7) << what << " axpy " << k;
        }
      }
    }
  }
}

// On AVX2 CPUs without AVX-512 the LSTM kernel for constant weights runs its step on row panels;
// the recurrent kernel tests (test_recurrent.cc) then check that layout against the reference.
TEST(SgemmRows, LstmUsesRowPanelsOnAvx2) {
  if (!cpu_features().has_avx2_fma() || cpu_features().has_avx512())
    GTEST_SKIP() << "row panels are used on AVX2 CPUs without AVX-512 only";
  std::mt19937 rng(54);
  const ir::Node node = NodeBuilder("LSTM", 22).attr_i("hidden_size", 70).build();
  const Tensor w = random_tensor(DType::kFloat32, {1, 280, 5}, rng);
  const Tensor r = random_tensor(DType::kFloat32, {1, 280, 70}, rng);
  auto type_of = [](const Tensor& t) {
    return ir::ValueType::tensor(DType::kFloat32, SymShape(t.shape().begin(), t.shape().end()));
  };
  const ir::ValueType xt = ir::ValueType::tensor(DType::kFloat32, SymShape{Dim(int64_t{2}), Dim(int64_t{3}), Dim(int64_t{5})});
  const ir::ValueType wt = type_of(w), rt = type_of(r);
  const ir::ValueType* types[] = {&xt, &wt, &rt};
  const Tensor* consts[] = {nullptr, &w, &r};
  const kernels::KernelEntry* e = kernels::find_kernel(kernels::Backend::kCpu, "", "LSTM", 22, DType::kFloat32);
  ASSERT_NE(e, nullptr);
  auto k = e->factory(kernels::KernelInit{node, types, consts, {}});
  ASSERT_TRUE(k.has_value()) << k.status().to_string();
  EXPECT_STREQ((*k)->variant(), "row_panels_avx2");
}

}  // namespace
}  // namespace onnxrt::testing
