// The layout moves around the conv GEMMs (ukernels/nn/conv_layout_f32_*.cc) against plain
// loops: the stride-2 copy of every ISA at every length around the vector width, reading nothing past
// its last element (the source ends at a guard page), im2col runs into B panels (likewise), and
// the transposed tile store of every ISA
// over every pixel and channel count, with and without bias, residual and clamp, NaN included.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::testing {
namespace {

using kernels::ukernels::TransposedStoreArgs;

bool same(float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }

TEST(ConvLayoutUkernels, CopyStride2MatchesLoopAndStaysInBounds) {
  std::vector<std::pair<const char*, void (*)(const float*, float*, int64_t)>> isas;
  if (cpu_features().has_avx2_fma()) isas.emplace_back("avx2", &kernels::ukernels::copy_stride2_f32_avx2);
  if (cpu_features().has_avx512()) isas.emplace_back("avx512", &kernels::ukernels::copy_stride2_f32_avx512);
  if (isas.empty()) GTEST_SKIP() << "needs AVX2 or AVX-512";
  // The source's last float sits just before an inaccessible page: any read past it faults.
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  char* mem = static_cast<char*>(::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(mem, MAP_FAILED);
  ASSERT_EQ(::mprotect(mem + page, page, PROT_NONE), 0);
  float* end = reinterpret_cast<float*>(mem + page);
  for (const auto& [name, fn] : isas) {
    for (int64_t n = 1; n <= 70; ++n) {
      const int64_t len = 2 * (n - 1) + 1;  // floats the copy may read
      float* src = end - len;
      for (int64_t i = 0; i < len; ++i) src[i] = static_cast<float>(i) * 0.5f - 3.0f;
      std::vector<float> dst(static_cast<size_t>(n) + 1, -99.0f);
      fn(src, dst.data(), n);
      for (int64_t t = 0; t < n; ++t) EXPECT_EQ(dst[static_cast<size_t>(t)], src[2 * t]) << name << " n " << n << " t " << t;
      EXPECT_EQ(dst[static_cast<size_t>(n)], -99.0f) << name << " n " << n << ": wrote past the end";
    }
  }
  ::munmap(mem, 2 * page);
}

// im2col runs into B panels: random runs (every length 1..nr, every offset in the panel, stride 1
// and 2) over rows whose every read must stay inside the row: each row's last needed float sits
// just before an inaccessible page. The written columns match a plain loop; the 8-float slack
// past the block is the only place written outside the panels' runs.
TEST(ConvLayoutUkernels, Im2colPanelsMatchLoopAndStayInBounds) {
  if (!cpu_features().has_avx2_fma()) GTEST_SKIP() << "needs AVX2";
  namespace uk = kernels::ukernels;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::mt19937 rng(11);
  for (int64_t stride : {1, 2}) {
    for (int64_t nr : {16, 32}) {
      for (int trial = 0; trial < 40; ++trial) {
        const int64_t kc = 1 + trial % 5;
        // Runs covering [0, ncols): random lengths cut at the panel edges, as nn_conv.cc cuts them.
        const int64_t ncols = 1 + static_cast<int64_t>(rng() % (3 * nr));
        std::vector<uk::Im2colRun> runs;
        std::vector<int64_t> panel_runs{0};
        int64_t max_src = 0;
        for (int64_t j = 0; j < ncols;) {
          const int64_t off = j % nr;
          const int64_t len = std::min({ncols - j, nr - off, 1 + static_cast<int64_t>(rng() % nr)});
          if (off == 0 && j > 0) panel_runs.push_back(static_cast<int64_t>(runs.size()));
          const int64_t src = static_cast<int64_t>(rng() % 50);
          runs.push_back({(j - off) * kc + off, src, len});
          max_src = std::max(max_src, src + (len - 1) * stride);
          j += len;
        }
        panel_runs.push_back(static_cast<int64_t>(runs.size()));
        const int64_t panels = static_cast<int64_t>(panel_runs.size()) - 1;
        // Every row is the same guarded buffer, ending right after its last needed float.
        char* mem = static_cast<char*>(::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        ASSERT_NE(mem, MAP_FAILED);
        ASSERT_EQ(::mprotect(mem + page, page, PROT_NONE), 0);
        float* row = reinterpret_cast<float*>(mem + page) - (max_src + 1);
        for (int64_t i = 0; i <= max_src; ++i) row[i] = static_cast<float>(i) + 0.25f;
        std::vector<const float*> rows;
        std::vector<float> shifted;  // rows r > 0 read the same floats plus r (a copy, not guarded)
        shifted.resize(static_cast<size_t>((kc - 1) * (max_src + 1)) + 1);
        rows.push_back(row);
        for (int64_t r = 1; r < kc; ++r) {
          float* sr = shifted.data() + (r - 1) * (max_src + 1);
          for (int64_t i = 0; i <= max_src; ++i) sr[i] = row[i] + static_cast<float>(100 * r);
          rows.push_back(sr);
        }
        const int64_t block = panels * kc * nr;
        std::vector<float> out(static_cast<size_t>(block + 8), -7.f);
        uk::im2col_panels_f32_avx2({rows.data(), kc, nr, stride, runs.data(), panel_runs.data(), panels, out.data()});
        for (const uk::Im2colRun& u : runs)
          for (int64_t r = 0; r < kc; ++r)
            for (int64_t t = 0; t < u.len; ++t)
              ASSERT_EQ(out[static_cast<size_t>(u.dst + r * nr + t)], rows[static_cast<size_t>(r)][u.src + t * stride])
                  << "stride " << stride << " nr " << nr << " trial " << trial << " row " << r << " t " << t;
        ::munmap(mem, 2 * page);
      }
    }
  }
}

// Every ISA's tile shape: AVX-512 stores tiles of up to 16 pixels x 32 channels (ldc 32), AVX2 up
// to 8 x 16 (ldc 16).
TEST(ConvLayoutUkernels, StoreTransposedMatchesLoop) {
  struct Isa {
    const char* name;
    void (*fn)(const TransposedStoreArgs&);
    int max_m, ldc;
  };
  std::vector<Isa> isas;
  if (cpu_features().has_avx2_fma()) isas.push_back({"avx2", &kernels::ukernels::store_transposed_f32_avx2, 8, 16});
  if (cpu_features().has_avx512()) isas.push_back({"avx512", &kernels::ukernels::store_transposed_f32_avx512, 16, 32});
  if (isas.empty()) GTEST_SKIP() << "needs AVX2 or AVX-512";
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const Isa& isa : isas) {
    const int ldc = isa.ldc;
    for (int m = 1; m <= isa.max_m; ++m) {
      for (int channels : {1, 5, ldc / 2, ldc / 2 + 1, ldc - 1, ldc}) {
        for (int mode = 0; mode < 8; ++mode) {
          const bool with_bias = mode & 1, with_z = mode & 2, clamp = mode & 4;
          const int64_t ldy = 40, ldz = 37;
          std::vector<float> c(static_cast<size_t>(isa.max_m * ldc)), bias(32), z(static_cast<size_t>(32 * ldz));
          for (auto* v : {&c, &bias, &z})
            for (float& x : *v) x = u(rng);
          c[0] = nan;  // pixel 0, channel 0
          std::vector<float> y(static_cast<size_t>(32 * ldy), -99.0f);
          const float lo = -0.5f, hi = 1.0f;
          isa.fn(TransposedStoreArgs{c.data(), m, channels, with_bias ? bias.data() : nullptr,
                                     with_z ? z.data() : nullptr, ldz, y.data(), ldy, clamp, lo, hi});
          for (int j = 0; j < 32; ++j) {
            for (int i = 0; i < ldy; ++i) {
              const float got = y[static_cast<size_t>(j * ldy + i)];
              const std::string what = std::string(isa.name) + " m " + std::to_string(m) + " channels " +
                                       std::to_string(channels) + " mode " + std::to_string(mode) + " channel " +
                                       std::to_string(j) + " pixel " + std::to_string(i);
              if (j >= channels || i >= m) {
                EXPECT_EQ(got, -99.0f) << what << ": written outside the tile";
                continue;
              }
              float v = c[static_cast<size_t>(i * ldc + j)] + (with_bias ? bias[static_cast<size_t>(j)] : 0.0f);
              if (with_z) v += z[static_cast<size_t>(j * ldz + i)];
              if (clamp) v = std::min(std::max(v, lo), hi);  // the scalar store's order: NaN stays NaN
              EXPECT_TRUE(same(got, v)) << what << ": got " << got << ", expected " << v;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
