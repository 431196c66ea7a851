// Element-wise unary microkernels alone: ns per vector of 8 floats for each vectorized op, on a
// buffer that stays in cache, min over repeats. Compares two libraries when built against each
// (the tenth session's exp_fast_v figures in benchmarks/models/performance_notes.md).
//   unary_bench [floats] [isa: avx2 | avx512 | scalar]   (built with -DONNXRT_BUILD_BENCHMARKS=ON)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/ukernels/elementwise/ukernels.h"

using namespace onnxrt::kernels::ew;

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 8192;
  const char* isa = argc > 2 ? argv[2] : (onnxrt::cpu_features().has_avx512() ? "avx512" : "avx2");
  UnaryF32Fn fn = &unary_f32_scalar;
  if (std::strcmp(isa, "avx2") == 0 && onnxrt::cpu_features().has_avx2_fma()) fn = &unary_f32_avx2;
  else if (std::strcmp(isa, "avx512") == 0 && onnxrt::cpu_features().has_avx512()) fn = &unary_f32_avx512;
  else if (std::strcmp(isa, "scalar") != 0) return std::fprintf(stderr, "ISA %s not available here\n", isa), 2;
  if (n <= 0) return std::fprintf(stderr, "floats must be positive\n"), 2;
  std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-8.f, 8.f);
  for (float& v : x) v = u(rng);
  struct Op {
    const char* name;
    UnaryOp op;
    float alpha;
  };
  const Op ops[] = {{"exp", UnaryOp::kExp, 0.f},   {"sigmoid", UnaryOp::kSigmoid, 0.f}, {"swish", UnaryOp::kSilu, 1.f},
                    {"tanh", UnaryOp::kTanh, 0.f}, {"erf", UnaryOp::kErf, 0.f},         {"gelu", UnaryOp::kGelu, 0.f},
                    {"gelu_tanh", UnaryOp::kGeluTanh, 0.f}, {"softplus", UnaryOp::kSoftplus, 0.f},
                    {"mish", UnaryOp::kMish, 0.f}};
  std::printf("%s, %lld floats: ns per 8 floats, min of 20 repeats\n", isa, static_cast<long long>(n));
  const int64_t iters = std::max<int64_t>(1, 20000000 / n);
  for (const Op& o : ops) {
    UnaryParams p;
    p.alpha = o.alpha;
    double best = 1e30;
    for (int rep = 0; rep < 20; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < iters; ++i) fn(o.op, x.data(), y.data(), n, p);
      const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / iters;
      best = std::min(best, t);
    }
    std::printf("%-10s %6.2f\n", o.name, best / static_cast<double>(n) * 8e9);
  }
  return 0;
}
