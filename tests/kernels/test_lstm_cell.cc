// The fused LSTM cell microkernel (ew::LstmCellArgs) on every ISA variant this CPU has, against
// a float64 evaluation of the spec's equations: unit counts around the vector widths (the tail
// path), with and without bias, clip and the Y copy, large pre-activations (saturated gates) and
// NaN (which must reach h and c, clipped or not).
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

using kernels::ew::LstmCellArgs;
using kernels::ew::LstmCellF32Fn;

struct Variant {
  const char* name;
  LstmCellF32Fn fn;
};

std::vector<Variant> variants() {
  std::vector<Variant> v{{"scalar", &kernels::ew::lstm_cell_f32_scalar}};
  if (cpu_features().has_avx2_fma()) v.push_back({"avx2", &kernels::ew::lstm_cell_f32_avx2});
  if (cpu_features().has_avx512()) v.push_back({"avx512", &kernels::ew::lstm_cell_f32_avx512});
  return v;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct Expect {
  std::vector<double> c, h;
};

Expect reference(const std::vector<float>& gates, const std::vector<float>& pre, const float* bias,
                 const std::vector<float>& c0, int64_t n, float clip) {
  Expect e{std::vector<double>(static_cast<size_t>(n)), std::vector<double>(static_cast<size_t>(n))};
  for (int64_t j = 0; j < n; ++j) {
    double g[4];
    for (int64_t k = 0; k < 4; ++k) {
      const size_t at = static_cast<size_t>(k * n + j);
      g[k] = static_cast<double>(gates[at]) + pre[at] + (bias ? bias[at] : 0.0f);
      if (clip > 0 && !std::isnan(g[k])) g[k] = std::min<double>(clip, std::max<double>(-clip, g[k]));
    }
    const double c = sigmoid(g[2]) * c0[static_cast<size_t>(j)] + sigmoid(g[0]) * std::tanh(g[3]);
    e.c[static_cast<size_t>(j)] = c;
    e.h[static_cast<size_t>(j)] = sigmoid(g[1]) * std::tanh(c);
  }
  return e;
}

void expect_close(float got, double want, const std::string& what) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << what << ": got " << got << ", expected NaN";
    return;
  }
  EXPECT_NEAR(got, want, 4e-7 + 4e-7 * std::fabs(want)) << what;
}

TEST(LstmCellUkernel, MatchesFloat64Equations) {
  std::mt19937 rng(41);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  for (const Variant& v : variants()) {
    for (int64_t n : {1, 7, 8, 15, 16, 17, 31, 33, 64, 70}) {
      for (int mode = 0; mode < 8; ++mode) {
        const bool with_bias = mode & 1, with_y = mode & 2;
        const float clip = (mode & 4) ? 1.5f : 0.0f;
        std::vector<float> gates(static_cast<size_t>(4 * n)), pre(gates.size()), bias(gates.size());
        std::vector<float> c(static_cast<size_t>(n)), h(c.size(), -7.0f), y(c.size(), -7.0f);
        for (auto* a : {&gates, &pre, &bias, &c})
          for (float& x : *a) x = u(rng);
        // Saturated gates and NaN at a few units (never the last one: it checks the tail alone).
        if (n > 3) {
          gates[0] = 90.0f;                       // i of unit 0 saturates at 1
          gates[static_cast<size_t>(2 * n + 1)] = -200.0f;  // f of unit 1 at 0
          pre[static_cast<size_t>(3 * n + 2)] = std::numeric_limits<float>::quiet_NaN();  // g of unit 2
        }
        const std::vector<float> c0 = c;
        const Expect e = reference(gates, pre, with_bias ? bias.data() : nullptr, c0, n, clip);
        v.fn(LstmCellArgs{gates.data(), pre.data(), with_bias ? bias.data() : nullptr, c.data(), h.data(),
                          with_y ? y.data() : nullptr, n, clip});
        for (int64_t j = 0; j < n; ++j) {
          const std::string what = std::string(v.name) + " n " + std::to_string(n) + " mode " +
                                   std::to_string(mode) + " unit " + std::to_string(j);
          expect_close(c[static_cast<size_t>(j)], e.c[static_cast<size_t>(j)], what + " c");
          expect_close(h[static_cast<size_t>(j)], e.h[static_cast<size_t>(j)], what + " h");
          if (with_y) {
            const float yj = y[static_cast<size_t>(j)], hj = h[static_cast<size_t>(j)];
            EXPECT_TRUE(yj == hj || (std::isnan(yj) && std::isnan(hj))) << what << " y";
          } else {
            EXPECT_EQ(y[static_cast<size_t>(j)], -7.0f) << what << ": Y written though not asked for";
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
