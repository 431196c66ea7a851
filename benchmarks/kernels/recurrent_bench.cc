// The LSTM's pieces alone, on one thread (the twelfth session's figures in
// benchmarks/models/performance_notes.md): the step product [4, 256] x [256, 1024] and the input
// projection [128, 128] x [128, 1024] on the packed-B GEMM (6x16 tiles) and on row panels (4x24
// tiles), each with two weight copies alternating so that B comes from L3 as in a model; and the
// fused cell over one step of 1024 units. Best of 7 samples, thread CPU time.
//   recurrent_bench                      (built with -DONNXRT_BUILD_BENCHMARKS=ON, AVX2 CPUs)
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/cpu/gemm.h"
#include "kernels/ukernels/elementwise/ukernels.h"
#include "kernels/ukernels/gemm/sgemm.h"

using namespace onnxrt::kernels;

namespace {

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Best seconds per call over 7 samples of `reps` calls.
double best_of(int reps, const std::function<void(int)>& fn) {
  double best = 1e30;
  for (int s = 0; s < 7; ++s) {
    const double t0 = now_s();
    for (int r = 0; r < reps; ++r) fn(r);
    best = std::min(best, (now_s() - t0) / reps);
  }
  return best;
}

std::vector<float> random_vec(size_t n, std::mt19937& rng, float scale) {
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// B [N, K] (rows = output columns) as row panels of 24 columns, the last narrower.
std::vector<float> row_panels(const std::vector<float>& b, int64_t N, int64_t K) {
  std::vector<float> p;
  for (int64_t j0 = 0; j0 < N; j0 += ukernels::kRowPanelWidth) {
    const int64_t w = std::min(ukernels::kRowPanelWidth, N - j0);
    const int64_t pw = (w + ukernels::kRowPanelStep - 1) / ukernels::kRowPanelStep * ukernels::kRowPanelStep;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t jj = 0; jj < pw; ++jj) p.push_back(jj < w ? b[static_cast<size_t>((j0 + jj) * K + k)] : 0.f);
  }
  return p;
}

void product(const char* what, int64_t M, int64_t N, int64_t K, int reps, std::mt19937& rng) {
  const std::vector<float> a = random_vec(static_cast<size_t>(M * K), rng, 1.f);
  std::vector<float> c(static_cast<size_t>(M * N));
  std::vector<float> b[2] = {random_vec(static_cast<size_t>(N * K), rng, 0.1f), random_vec(static_cast<size_t>(N * K), rng, 0.1f)};
  const PackedB packed[2] = {PackedB::pack(true, K, N, b[0].data(), K), PackedB::pack(true, K, N, b[1].data(), K)};
  const std::vector<float> panels[2] = {row_panels(b[0], N, K), row_panels(b[1], N, K)};
  const double flop = 2.0 * M * N * K;
  const double t_packed = best_of(reps, [&](int r) {
    sgemm_packed(false, M, 1.f, a.data(), K, packed[r % 2], 0.f, c.data(), N, nullptr);
  });
  const double t_rows = best_of(reps, [&](int r) {
    const float* p = panels[r % 2].data();
    for (int64_t j0 = 0; j0 < N; j0 += ukernels::kRowPanelWidth, p += ukernels::kRowPanelWidth * K)
      ukernels::sgemm_rows_avx2(M, std::min(ukernels::kRowPanelWidth, N - j0), K, a.data(), K, p, c.data() + j0, N);
  });
  std::printf("%-34s packed 6x16 %7.2f us %6.1f GFLOP/s   row panels 4x24 %7.2f us %6.1f GFLOP/s\n", what,
              t_packed * 1e6, flop / t_packed * 1e-9, t_rows * 1e6, flop / t_rows * 1e-9);
}

}  // namespace

int main() {
  if (!onnxrt::cpu_features().has_avx2_fma()) return std::fprintf(stderr, "needs AVX2 and FMA\n"), 2;
  std::mt19937 rng(7);
  product("LSTM step 4 x 1024 x 256", 4, 1024, 256, 2000, rng);
  product("LSTM projection 128 x 1024 x 128", 128, 1024, 128, 200, rng);
  product("LSTM projection 128 x 1024 x 256", 128, 1024, 256, 100, rng);
  // The fused cell over one step of the benchmark LSTM: batch 4 x 4 blocks of 64 units.
  const int64_t B = 4, H = 256, GH = 4 * H;
  std::vector<float> hr = random_vec(static_cast<size_t>(B * GH), rng, 2.f), xw = random_vec(hr.size(), rng, 1.f);
  std::vector<float> bias = random_vec(static_cast<size_t>(GH), rng, 0.1f), c(static_cast<size_t>(B * H), 0.5f);
  std::vector<float> h(c.size()), y(c.size());
  const ew::LstmCellF32Fn cell = ew::lstm_cell_f32_ukernel();
  const double t_cell = best_of(5000, [&](int) {
    for (int64_t b = 0; b < B; ++b)
      for (int64_t blk = 0; blk < 4; ++blk) {
        const int64_t q = blk * 256, j0 = blk * 64;
        cell({hr.data() + b * GH + q, xw.data() + b * GH + q, bias.data() + q, c.data() + b * H + j0,
              h.data() + b * H + j0, y.data() + b * H + j0, 64, 0.f});
      }
  });
  std::printf("%-34s %7.2f us per step (%.2f ns per unit)\n", "LSTM cell, 1024 units", t_cell * 1e6,
              t_cell * 1e9 / static_cast<double>(B * H));
}
