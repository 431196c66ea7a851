// The softmax row microkernel (ew::SoftmaxRowF32Fn) on every ISA variant this CPU has, against a
// float64 softmax of the same row: lengths around the vector widths (the tail path), with and
// without a mask row (broadcast and per element), in place, with large logits, -inf entries,
// a fully -inf row (NaN, as exp(-inf - -inf) makes it), and a NaN (the whole row NaN).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/ukernels/elementwise/ukernels.h"

namespace onnxrt::testing {
namespace {

struct Variant {
  const char* name;
  kernels::ew::SoftmaxRowF32Fn fn;
};

std::vector<Variant> variants() {
  std::vector<Variant> v{{"scalar", &kernels::ew::softmax_row_f32_scalar}};
  if (cpu_features().has_avx2_fma()) v.push_back({"avx2", &kernels::ew::softmax_row_f32_avx2});
  if (cpu_features().has_avx512()) v.push_back({"avx512", &kernels::ew::softmax_row_f32_avx512});
  return v;
}

std::vector<double> reference(const std::vector<float>& x, const float* add, int64_t stride) {
  const size_t n = x.size();
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<double>(x[i] + (add ? add[stride * static_cast<int64_t>(i)] : 0.0f));
  double m = v[0];
  for (double a : v) m = std::max(m, a);
  double sum = 0;
  for (double& a : v) sum += (a = std::exp(a - m));
  for (double& a : v) a /= sum;
  return v;
}

TEST(SoftmaxRow, MatchesFloat64OnEveryIsa) {
  std::mt19937 rng(3);
  const float ninf = -std::numeric_limits<float>::infinity();
  for (const Variant& var : variants()) {
    for (int64_t n : {1, 2, 7, 8, 15, 16, 17, 31, 33, 64, 100, 128, 257}) {
      for (int mask = 0; mask < 3; ++mask) {  // none, one broadcast value, a row
        for (float spread : {1.0f, 30.0f}) {
          SCOPED_TRACE(std::string(var.name) + " n=" + std::to_string(n) + " mask=" + std::to_string(mask) +
                       " spread=" + std::to_string(spread));
          std::uniform_real_distribution<float> u(-spread, spread);
          std::vector<float> x(static_cast<size_t>(n)), add(static_cast<size_t>(n));
          for (float& v : x) v = u(rng) + 50.0f;  // away from 0: the max must be subtracted
          for (float& v : add) v = u(rng);
          if (n > 3) x[2] = ninf;  // a masked key
          const float* ap = mask == 0 ? nullptr : add.data();
          const int64_t stride = mask == 2 ? 1 : 0;
          const std::vector<double> want = reference(x, ap, stride);
          std::vector<float> y(static_cast<size_t>(n), -1.0f);
          var.fn(x.data(), ap, stride, y.data(), n);
          double total = 0;
          for (int64_t i = 0; i < n; ++i) {
            EXPECT_NEAR(y[static_cast<size_t>(i)], want[static_cast<size_t>(i)], 2e-7 + 4e-7 * want[static_cast<size_t>(i)]) << i;
            total += y[static_cast<size_t>(i)];
          }
          EXPECT_NEAR(total, 1.0, 1e-5);
          // In place gives the same bits.
          std::vector<float> z = x;
          var.fn(z.data(), ap, stride, z.data(), n);
          EXPECT_EQ(z, y);
        }
      }
    }
  }
}

TEST(SoftmaxRow, NanAndFullyMaskedRowsAreNan) {
  const float ninf = -std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (const Variant& var : variants()) {
    for (int64_t n : {5, 16, 37}) {
      SCOPED_TRACE(std::string(var.name) + " n=" + std::to_string(n));
      std::vector<float> x(static_cast<size_t>(n), ninf), y(static_cast<size_t>(n));
      var.fn(x.data(), nullptr, 0, y.data(), n);
      for (float v : y) EXPECT_TRUE(std::isnan(v));
      for (int64_t where : {int64_t{0}, n / 2, n - 1}) {
        std::vector<float> w(static_cast<size_t>(n), 1.0f);
        w[static_cast<size_t>(where)] = nan;
        var.fn(w.data(), nullptr, 0, y.data(), n);
        for (float v : y) EXPECT_TRUE(std::isnan(v)) << where;
      }
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
