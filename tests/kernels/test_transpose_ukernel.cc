// The 2-D transpose ukernels of 32-bit elements (ukernels/elementwise/transpose.h) against the
// definition, on every shape around the 8x8 blocks, with strides past the tile and guard values
// around the destination; Transpose through them against a naive loop; the stride-2 gather and
// the indexed one.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/harness.h"
#include "kernels/ukernels/elementwise/transpose.h"

namespace onnxrt::testing {
namespace {

TEST(TransposeUkernel, MatchesDefinitionAroundTheBlocks) {
  std::mt19937 rng(5);
  for (int64_t m : {0, 1, 7, 8, 9, 16, 23, 32}) {
    for (int64_t n : {0, 1, 5, 8, 15, 17, 32}) {
      const int64_t lda = m + 3, ldb = n + 5;  // strides past the tile
      std::vector<uint32_t> a(static_cast<size_t>(std::max<int64_t>(n, 1) * lda));
      for (uint32_t& v : a) v = rng();
      for (auto fn : {&kernels::ew::transpose_32bit_scalar, &kernels::ew::transpose_32bit_avx2}) {
        if (fn == &kernels::ew::transpose_32bit_avx2 && !cpu_features().has_avx2_fma()) continue;
        std::vector<uint32_t> b(static_cast<size_t>(std::max<int64_t>(m, 1) * ldb), 0xDEADBEEFu);
        fn(a.data(), lda, b.data(), ldb, m, n);
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < ldb; ++j) {
            const uint32_t want = j < n ? a[static_cast<size_t>(j * lda + i)] : 0xDEADBEEFu;  // past n: untouched
            ASSERT_EQ(b[static_cast<size_t>(i * ldb + j)], want) << "m " << m << " n " << n << " at " << i << "," << j;
          }
      }
    }
  }
}

// b[i] = a[2i] on every length around the 8-element steps, from a source of exactly 2n - 1
// elements (ASan sees a read past it), with guard values after the destination.
TEST(TransposeUkernel, GatherStride2MatchesDefinition) {
  std::mt19937 rng(7);
  for (int64_t n = 0; n <= 41; ++n) {
    std::vector<uint32_t> a(static_cast<size_t>(std::max<int64_t>(2 * n - 1, 0)));
    for (uint32_t& v : a) v = rng();
    for (auto fn : {&kernels::ew::gather_stride2_32bit_scalar, &kernels::ew::gather_stride2_32bit_avx2}) {
      if (fn == &kernels::ew::gather_stride2_32bit_avx2 && !cpu_features().has_avx2_fma()) continue;
      std::vector<uint32_t> b(static_cast<size_t>(n + 3), 0xDEADBEEFu);
      fn(a.data(), b.data(), n);
      for (int64_t i = 0; i < n + 3; ++i)
        ASSERT_EQ(b[static_cast<size_t>(i)], i < n ? a[static_cast<size_t>(2 * i)] : 0xDEADBEEFu) << "n " << n << " at " << i;
    }
  }
}

// b[t] = a[idx[t]] (negative indices from the end) on every length around the 4-index steps, from a
// source of exactly n elements, with guard values after the destination; indices outside [-n, n)
// (the int64 extremes too) read a[0] and set the result, which stays false for good indices.
TEST(TransposeUkernel, GatherIndexedMatchesDefinition) {
  std::mt19937 rng(9);
  for (int64_t n : {1, 5, 300}) {
    std::vector<uint32_t> a(static_cast<size_t>(n));
    for (uint32_t& v : a) v = rng();
    for (int64_t count = 0; count <= 41; ++count) {
      for (bool inject : {false, true}) {
        std::vector<int64_t> idx(static_cast<size_t>(count));
        std::uniform_int_distribution<int64_t> good(-n, n - 1);
        for (int64_t& i : idx) i = good(rng);
        const int64_t bad_values[] = {n, -n - 1, INT64_MAX, INT64_MIN};
        bool want_bad = false;
        if (inject && count > 0) {
          idx[rng() % static_cast<size_t>(count)] = bad_values[rng() % 4];
          want_bad = true;
        }
        for (auto fn : {&kernels::ew::gather_indexed_32bit_scalar, &kernels::ew::gather_indexed_32bit_avx2}) {
          if (fn == &kernels::ew::gather_indexed_32bit_avx2 && !cpu_features().has_avx2_fma()) continue;
          std::vector<uint32_t> b(static_cast<size_t>(count + 3), 0xDEADBEEFu);
          EXPECT_EQ(fn(a.data(), n, idx.data(), b.data(), count), want_bad) << "n " << n << " count " << count;
          for (int64_t t = 0; t < count + 3; ++t) {
            uint32_t want = 0xDEADBEEFu;
            if (t < count) {
              const int64_t i = idx[static_cast<size_t>(t)];
              want = i >= -n && i < n ? a[static_cast<size_t>(i < 0 ? i + n : i)] : a[0];
            }
            ASSERT_EQ(b[static_cast<size_t>(t)], want) << "n " << n << " count " << count << " at " << t;
          }
        }
      }
    }
  }
}

// SpaceToDepth (its rows are stride-2 walks) and Slice with step 2 on the last axis, from an
// even and an odd start, against the definition.
TEST(TransposeUkernel, StrideTwoCopiesMatchDefinition) {
  std::mt19937 rng(8);
  const Tensor x = random_tensor(DType::kFloat32, {2, 3, 6, 38}, rng);
  const float* xv = x.data<float>();
  auto y = run_node(kernels::Backend::kCpu, NodeBuilder("SpaceToDepth", 13).attr_i("blocksize", 2).build(), {x}, 1);
  ASSERT_TRUE(y.has_value()) << y.status().to_string();
  ASSERT_EQ((*y)[0].shape(), (Shape{2, 12, 3, 19}));
  const float* out = (*y)[0].data<float>();
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t oc = 0; oc < 12; ++oc)
      for (int64_t h = 0; h < 3; ++h)
        for (int64_t w = 0; w < 19; ++w) {
          const int64_t by = oc / 6, bx = (oc / 3) % 2, c = oc % 3;  // DCR: oc = (by, bx, c)
          ASSERT_EQ(out[((n * 12 + oc) * 3 + h) * 19 + w],
                    xv[((n * 3 + c) * 6 + 2 * h + by) * 38 + 2 * w + bx]);
        }
  for (int64_t start : {0, 1}) {
    const Tensor starts = make_tensor<int64_t>(DType::kInt64, {1}, {start});
    const Tensor ends = make_tensor<int64_t>(DType::kInt64, {1}, {38});
    const Tensor axes = make_tensor<int64_t>(DType::kInt64, {1}, {3});
    const Tensor steps = make_tensor<int64_t>(DType::kInt64, {1}, {2});
    auto s = run_node(kernels::Backend::kCpu, NodeBuilder("Slice", 13).build(), {x, starts, ends, axes, steps}, 1);
    ASSERT_TRUE(s.has_value()) << s.status().to_string();
    ASSERT_EQ((*s)[0].shape(), (Shape{2, 3, 6, 19}));
    const float* sliced = (*s)[0].data<float>();
    for (int64_t r = 0; r < 36; ++r)
      for (int64_t w = 0; w < 19; ++w)
        ASSERT_EQ(sliced[r * 19 + w], xv[r * 38 + start + 2 * w]) << "start " << start;
  }
}

TEST(TransposeUkernel, TransposeOpMatchesNaiveLoop) {
  std::mt19937 rng(6);
  // NCHW <-> NHWC and a batched 2-D transpose with sides off the tiles, on 2 threads.
  const std::vector<std::pair<Shape, std::vector<int64_t>>> cases = {
      {{2, 48, 13, 11}, {0, 2, 3, 1}}, {{1, 37, 41, 19}, {0, 3, 1, 2}}, {{3, 70, 33}, {0, 2, 1}}, {{65, 9}, {1, 0}}};
  for (const auto& [shape, perm] : cases) {
    const Tensor x = random_tensor(DType::kFloat32, shape, rng);
    auto y = run_node(kernels::Backend::kCpu, NodeBuilder("Transpose", 13).attr_ints("perm", perm).build(), {x}, 1);
    ASSERT_TRUE(y.has_value()) << y.status().to_string();
    const Tensor& out = (*y)[0];
    std::vector<int64_t> xs(shape.size(), 1);
    for (size_t d = shape.size() - 1; d-- > 0;) xs[d] = xs[d + 1] * shape[d + 1];
    for (int64_t o = 0; o < out.size(); ++o) {
      int64_t rem = o, src = 0;
      for (size_t d = shape.size(); d-- > 0;) {
        const int64_t dim = shape[static_cast<size_t>(perm[d])];
        src += (rem % dim) * xs[static_cast<size_t>(perm[d])];
        rem /= dim;
      }
      ASSERT_EQ(out.data<float>()[o], x.data<float>()[src]) << shape_to_string(shape) << " at " << o;
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
