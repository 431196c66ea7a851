// SGEMM timing per microkernel family (built with -DONNXRT_BUILD_BENCHMARKS=ON):
//   gemm_bench [threads] [avx512|avx2|scalar] [M N K]
// Prints GFLOP/s per shape and microkernel family, best of several repetitions, and checks the
// result against a double-precision dot product on a few entries.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/cpu/gemm.h"

using namespace onnxrt;
using namespace onnxrt::kernels;

static double bench(GemmIsa isa, bool packed, int64_t M, int64_t N, int64_t K, ThreadPool* pool) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> A(M * K), B(K * N), C(M * N);
  for (auto& x : A) x = d(rng);
  for (auto& x : B) x = d(rng);
  PackedB pb;
  if (packed) pb = PackedB::pack(false, K, N, B.data(), N, isa);
  auto once = [&] {
    if (packed)
      sgemm_packed(false, M, 1.f, A.data(), K, pb, 0.f, C.data(), N, pool);
    else
      sgemm_isa(isa, false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, C.data(), N, pool);
  };
  once();
  for (int t = 0; t < 5; ++t) {
    const int64_t i = rng() % M, j = rng() % N;
    double ref = 0;
    for (int64_t k = 0; k < K; ++k) ref += double(A[i * K + k]) * B[k * N + j];
    if (std::fabs(ref - C[i * N + j]) > 1e-3 * std::sqrt(double(K)))
      std::printf("MISMATCH at %ld,%ld: %f vs %f\n", long(i), long(j), ref, C[i * N + j]);
  }
  const double flop = 2.0 * M * N * K;
  int reps = std::max(1, int(2e9 / std::max(flop, 1.0)));
  reps = std::min(reps, 20000);
  // On a shared machine wall time includes other processes' time slices; with one thread the
  // thread's CPU time is the steadier measure.
  auto now = [&] {
    if (pool && pool->num_threads() > 1)
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
  };
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    const double t0 = now();
    for (int i = 0; i < reps / 5 + 1; ++i) once();
    best = std::min(best, (now() - t0) / (reps / 5 + 1));
  }
  return flop / best * 1e-9;
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  ThreadPool pool(threads);
  struct S { int64_t m, n, k; } shapes[] = {
      {512, 512, 512}, {1024, 1024, 1024}, {1, 768, 768}, {64, 64, 64}, {128, 768, 768},
      {196, 64, 576}, {2048, 768, 768}};
  std::vector<S> list(std::begin(shapes), std::end(shapes));
  if (argc > 5) list = {S{std::atol(argv[3]), std::atol(argv[4]), std::atol(argv[5])}};
  const std::string only = argc > 2 ? argv[2] : "";
  for (GemmIsa isa : {GemmIsa::kAvx512, GemmIsa::kAvx2, GemmIsa::kScalar}) {
    const char* names[] = {"", "scalar", "avx2", "avx512"};
    if (!only.empty() && only != names[static_cast<int>(isa)]) continue;
    for (auto s : list) {
      if (isa == GemmIsa::kScalar && s.m * s.n * s.k > 300000000) continue;
      std::printf("%-20s threads=%d %5ldx%5ldx%5ld  %7.1f GFLOP/s  packedB %7.1f\n",
                  sgemm_variant(isa), threads, long(s.m), long(s.n), long(s.k),
                  bench(isa, false, s.m, s.n, s.k, &pool), bench(isa, true, s.m, s.n, s.k, &pool));
    }
  }
}
