// Reduce-family CPU kernels vs the reference kernels (kernels/reference/reduce*.cc), swept over
// shapes (0-size, 1, odd tails, threaded sizes), axes (negative, all, none) and element types,
// plus pinned values from the ONNX spec examples and by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }
Tensor i64(Shape s, std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, std::move(s), v); }

const char* kReduceOps[] = {"ReduceSum",  "ReduceMean",   "ReduceMax",       "ReduceMin",
                            "ReduceProd", "ReduceL1",     "ReduceL2",        "ReduceLogSum",
                            "ReduceLogSumExp", "ReduceSumSquare"};

int input_since(const std::string& op) { return op == "ReduceSum" ? 13 : 18; }

// Runs one reduce node (axes as attribute when opset is old, as input otherwise) on both backends.
void check_reduce(const std::string& op, int opset, const Tensor& x, const std::vector<int64_t>* axes,
                  bool keep, double atol, double rtol, bool noop = false) {
  NodeBuilder b(op, opset);
  b.attr_i("keepdims", keep ? 1 : 0);
  std::vector<Tensor> in{x};
  if (opset < input_since(op)) {
    if (axes) b.attr_ints("axes", *axes);
  } else {
    if (noop) b.attr_i("noop_with_empty_axes", 1);
    if (axes) in.push_back(i64({static_cast<int64_t>(axes->size())}, *axes));
  }
  expect_matches_reference(b.build(), in, 1, atol, rtol);
}

std::vector<std::vector<int64_t>> axes_for(int64_t r) {
  std::vector<std::vector<int64_t>> v;
  for (int64_t a = 0; a < r; ++a) v.push_back({a - (a % 2 ? r : 0)});  // odd axes negative
  if (r >= 2) v.push_back({-1, -2});
  if (r >= 3) v.push_back({0, 2});
  if (r >= 4) v.push_back({2, 3});
  return v;
}

TEST(ReduceOps, Float32MatchesReference) {
  std::mt19937 rng(31);
  const Shape shapes[] = {{0, 3}, {1}, {5, 17}, {2, 3, 4}, {3, 1, 70}, {2, 0, 4}, {2, 3, 7, 7}, {2, 300, 33}, {}};
  for (const char* op : kReduceOps) {
    const bool positive = std::string(op) == "ReduceLogSum" || std::string(op) == "ReduceProd";
    for (const Shape& s : shapes) {
      const Tensor x = random_tensor(DType::kFloat32, s, rng, positive ? 0.5 : -2.0, positive ? 1.5 : 2.0);
      const int64_t r = static_cast<int64_t>(s.size());
      for (int opset : {11, 18}) {
        for (bool keep : {true, false}) {
          SCOPED_TRACE(std::string(op) + " opset " + std::to_string(opset) + " " + shape_to_string(s) +
                       (keep ? " keep" : ""));
          // Prod over hundreds of values drifts in float32 vs double: relative tolerance.
          check_reduce(op, opset, x, nullptr, keep, 1e-5, 1e-4);
          for (const auto& ax : axes_for(r)) check_reduce(op, opset, x, &ax, keep, 1e-5, 1e-4);
        }
      }
      if (r > 0) {
        // noop_with_empty_axes: an empty axes input reduces nothing (SumSquare still squares).
        const std::vector<int64_t> none;
        check_reduce(op, 18, x, &none, true, 1e-6, 1e-5, true);
        check_reduce(op, 18, x, nullptr, false, 1e-6, 1e-5, true);
        check_reduce(op, 18, x, &none, false, 1e-5, 1e-4, false);  // empty, no noop: all axes
      }
    }
  }
}

TEST(ReduceOps, LargeShapesUseThreadedAndBlockedPaths) {
  std::mt19937 rng(32);
  // Global pooling (NCHW over H,W), last-axis rows, leading-axis columns, one long row.
  struct C { Shape s; std::vector<int64_t> axes; };
  const C cases[] = {{{8, 64, 14, 14}, {2, 3}}, {{512, 769}, {-1}}, {{1000, 67}, {0}},
                     {{3, 400, 130}, {1}},      {{1 << 19}, {0}},   {{4, 8, 16, 9}, {0, 2}}};
  for (const C& c : cases) {
    const Tensor x = random_tensor(DType::kFloat32, c.s, rng, -1, 1);
    for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL2", "ReduceLogSumExp"}) {
      SCOPED_TRACE(std::string(op) + " " + shape_to_string(c.s));
      check_reduce(op, 18, x, &c.axes, true, 1e-4, 1e-4);
    }
  }
}

// Short kept rows (the channel-blocked layout reduced over H and W): the register fold of runs of
// 1, 2, 4 and 8 vectors (cols) over row counts below, at and past its 4-run steps and 128-run
// blocks, back to back or through an offset table (a reduced axis between kept ones); the
// super-row fold of other widths; NaN in Max/Min in the first, a middle and the last element.
TEST(ReduceOps, ShortRowsBackToBack) {
  std::mt19937 rng(33);
  struct C { Shape s; std::vector<int64_t> axes; };
  const C cases[] = {{{1, 3, 56, 56, 8}, {2, 3}}, {{2, 5, 7, 7, 8}, {2, 3}}, {{1, 2, 301, 16}, {2}},
                     {{3, 1000, 1}, {1}},          {{2, 257, 64}, {1}},         {{1, 4, 9, 11, 3}, {2, 3}},
                     {{2, 3, 8}, {1}},             {{1, 2, 128, 8}, {2}},       {{1, 2, 129, 32}, {2}},
                     {{2, 6, 5, 4, 8}, {1, 3}},    {{3, 7, 2, 16}, {0, 2}},     {{1, 1, 8}, {1}}};
  for (const C& c : cases) {
    Tensor x = random_tensor(DType::kFloat32, c.s, rng, -1, 1);
    for (int64_t i : {int64_t{0}, x.size() / 2, x.size() - 1}) x.data<float>()[i] = std::numeric_limits<float>::quiet_NaN();
    for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceSumSquare"}) {
      SCOPED_TRACE(std::string(op) + " " + shape_to_string(c.s));
      check_reduce(op, 18, x, &c.axes, true, 1e-4, 1e-4);
    }
  }
}

TEST(ReduceOps, OtherTypesMatchReference) {
  std::mt19937 rng(33);
  const DType types[] = {DType::kFloat64, DType::kFloat16, DType::kBFloat16, DType::kInt32,
                         DType::kInt64,   DType::kInt8,    DType::kUInt8,    DType::kUInt32};
  const Shape shapes[] = {{2, 3, 4}, {0, 3}, {3, 1, 20}, {2, 0, 4}};
  for (DType t : types) {
    const bool is_float = t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
    const double tol = t == DType::kFloat64 ? 1e-12 : t == DType::kFloat16 ? 2e-3 : 1e-2;
    for (const Shape& s : shapes) {
      const Tensor x = random_tensor(t, s, rng, is_float ? 0.8 : 0, is_float ? 1.2 : 2);
      for (const char* op : kReduceOps) {
        if (!is_float && std::string(op) == "ReduceLogSumExp") continue;
        for (const auto& ax : axes_for(static_cast<int64_t>(s.size()))) {
          SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(t)) + " " + shape_to_string(s));
          check_reduce(op, 18, x, &ax, true, tol, tol);
        }
      }
    }
  }
  // Bool for Max/Min (False < True).
  const Tensor b = random_tensor(DType::kBool, {4, 5, 3}, rng);
  for (const char* op : {"ReduceMax", "ReduceMin"})
    for (const auto& ax : axes_for(3)) check_reduce(op, 20, b, &ax, false, 0, 0);
}

TEST(ReduceOps, PinnedValues) {
  auto run = [](const ir::Node& n, std::vector<Tensor> in) {
    auto r = run_node(kernels::Backend::kCpu, n, in, 1);
    EXPECT_TRUE(r.has_value()) << r.status().to_string();
    return r.has_value() ? (*r)[0] : Tensor();
  };
  const Tensor x = f32({3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  // Spec example: ReduceSum axes [1] keepdims 1 -> [[[4, 6]], [[12, 14]], [[20, 22]]].
  EXPECT_TRUE(tensors_close(run(NodeBuilder("ReduceSum", 13).build(), {x, i64({1}, {1})}),
                            f32({3, 1, 2}, {4, 6, 12, 14, 20, 22}), 0, 0));
  // ReduceMean over H,W of NCHW (AdaptiveAvgPool2d(1)): per-channel means.
  EXPECT_TRUE(tensors_close(run(NodeBuilder("ReduceMean", 18).build(), {x.reshaped({1, 3, 2, 2}), i64({2}, {2, 3})}),
                            f32({1, 3, 1, 1}, {2.5f, 6.5f, 10.5f}), 1e-6, 0));
  // Empty reductions give the identity: Sum 0, Max -inf, Min +inf, Prod 1, LogSumExp -inf.
  const Tensor e = Tensor::allocate(DType::kFloat32, {2, 0, 4});
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(tensors_close(run(NodeBuilder("ReduceMax", 18).build(), {e, i64({1}, {1})}),
                            f32({2, 1, 4}, std::vector<float>(8, -inf)), 0, 0));
  EXPECT_TRUE(tensors_close(run(NodeBuilder("ReduceMin", 18).build(), {e, i64({1}, {1})}),
                            f32({2, 1, 4}, std::vector<float>(8, inf)), 0, 0));
  EXPECT_TRUE(tensors_close(run(NodeBuilder("ReduceProd", 18).build(), {e, i64({1}, {1})}),
                            f32({2, 1, 4}, std::vector<float>(8, 1)), 0, 0));
  EXPECT_TRUE(tensors_close(run(NodeBuilder("ReduceLogSumExp", 18).build(), {e, i64({1}, {1})}),
                            f32({2, 1, 4}, std::vector<float>(8, -inf)), 0, 0));
  EXPECT_TRUE(tensors_close(run(NodeBuilder("ReduceSum", 13).attr_i("keepdims", 0).build(), {e, i64({1}, {1})}),
                            f32({2, 4}, std::vector<float>(8, 0)), 0, 0));
  // noop_with_empty_axes on SumSquare squares each element.
  EXPECT_TRUE(tensors_close(run(NodeBuilder("ReduceSumSquare", 18).attr_i("noop_with_empty_axes", 1).build(),
                                {f32({2}, {-3, 2})}),
                            f32({2}, {9, 4}), 0, 0));
  // LogSumExp is shifted by the max, so large values do not overflow.
  EXPECT_TRUE(tensors_close(run(NodeBuilder("ReduceLogSumExp", 18).attr_i("keepdims", 0).build(),
                                {f32({2}, {1000, 1000})}),
                            f32({}, {1000.0f + std::log(2.0f)}), 1e-3, 0));
  // NaN propagates through Max, also on the vectorized column path.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor xn = f32({2, 20}, std::vector<float>(40, 1.0f));
  xn.data<float>()[25] = nan;
  Tensor m = run(NodeBuilder("ReduceMax", 18).attr_i("keepdims", 0).build(), {xn, i64({1}, {0})});
  for (int j = 0; j < 20; ++j) EXPECT_EQ(std::isnan(m.data<float>()[j]), j == 5) << j;
  m = run(NodeBuilder("ReduceMax", 18).attr_i("keepdims", 0).build(), {xn, i64({1}, {1})});
  EXPECT_TRUE(std::isnan(m.data<float>()[1]));
  EXPECT_EQ(m.data<float>()[0], 1.0f);
  // Bad axes are errors, not crashes.
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, NodeBuilder("ReduceSum", 13).build(), {x, i64({1}, {3})}, 1).has_value());
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, NodeBuilder("ReduceSum", 13).build(), {x, i64({2}, {1, -2})}, 1).has_value());
}

TEST(ReduceOps, Float32SumIsAccurate) {
  // 2^22 copies of 0.1f: a single running float sum is off by ~1e-2 relative; pairwise stays
  // within a few ulps of the double result.
  const int64_t n = 1 << 22;
  Tensor x = Tensor::allocate(DType::kFloat32, {n});
  for (int64_t i = 0; i < n; ++i) x.data<float>()[i] = 0.1f;
  auto r = run_node(kernels::Backend::kCpu, NodeBuilder("ReduceSum", 13).attr_i("keepdims", 0).build(), {x}, 1);
  ASSERT_TRUE(r.has_value());
  const double want = static_cast<double>(0.1f) * n;
  EXPECT_NEAR((*r)[0].data<float>()[0], want, want * 1e-6);
  // Columns (reduce over the leading axis): blocked summation.
  Tensor c = Tensor::allocate(DType::kFloat32, {1 << 16, 16});
  for (int64_t i = 0; i < c.size(); ++i) c.data<float>()[i] = 0.1f;
  r = run_node(kernels::Backend::kCpu, NodeBuilder("ReduceSum", 13).attr_i("keepdims", 0).build(), {c, i64({1}, {0})}, 1);
  ASSERT_TRUE(r.has_value());
  const double wc = static_cast<double>(0.1f) * (1 << 16);
  for (int j = 0; j < 16; ++j) EXPECT_NEAR((*r)[0].data<float>()[j], wc, wc * 1e-5);
}

// ---- ArgMax / ArgMin

TEST(ReduceArg, MatchesReference) {
  std::mt19937 rng(34);
  const Shape shapes[] = {{1}, {5, 17}, {2, 3, 4}, {3, 1, 70}, {0, 4}, {2, 300, 9}, {64, 513}};
  for (const char* op : {"ArgMax", "ArgMin"})
    for (DType t : {DType::kFloat32, DType::kInt32, DType::kFloat16, DType::kUInt8, DType::kFloat64})
      for (const Shape& s : shapes) {
        // Integers in [0, 3] make many ties, exercising select_last_index.
        const Tensor x = random_tensor(t, s, rng, 0, t == DType::kFloat32 ? 1 : 3);
        const int64_t r = static_cast<int64_t>(s.size());
        for (int64_t axis = -r; axis < r; ++axis)
          for (int last : {0, 1})
            for (int keep : {0, 1}) {
              if (s[static_cast<size_t>(axis < 0 ? axis + r : axis)] == 0) continue;
              SCOPED_TRACE(std::string(op) + " " + shape_to_string(s) + " axis " + std::to_string(axis));
              auto node = NodeBuilder(op, 13).attr_i("axis", axis).attr_i("keepdims", keep).attr_i("select_last_index", last).build();
              expect_matches_reference(node, {x}, 1, 0, 0);
            }
      }
}

// float32 rows of whole numbers in [0, 3]: many ties of the extreme, at every offset within a
// group of four and in the tail, for the vectorized first / last index search.
TEST(ReduceArg, FloatTiesEveryOffset) {
  std::mt19937 rng(36);
  std::uniform_int_distribution<int> d(0, 3);
  for (int64_t n : {16, 17, 18, 19, 23, 40, 81, 1000}) {
    std::vector<float> v(static_cast<size_t>(6 * n));
    for (float& e : v) e = static_cast<float>(d(rng));
    // Row 5: a single extreme in the last value.
    for (int64_t i = 5 * n; i < 6 * n; ++i) v[static_cast<size_t>(i)] = 1.0f;
    v[static_cast<size_t>(6 * n - 1)] = 7.0f;
    v[static_cast<size_t>(5 * n)] = -1.0f;
    const Tensor x = f32({6, n}, v);
    for (const char* op : {"ArgMax", "ArgMin"})
      for (int last : {0, 1}) {
        SCOPED_TRACE(std::string(op) + " n " + std::to_string(n) + " last " + std::to_string(last));
        expect_matches_reference(NodeBuilder(op, 13).attr_i("axis", 1).attr_i("select_last_index", last).build(), {x},
                                 1, 0, 0);
      }
  }
}

// float32 along a non-last axis (the branch-free column path, in chunks of 1024 columns): whole
// numbers in [0, 3] for ties, NaNs in some columns (first NaN, or last with select_last_index,
// as numpy), a column that starts with NaN, and +-inf.
TEST(ReduceArg, FloatColumnsWithTiesAndNaN) {
  std::mt19937 rng(37);
  std::uniform_int_distribution<int> d(0, 3);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (const Shape& s : {Shape{2, 7, 1030}, Shape{1, 33, 5, 9}}) {
    std::vector<float> v(static_cast<size_t>(shape_size(s)));
    for (float& e : v) e = static_cast<float>(d(rng));
    for (size_t i = 0; i < v.size(); i += 13) v[i] = nan;
    for (size_t i = 5; i < v.size(); i += 29) v[i] = -inf;
    for (size_t i = 7; i < v.size(); i += 31) v[i] = inf;
    const Tensor x = f32(s, v);
    for (const char* op : {"ArgMax", "ArgMin"})
      for (int last : {0, 1}) {
        SCOPED_TRACE(std::string(op) + " " + shape_to_string(s) + " last " + std::to_string(last));
        expect_matches_reference(NodeBuilder(op, 13).attr_i("axis", 1).attr_i("select_last_index", last).build(), {x},
                                 1, 0, 0);
      }
  }
}

TEST(ReduceArg, PinnedValues) {
  const Tensor x = f32({2, 2}, {2, 2, 3, 10});
  auto r = run_node(kernels::Backend::kCpu, NodeBuilder("ArgMax", 13).attr_i("axis", 1).build(), {x}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(tensors_close((*r)[0], i64({2, 1}, {0, 1}), 0, 0));
  r = run_node(kernels::Backend::kCpu, NodeBuilder("ArgMax", 13).attr_i("axis", 1).attr_i("select_last_index", 1).build(), {x}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(tensors_close((*r)[0], i64({2, 1}, {1, 1}), 0, 0));
  r = run_node(kernels::Backend::kCpu, NodeBuilder("ArgMin", 11).attr_i("keepdims", 0).build(), {x}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(tensors_close((*r)[0], i64({2}, {0, 0}), 0, 0));
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, NodeBuilder("ArgMax", 13).attr_i("axis", 2).build(), {x}, 1).has_value());
  // Rows long enough for the two-pass path (>= 16): a NaN is the extreme (first NaN, or last with
  // select_last_index), and -0 ties +0 (first or last of the two).
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> v(40, 1.0f);
  v[5] = nan, v[15] = nan, v[7] = 9.0f;  // row 0
  v[20 + 3] = -0.0f, v[20 + 17] = 0.0f;   // row 1: all ones except the two zeros
  for (int i = 20; i < 40; ++i) v[static_cast<size_t>(i)] = (i == 23 || i == 37) ? v[static_cast<size_t>(i)] : 2.0f;
  const Tensor rows = f32({2, 20}, v);
  auto arg = [&](const char* op, int last) {
    auto out = run_node(kernels::Backend::kCpu, NodeBuilder(op, 13).attr_i("axis", 1).attr_i("keepdims", 0)
                                                    .attr_i("select_last_index", last).build(), {rows}, 1);
    EXPECT_TRUE(out.has_value());
    return std::vector<int64_t>((*out)[0].data<int64_t>(), (*out)[0].data<int64_t>() + 2);
  };
  EXPECT_EQ(arg("ArgMax", 0), (std::vector<int64_t>{5, 0}));
  EXPECT_EQ(arg("ArgMax", 1), (std::vector<int64_t>{15, 19}));
  EXPECT_EQ(arg("ArgMin", 0), (std::vector<int64_t>{5, 3}));
  EXPECT_EQ(arg("ArgMin", 1), (std::vector<int64_t>{15, 17}));
}

// ---- TopK

TEST(ReduceTopK, MatchesReference) {
  std::mt19937 rng(35);
  const Shape shapes[] = {{1}, {5, 17}, {2, 3, 4}, {3, 1, 70}, {0, 4}, {4, 300}};
  for (DType t : {DType::kFloat32, DType::kInt64, DType::kFloat64, DType::kUInt64, DType::kFloat16})
    for (const Shape& s : shapes) {
      const Tensor x = random_tensor(t, s, rng, 0, t == DType::kFloat32 ? 1 : 5);
      const int64_t r = static_cast<int64_t>(s.size());
      for (int64_t axis = -r; axis < r; ++axis) {
        const int64_t n = s[static_cast<size_t>(axis < 0 ? axis + r : axis)];
        // k = 1, 3 and n / 10 take the heap selection once n >= 8 k; n / 2 nth_element.
        for (int64_t k : {int64_t{0}, int64_t{1}, int64_t{3}, n / 10, n / 2, n}) {
          if (k > n) continue;
          for (int largest : {0, 1}) {
            SCOPED_TRACE(shape_to_string(s) + " axis " + std::to_string(axis) + " k " + std::to_string(k));
            auto node = NodeBuilder("TopK", 11).attr_i("axis", axis).attr_i("largest", largest).build();
            expect_matches_reference(node, {x, i64({1}, {k})}, 2, 0, 0);
            auto old = NodeBuilder("TopK", 1).attr_i("axis", axis).attr_i("k", k).build();
            expect_matches_reference(old, {x}, 2, 0, 0);
          }
        }
      }
    }
}

TEST(ReduceTopK, NaNLinesAndTiesOnBothSelections) {
  // Lines with NaN (ranked above every number) fall back to the full sort from either selection;
  // many equal values make the index order of ties decide.
  std::mt19937 rng(39);
  Tensor x = random_tensor(DType::kFloat32, {6, 400}, rng, 0, 3);
  float* d = x.data<float>();
  for (int64_t i = 0; i < x.size(); ++i) d[i] = std::floor(d[i] * 4.f) / 4.f;  // 12 distinct values
  d[5] = std::nanf("");           // line 0, early
  d[2 * 400 + 399] = std::nanf("");  // line 2, last
  for (int64_t k : {int64_t{1}, int64_t{7}, int64_t{40}, int64_t{200}})
    for (int largest : {0, 1}) {
      SCOPED_TRACE("k " + std::to_string(k) + " largest " + std::to_string(largest));
      expect_matches_reference(NodeBuilder("TopK", 11).attr_i("largest", largest).build(), {x, i64({1}, {k})}, 2, 0, 0);
    }
}

TEST(ReduceTopK, PinnedValues) {
  // Spec example: k = 3 over rows of 0..11.
  std::vector<float> v(12);
  for (int i = 0; i < 12; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  auto r = run_node(kernels::Backend::kCpu, NodeBuilder("TopK", 11).build(), {f32({3, 4}, v), i64({1}, {3})}, 2);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({3, 3}, {3, 2, 1, 7, 6, 5, 11, 10, 9}), 0, 0));
  EXPECT_TRUE(tensors_close((*r)[1], i64({3, 3}, {3, 2, 1, 3, 2, 1, 3, 2, 1}), 0, 0));
  // Ties: lower index first, for largest and smallest.
  r = run_node(kernels::Backend::kCpu, NodeBuilder("TopK", 11).build(), {i64({5}, {1, 3, 3, 1, 3}), i64({1}, {4})}, 2);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(tensors_close((*r)[1], i64({4}, {1, 2, 4, 0}), 0, 0));
  r = run_node(kernels::Backend::kCpu, NodeBuilder("TopK", 11).attr_i("largest", 0).build(), {i64({5}, {1, 3, 3, 1, 3}), i64({1}, {3})}, 2);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(tensors_close((*r)[1], i64({3}, {0, 3, 1}), 0, 0));
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, NodeBuilder("TopK", 11).build(), {f32({3, 4}, v), i64({1}, {5})}, 2).has_value());
}

// ---- CumSum / CumProd

TEST(ReduceCum, MatchesReference) {
  std::mt19937 rng(36);
  const Shape shapes[] = {{1}, {5, 17}, {2, 3, 4}, {3, 1, 70}, {0, 4}, {16, 300, 8}};
  for (const char* op : {"CumSum", "CumProd"})
    for (DType t : {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kFloat16})
      for (const Shape& s : shapes) {
        const bool prod = std::string(op) == "CumProd";
        const Tensor x = random_tensor(t, s, rng, prod ? 0.9 : -2, prod ? 1.1 : 2);
        const int64_t r = static_cast<int64_t>(s.size());
        for (int64_t axis = -r; axis < r; ++axis)
          for (int ex : {0, 1})
            for (int rev : {0, 1}) {
              SCOPED_TRACE(std::string(op) + " " + shape_to_string(s) + " axis " + std::to_string(axis));
              auto node = NodeBuilder(op, prod ? 26 : 14).attr_i("exclusive", ex).attr_i("reverse", rev).build();
              const double tol = t == DType::kFloat16 ? 1e-2 : 1e-4;
              expect_matches_reference(node, {x, i64({}, {axis})}, 1, tol, tol);
            }
      }
}

TEST(ReduceCum, PinnedValues) {
  const Tensor x = f32({3}, {1, 2, 3});
  auto cs = [&](const char* op, int ex, int rev) {
    auto r = run_node(kernels::Backend::kCpu,
                      NodeBuilder(op, std::string(op) == "CumSum" ? 14 : 26).attr_i("exclusive", ex).attr_i("reverse", rev).build(),
                      {x, make_tensor<int32_t>(DType::kInt32, {}, {0})}, 1);
    EXPECT_TRUE(r.has_value()) << r.status().to_string();
    return (*r)[0];
  };
  // The spec's examples.
  EXPECT_TRUE(tensors_close(cs("CumSum", 0, 0), f32({3}, {1, 3, 6}), 0, 0));
  EXPECT_TRUE(tensors_close(cs("CumSum", 1, 0), f32({3}, {0, 1, 3}), 0, 0));
  EXPECT_TRUE(tensors_close(cs("CumSum", 0, 1), f32({3}, {6, 5, 3}), 0, 0));
  EXPECT_TRUE(tensors_close(cs("CumSum", 1, 1), f32({3}, {5, 3, 0}), 0, 0));
  EXPECT_TRUE(tensors_close(cs("CumProd", 0, 0), f32({3}, {1, 2, 6}), 0, 0));
  EXPECT_TRUE(tensors_close(cs("CumProd", 1, 0), f32({3}, {1, 1, 2}), 0, 0));
  EXPECT_TRUE(tensors_close(cs("CumProd", 0, 1), f32({3}, {6, 6, 3}), 0, 0));
  EXPECT_TRUE(tensors_close(cs("CumProd", 1, 1), f32({3}, {6, 3, 1}), 0, 0));
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, NodeBuilder("CumSum", 14).build(), {x, i64({}, {1})}, 1).has_value());
}

}  // namespace
}  // namespace onnxrt::testing
