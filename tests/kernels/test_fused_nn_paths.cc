// The vectorized nn paths that the performance work added outside the fused ops: 2-D MaxPool
// without Indices (ukernels/nn maxpool2d) over strides 1-3, dilations, pads, ceil_mode and rows
// wide enough for full vectors and tails, and 3-D MaxPool (depth slices maxed, then the 2-D
// kernel), against the reference kernel; NaN handling pinned.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

struct PoolCase {
  Shape x;
  std::vector<int64_t> k, s, d, pads;
  int ceil;
};

// MaxPool (no Indices) of each case on random data, CPU against the reference.
template <size_t N>
void expect_max_pools_match(const PoolCase (&cases)[N], std::mt19937& rng) {
  for (const PoolCase& c : cases) {
    auto node = NodeBuilder("MaxPool", 12).attr_ints("kernel_shape", c.k).attr_ints("strides", c.s)
                    .attr_ints("dilations", c.d).attr_ints("pads", c.pads).attr_i("ceil_mode", c.ceil).build();
    SCOPED_TRACE("x " + shape_to_string(c.x));
    expect_matches_reference(node, {random_tensor(DType::kFloat32, c.x, rng)}, 1, 0, 0);
  }
}

TEST(FusedNnPaths, MaxPool2dMatchesReference) {
  std::mt19937 rng(43);
  const PoolCase cases[] = {
      {{1, 2, 9, 40}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, 0},
      {{2, 3, 17, 35}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 0},
      {{1, 2, 11, 50}, {2, 3}, {3, 3}, {1, 2}, {0, 2, 1, 0}, 1},
      {{1, 1, 8, 33}, {3, 2}, {2, 2}, {2, 2}, {2, 1, 2, 1}, 1},
      {{1, 4, 5, 5}, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}, 0},
      {{1, 1, 2, 70}, {1, 4}, {1, 4}, {1, 1}, {0, 0, 0, 0}, 0},
      {{0, 2, 5, 5}, {2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}, 0},
  };
  expect_max_pools_match(cases, rng);
}

TEST(FusedNnPaths, MaxPool2dNaNFollowsReference) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> v(2 * 40);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 7);
  v[3] = nan;   // a NaN inside windows
  v[40] = nan;  // a NaN as the first tap of a window
  auto node = NodeBuilder("MaxPool", 12).attr_ints("kernel_shape", {2, 2}).attr_ints("strides", {1, 1}).build();
  expect_matches_reference(node, {make_tensor<float>(DType::kFloat32, {1, 1, 2, 40}, v)}, 1, 0, 0);
}

TEST(FusedNnPaths, MaxPool3dMatchesReference) {
  std::mt19937 rng(44);
  const PoolCase cases[] = {
      {{1, 3, 8, 28, 28}, {2, 2, 2}, {2, 2, 2}, {1, 1, 1}, {0, 0, 0, 0, 0, 0}, 0},
      {{2, 2, 5, 9, 20}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1, 1, 1, 1}, 0},
      {{1, 2, 7, 11, 17}, {1, 2, 2}, {1, 2, 2}, {1, 1, 1}, {0, 0, 0, 0, 0, 0}, 1},
      {{1, 1, 9, 8, 33}, {3, 2, 3}, {2, 1, 2}, {2, 1, 2}, {2, 0, 1, 2, 1, 1}, 1},
      {{1, 2, 3, 5, 5}, {5, 3, 3}, {1, 1, 1}, {1, 1, 1}, {2, 1, 1, 2, 1, 1}, 0},  // depth windows in the padding
      {{1, 2, 4, 1, 1}, {2, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0, 0, 0, 0}, 0},
  };
  expect_max_pools_match(cases, rng);
  // A NaN that is not a window's first tap but the first of its column's depth slices: the
  // slice-max shortcut would drop the numbers behind it, so such planes take the tap loop.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> v(2 * 3 * 3 * 10);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 5) % 11);
  v[1] = nan;         // (d0, h0, w1): the window at w0 counts the 100 behind it at d1
  v[30 + 1] = 100.0f;
  v[90 + 31] = nan;
  auto node = NodeBuilder("MaxPool", 12).attr_ints("kernel_shape", {2, 2, 2}).attr_ints("strides", {1, 1, 1}).build();
  expect_matches_reference(node, {make_tensor<float>(DType::kFloat32, {1, 2, 3, 3, 10}, v)}, 1, 0, 0);
}

}  // namespace
}  // namespace onnxrt::testing
