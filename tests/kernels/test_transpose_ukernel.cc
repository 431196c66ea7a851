// The 2-D transpose ukernels of 32-bit elements (ukernels/elementwise/transpose.h) against the
// definition, on every shape around the 8x8 blocks, with strides past the tile and guard values
// around the destination; and Transpose through them against a naive loop.
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
