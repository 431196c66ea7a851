// Tensor-family kernels: CPU vs reference over swept shapes and dtypes, plus hand-computed cases.
#include <random>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using kernels::Backend;

Tensor i64(Shape s, std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, s, v); }
Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, s, v); }

const DType kTypes[] = {DType::kFloat32, DType::kInt64, DType::kUInt8, DType::kFloat16,
                        DType::kFloat64};

std::vector<float> as_floats(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.size());
}
std::vector<int64_t> as_ints(const Tensor& t) {
  return std::vector<int64_t>(t.data<int64_t>(), t.data<int64_t>() + t.size());
}

TEST(TensorOpsKernels, TransposeMatchesReference) {
  std::mt19937 rng(1);
  struct Case {
    Shape shape;
    std::vector<int64_t> perm;
  };
  const Case cases[] = {{{0, 3}, {1, 0}},          {{1}, {0}},
                        {{5, 17}, {1, 0}},         {{67, 129}, {1, 0}},
                        {{2, 3, 4, 5}, {0, 2, 3, 1}}, {{2, 3, 4, 5}, {0, 3, 1, 2}},
                        {{2, 3, 4, 5}, {3, 2, 1, 0}}, {{4, 33, 65}, {0, 2, 1}},
                        {{3, 1, 7}, {2, 0, 1}},    {{8, 64, 16, 9}, {0, 2, 1, 3}},
                        {{}, {}}};
  for (DType t : kTypes)
    for (const Case& c : cases) {
      SCOPED_TRACE(shape_to_string(c.shape));
      auto node = NodeBuilder("Transpose", 13).attr_ints("perm", c.perm).build();
      expect_matches_reference(node, {random_tensor(t, c.shape, rng, -50, 50)}, 1, 0, 0);
    }
  // Default perm reverses.
  auto node = NodeBuilder("Transpose", 1).build();
  expect_matches_reference(node, {random_tensor(DType::kFloat32, {3, 4, 5}, rng)}, 1, 0, 0);
}

TEST(TensorOpsKernels, TransposeHandValues) {
  auto node = NodeBuilder("Transpose", 13).attr_ints("perm", {1, 0}).build();
  auto out = run_node(Backend::kCpu, node, {f32({2, 3}, {1, 2, 3, 4, 5, 6})}, 1);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(as_floats((*out)[0]), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(TensorOpsKernels, TransposeStrings) {
  Tensor s = Tensor::allocate(DType::kString, {2, 2});
  const char* v[] = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; ++i) s.data<std::string>()[i] = v[i];
  auto node = NodeBuilder("Transpose", 13).build();
  auto out = run_node(Backend::kCpu, node, {s}, 1);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].data<std::string>()[1], "c");
  expect_matches_reference(node, {s}, 1, 0, 0);
}

TEST(TensorOpsKernels, SliceMatchesReference) {
  std::mt19937 rng(2);
  struct Case {
    Shape shape;
    std::vector<int64_t> starts, ends, axes, steps;
  };
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const Case cases[] = {
      {{10}, {2}, {8}, {0}, {1}},
      {{10}, {-1}, {-kMax}, {0}, {-1}},  // reverse
      {{10}, {8}, {1}, {0}, {-3}},
      {{5, 7}, {1, 0}, {kMax, -1}, {0, 1}, {1, 2}},
      {{5, 7}, {0}, {100}, {-1}, {1}},     // clamping
      {{5, 7}, {3}, {3}, {1}, {1}},        // empty
      {{0, 4}, {0}, {2}, {1}, {1}},        // 0-size input
      {{3, 4, 5, 6}, {1, -2}, {3, 1}, {1, -1}, {1, -1}},
      {{64, 1024}, {0, 1}, {64, 1000}, {0, 1}, {1, 1}},
      {{2, 3, 4}, {0, 0, 0}, {2, 3, 4}, {0, 1, 2}, {1, 1, 1}},
  };
  for (DType t : kTypes)
    for (const Case& c : cases) {
      SCOPED_TRACE(shape_to_string(c.shape));
      const int64_t n = static_cast<int64_t>(c.starts.size());
      auto node = NodeBuilder("Slice", 13).build();
      expect_matches_reference(node,
                               {random_tensor(t, c.shape, rng, -9, 9), i64({n}, c.starts),
                                i64({n}, c.ends), i64({n}, c.axes), i64({n}, c.steps)},
                               1, 0, 0);
    }
  // Opset 1 attributes, axes omitted.
  auto node = NodeBuilder("Slice", 1).attr_ints("starts", {1, 0}).attr_ints("ends", {3, -1}).build();
  expect_matches_reference(node, {random_tensor(DType::kFloat32, {4, 5}, rng)}, 1, 0, 0);
}

TEST(TensorOpsKernels, SliceHandValues) {
  auto node = NodeBuilder("Slice", 13).build();
  auto out = run_node(Backend::kCpu, node,
                      {f32({6}, {0, 1, 2, 3, 4, 5}), i64({1}, {-1}), i64({1}, {-7}),
                       i64({1}, {0}), i64({1}, {-2})},
                      1);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ(as_floats((*out)[0]), (std::vector<float>{5, 3, 1}));
  // Steps omitted, ends INT_MAX.
  out = run_node(Backend::kCpu, node,
                 {f32({2, 3}, {1, 2, 3, 4, 5, 6}), i64({1}, {1}), i64({1}, {2147483647}),
                  i64({1}, {1})},
                 1);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ(as_floats((*out)[0]), (std::vector<float>{2, 3, 5, 6}));
}

TEST(TensorOpsKernels, ExpandMatchesReference) {
  std::mt19937 rng(3);
  struct Case {
    Shape in;
    std::vector<int64_t> to;
  };
  const Case cases[] = {{{3, 1}, {2, 3, 4}}, {{1}, {5}},         {{}, {2, 2}},
                        {{4}, {3, 1}},       {{1, 5, 1}, {0, 5, 3}}, {{2, 1, 3}, {2, 300, 3}},
                        {{1, 1}, {64, 1100}}};
  for (DType t : kTypes)
    for (const Case& c : cases) {
      auto node = NodeBuilder("Expand", 13).build();
      expect_matches_reference(node,
                               {random_tensor(t, c.in, rng, -9, 9),
                                i64({static_cast<int64_t>(c.to.size())}, c.to)},
                               1, 0, 0);
    }
  auto out = run_node(Backend::kCpu, NodeBuilder("Expand", 8).build(),
                      {f32({2, 1}, {1, 2}), i64({2}, {2, 3})}, 1);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ(as_floats((*out)[0]), (std::vector<float>{1, 1, 1, 2, 2, 2}));
}

TEST(TensorOpsKernels, ConcatSplitMatchReference) {
  std::mt19937 rng(4);
  for (DType t : kTypes) {
    for (int64_t axis : {0, 1, -1}) {
      Shape a{3, 4, 5}, b{3, 4, 5};
      const int64_t ax = axis < 0 ? axis + 3 : axis;
      b[static_cast<size_t>(ax)] = 2;
      Shape z = a;
      z[static_cast<size_t>(ax)] = 0;
      auto node = NodeBuilder("Concat", 13).attr_i("axis", axis).build();
      expect_matches_reference(node,
                               {random_tensor(t, a, rng, -9, 9), random_tensor(t, b, rng, -9, 9),
                                random_tensor(t, z, rng)},
                               1, 0, 0);
      auto split = NodeBuilder("Split", 13).attr_i("axis", axis).build();
      expect_matches_reference(split,
                               {random_tensor(t, {6, 6, 6}, rng, -9, 9), i64({3}, {1, 0, 5})}, 3,
                               0, 0);
    }
  }
  // Equal split by attribute count (opset 11) and uneven num_outputs (opset 18).
  auto s11 = NodeBuilder("Split", 11).attr_i("axis", 1).build();
  expect_matches_reference(s11, {random_tensor(DType::kFloat32, {2, 6}, rng)}, 3, 0, 0);
  auto s18 = NodeBuilder("Split", 18).attr_i("num_outputs", 3).build();
  auto out = run_node(Backend::kCpu, s18, {f32({7}, {0, 1, 2, 3, 4, 5, 6})}, 3);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ(as_floats((*out)[0]), (std::vector<float>{0, 1, 2}));
  EXPECT_EQ(as_floats((*out)[2]), (std::vector<float>{6}));
  auto c = run_node(Backend::kCpu, NodeBuilder("Concat", 4).attr_i("axis", 0).build(),
                    {f32({2}, {1, 2}), f32({1}, {3})}, 1);
  ASSERT_TRUE(c.has_value()) << c.status().to_string();
  EXPECT_EQ(as_floats((*c)[0]), (std::vector<float>{1, 2, 3}));
}

// Concats large enough to be copied by both of the test pool's threads: the ranges they take cut
// through rows and inputs anywhere (a KV cache grown by one position, a batch stacked on axis 0,
// many short rows with an empty input between them).
TEST(TensorOpsKernels, ThreadedConcatMatchesReference) {
  std::mt19937 rng(8);
  struct Case {
    int64_t axis;
    std::vector<Shape> inputs;
  };
  const Case cases[] = {
      {2, {{1, 12, 128, 64}, {1, 12, 1, 64}}},
      {0, {{3, 40000}, {1, 40000}}},
      {-1, {{2000, 3}, {2000, 0}, {2000, 50}, {2000, 1}}},
  };
  for (DType t : {DType::kFloat32, DType::kInt64, DType::kUInt8, DType::kString}) {
    for (const Case& c : cases) {
      std::vector<Tensor> in;
      for (const Shape& sh : c.inputs) in.push_back(random_tensor(t, sh, rng, -9, 9));
      expect_matches_reference(NodeBuilder("Concat", 13).attr_i("axis", c.axis).build(), in, 1, 0, 0);
    }
  }
}

TEST(TensorOpsKernels, GatherMatchesReference) {
  std::mt19937 rng(5);
  for (DType t : kTypes)
    for (int64_t axis : {0, 1, -1}) {
      auto node = NodeBuilder("Gather", 13).attr_i("axis", axis).build();
      Tensor idx = make_tensor<int64_t>(DType::kInt64, {2, 3}, {0, -1, 2, 1, 1, -3});
      Tensor idx32 = make_tensor<int32_t>(DType::kInt32, {4}, {2, 0, -2, 1});
      expect_matches_reference(node, {random_tensor(t, {3, 3, 4}, rng, -9, 9), idx}, 1, 0, 0);
      expect_matches_reference(node, {random_tensor(t, {3, 3, 4}, rng, -9, 9), idx32}, 1, 0, 0);
      expect_matches_reference(node, {random_tensor(t, {3, 3, 3}, rng, -9, 9), i64({}, {-1})}, 1,
                               0, 0);
    }
  auto node = NodeBuilder("Gather", 13).attr_i("axis", 0).build();
  expect_matches_reference(node, {random_tensor(DType::kFloat32, {300, 512}, rng),
                                  random_tensor(DType::kInt64, {200}, rng, 0, 299)},
                           1, 0, 0);
}

TEST(TensorOpsKernels, GatherOutOfRangeIsAnError) {
  auto node = NodeBuilder("Gather", 13).attr_i("axis", 0).build();
  // Non-constant at inference time is impossible through run_node (inputs are known), so
  // inference reports it; the kernel checks too (tested through both backends' messages).
  auto out = run_node(Backend::kCpu, node, {f32({3}, {1, 2, 3}), i64({2}, {0, 3})}, 1);
  ASSERT_FALSE(out.has_value());
  EXPECT_NE(out.status().message().find("index 3"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("[-3, 2]"), std::string::npos) << out.status().message();
  auto ok = run_node(Backend::kCpu, node, {f32({3}, {1, 2, 3}), i64({2}, {-3, 2})}, 1);
  ASSERT_TRUE(ok.has_value()) << ok.status().to_string();
  EXPECT_EQ(as_floats((*ok)[0]), (std::vector<float>{1, 3}));
}

TEST(TensorOpsKernels, TileMatchesReference) {
  std::mt19937 rng(6);
  struct Case {
    Shape in;
    std::vector<int64_t> reps;
  };
  const Case cases[] = {{{3}, {2}}, {{2, 3}, {2, 3}}, {{2, 1, 3}, {1, 4, 2}}, {{2, 3}, {0, 2}},
                        {{1}, {1}}, {{4, 5}, {30, 40}}};
  for (DType t : kTypes)
    for (const Case& c : cases) {
      auto node = NodeBuilder("Tile", 13).build();
      expect_matches_reference(node,
                               {random_tensor(t, c.in, rng, -9, 9),
                                i64({static_cast<int64_t>(c.reps.size())}, c.reps)},
                               1, 0, 0);
    }
}

TEST(TensorOpsKernels, ReshapeFamilyCopies) {
  std::mt19937 rng(7);
  Tensor x = random_tensor(DType::kFloat32, {2, 3, 4}, rng);
  auto r = run_node(Backend::kCpu, NodeBuilder("Reshape", 14).build(), {x, i64({2}, {0, -1})}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 12}));
  EXPECT_TRUE(tensors_close((*r)[0].reshaped({2, 3, 4}), x, 0, 0));
  auto f = run_node(Backend::kCpu, NodeBuilder("Flatten", 13).attr_i("axis", -1).build(), {x}, 1);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ((*f)[0].shape(), (Shape{6, 4}));
  auto u = run_node(Backend::kCpu, NodeBuilder("Unsqueeze", 13).build(), {x, i64({2}, {0, -1})}, 1);
  ASSERT_TRUE(u.has_value()) << u.status().to_string();
  EXPECT_EQ((*u)[0].shape(), (Shape{1, 2, 3, 4, 1}));
  auto s = run_node(Backend::kCpu, NodeBuilder("Squeeze", 11).attr_ints("axes", {0, -1}).build(),
                    {(*u)[0]}, 1);
  ASSERT_TRUE(s.has_value()) << s.status().to_string();
  EXPECT_EQ((*s)[0].shape(), (Shape{2, 3, 4}));
  auto id = run_node(Backend::kCpu, NodeBuilder("Identity", 16).build(), {x}, 1);
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(tensors_close((*id)[0], x, 0, 0));
  auto bad = run_node(Backend::kCpu, NodeBuilder("Reshape", 14).build(), {x, i64({2}, {5, -1})}, 1);
  EXPECT_FALSE(bad.has_value());
}

TEST(TensorOpsKernels, ShapeSizeConstantRange) {
  Tensor x = Tensor::allocate(DType::kFloat32, {2, 3, 5});
  auto sh = run_node(Backend::kCpu, NodeBuilder("Shape", 15).attr_i("start", -2).build(), {x}, 1);
  ASSERT_TRUE(sh.has_value()) << sh.status().to_string();
  EXPECT_EQ(as_ints((*sh)[0]), (std::vector<int64_t>{3, 5}));
  auto sz = run_node(Backend::kCpu, NodeBuilder("Size", 13).build(), {x}, 1);
  ASSERT_TRUE(sz.has_value());
  EXPECT_EQ((*sz)[0].data<int64_t>()[0], 30);

  auto c = run_node(Backend::kCpu, NodeBuilder("Constant", 13).attr_ints("value_ints", {4, 5}).build(), {}, 1);
  ASSERT_TRUE(c.has_value()) << c.status().to_string();
  EXPECT_EQ(as_ints((*c)[0]), (std::vector<int64_t>{4, 5}));
  auto cf = run_node(Backend::kCpu, NodeBuilder("Constant", 13).attr_f("value_float", 2.5f).build(), {}, 1);
  ASSERT_TRUE(cf.has_value());
  EXPECT_EQ((*cf)[0].rank(), 0);
  EXPECT_EQ((*cf)[0].data<float>()[0], 2.5f);
  auto ct = run_node(Backend::kCpu,
                     NodeBuilder("Constant", 1).attr_t("value", f32({2}, {7, 8})).build(), {}, 1);
  ASSERT_TRUE(ct.has_value()) << ct.status().to_string();
  EXPECT_EQ(as_floats((*ct)[0]), (std::vector<float>{7, 8}));
  auto cs = run_node(Backend::kCpu,
                     NodeBuilder("Constant", 13).attr_strings("value_strings", {"x", "yz"}).build(), {}, 1);
  ASSERT_TRUE(cs.has_value()) << cs.status().to_string();
  EXPECT_EQ((*cs)[0].data<std::string>()[1], "yz");

  auto cos = run_node(Backend::kCpu, NodeBuilder("ConstantOfShape", 9).build(), {i64({2}, {2, 2})}, 1);
  ASSERT_TRUE(cos.has_value()) << cos.status().to_string();
  EXPECT_EQ((*cos)[0].dtype(), DType::kFloat32);
  EXPECT_EQ(as_floats((*cos)[0]), (std::vector<float>{0, 0, 0, 0}));
  auto cos2 = run_node(Backend::kCpu,
                       NodeBuilder("ConstantOfShape", 20).attr_t("value", i64({1}, {7})).build(),
                       {i64({1}, {3})}, 1);
  ASSERT_TRUE(cos2.has_value()) << cos2.status().to_string();
  EXPECT_EQ(as_ints((*cos2)[0]), (std::vector<int64_t>{7, 7, 7}));

  auto rg = run_node(Backend::kCpu, NodeBuilder("Range", 11).build(),
                     {i64({}, {10}), i64({}, {1}), i64({}, {-3})}, 1);
  ASSERT_TRUE(rg.has_value()) << rg.status().to_string();
  EXPECT_EQ(as_ints((*rg)[0]), (std::vector<int64_t>{10, 7, 4}));
  auto rf = run_node(Backend::kCpu, NodeBuilder("Range", 11).build(),
                     {f32({}, {0}), f32({}, {1}), f32({}, {0.25f})}, 1);
  ASSERT_TRUE(rf.has_value()) << rf.status().to_string();
  EXPECT_EQ(as_floats((*rf)[0]), (std::vector<float>{0, 0.25f, 0.5f, 0.75f}));
}

}  // namespace
}  // namespace onnxrt::testing
