// The GEMM/conv epilogue microkernel (ukernels::EpilogueF32Fn) on every ISA variant this CPU has,
// against a float64 loop written here: every activation, with and without row bias, column bias
// and residual, column counts around the vector widths (the masked tail must neither read nor
// write past the block: guard values around it are checked), and leading dimensions wider than
// the block.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::testing {
namespace {

using kernels::ukernels::EpiAct;
using kernels::ukernels::EpilogueArgs;

struct Variant {
  const char* name;
  kernels::ukernels::EpilogueF32Fn fn;
};

std::vector<Variant> variants() {
  std::vector<Variant> v{{"scalar", &kernels::ukernels::epilogue_f32_scalar}};
  if (cpu_features().has_avx2_fma()) v.push_back({"avx2", &kernels::ukernels::epilogue_f32_avx2});
  if (cpu_features().has_avx512()) v.push_back({"avx512", &kernels::ukernels::epilogue_f32_avx512});
  return v;
}

double act(EpiAct a, double v, double p0, double p1) {
  switch (a) {
    case EpiAct::kNone: return v;
    case EpiAct::kRelu: return std::max(v, 0.0);
    case EpiAct::kClamp: return std::min(std::max(v, p0), p1);
    case EpiAct::kLeakyRelu: return v >= 0 ? v : p0 * v;
    case EpiAct::kHardSigmoid: return std::min(std::max(p0 * v + p1, 0.0), 1.0);
    case EpiAct::kHardSwish: return v * std::min(std::max(v / 6 + 0.5, 0.0), 1.0);
  }
  return v;
}

TEST(EpilogueIsa, EveryVariantMatchesAFloat64Loop) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-3.f, 3.f);
  const EpiAct acts[] = {EpiAct::kNone, EpiAct::kRelu, EpiAct::kClamp, EpiAct::kLeakyRelu, EpiAct::kHardSigmoid,
                         EpiAct::kHardSwish};
  constexpr float kGuard = 12345.f;
  for (const Variant& var : variants()) {
    for (EpiAct a : acts) {
      for (int64_t cols : {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 70}) {
        for (int parts = 0; parts < 8; ++parts) {
          SCOPED_TRACE(std::string(var.name) + " act " + std::to_string(static_cast<int>(a)) + " cols " +
                       std::to_string(cols) + " parts " + std::to_string(parts));
          const int64_t rows = 3, ldy = cols + 5, ldz = cols + 3;
          std::vector<float> y(static_cast<size_t>(rows * ldy)), z(static_cast<size_t>(rows * ldz));
          std::vector<float> row_bias(rows), col_bias(static_cast<size_t>(cols));
          for (float* v : {y.data(), z.data()})
            for (size_t i = 0; i < (v == y.data() ? y.size() : z.size()); ++i) v[i] = u(rng);
          for (float& v : row_bias) v = u(rng);
          for (float& v : col_bias) v = u(rng);
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = cols; c < ldy; ++c) y[static_cast<size_t>(r * ldy + c)] = kGuard;
          EpilogueArgs args;
          args.act = a;
          args.p0 = a == EpiAct::kClamp ? -1.f : 0.2f;
          args.p1 = a == EpiAct::kClamp ? 1.5f : 0.5f;
          args.row_bias = parts & 1 ? row_bias.data() : nullptr;
          args.col_bias = parts & 2 ? col_bias.data() : nullptr;
          args.z = parts & 4 ? z.data() : nullptr;
          args.ldz = ldz;
          std::vector<double> want(y.size());
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) {
              double v = y[static_cast<size_t>(r * ldy + c)];
              if (args.row_bias) v += row_bias[static_cast<size_t>(r)];
              if (args.col_bias) v += col_bias[static_cast<size_t>(c)];
              if (args.z) v += z[static_cast<size_t>(r * ldz + c)];
              want[static_cast<size_t>(r * ldy + c)] = act(a, v, args.p0, args.p1);
            }
          var.fn(args, y.data(), ldy, rows, cols);
          for (int64_t r = 0; r < rows; ++r) {
            for (int64_t c = 0; c < ldy; ++c) {
              const float got = y[static_cast<size_t>(r * ldy + c)];
              if (c >= cols) {
                ASSERT_EQ(got, kGuard) << "wrote past the block at row " << r << " col " << c;
                continue;
              }
              const double w = want[static_cast<size_t>(r * ldy + c)];
              ASSERT_NEAR(got, w, 1e-5 * (1 + std::fabs(w))) << "row " << r << " col " << c;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
