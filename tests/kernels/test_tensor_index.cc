// Tensor-family kernels added after the shape ops: Pad, CenterCropPad, GatherElements (and its
// index errors), GatherND, ScatterND, ScatterElements, Scatter, DepthToSpace, SpaceToDepth (CPU vs
// reference over swept shapes and dtypes) and pinned values computed with numpy / the ONNX
// reference.
#include <random>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using kernels::Backend;

Tensor i64(Shape s, std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, s, v); }
Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, s, v); }
std::vector<float> floats(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.size()}; }

const DType kTypes[] = {DType::kFloat32, DType::kInt64, DType::kUInt8, DType::kFloat16,
                        DType::kFloat64, DType::kBool};

std::vector<float> run1(const ir::Node& n, const std::vector<Tensor>& in) {
  auto out = run_node(Backend::kCpu, n, in, 1);
  EXPECT_TRUE(out.has_value()) << out.status().to_string();
  if (!out.has_value()) return {};
  return floats((*out)[0]);
}

TEST(TensorIndexKernels, PadMatchesReference) {
  std::mt19937 rng(11);
  struct Case {
    Shape shape;
    std::vector<int64_t> pads;
  };
  const Case cases[] = {{{5}, {2, 3}},          {{5}, {7, 9}},  // pads beyond the dim: repeat
                        {{1}, {2, 2}},          {{3, 4}, {1, 0, 2, 3}},
                        {{3, 4}, {-1, 1, 0, -2}},  // crop one side, pad the other
                        {{2, 3, 17}, {0, 1, 2, 1, 0, 5}},
                        {{64, 300}, {3, 4, 5, 6}},  // large enough to thread
                        // 4-D, threaded: ranges start mid-way through the outer axes' odometer
                        {{4, 9, 60, 50}, {1, 0, 2, 1, 0, 1, 3, 2}}};
  for (const char* mode : {"constant", "edge", "reflect", "wrap"})
    for (DType t : kTypes)
      for (const Case& c : cases) {
        SCOPED_TRACE(std::string(mode) + " " + shape_to_string(c.shape));
        auto node = NodeBuilder("Pad", 19).attr_s("mode", mode).build();
        Tensor pads = i64({static_cast<int64_t>(c.pads.size())}, c.pads);
        expect_matches_reference(node, {random_tensor(t, c.shape, rng, -9, 9), pads}, 1, 0, 0);
      }
  // 0-size input: constant pads it; opset 2 attributes; axes input with negative axes.
  auto c19 = NodeBuilder("Pad", 19).build();
  expect_matches_reference(c19, {random_tensor(DType::kFloat32, {0, 3}, rng), i64({4}, {1, 0, 1, 0})}, 1, 0, 0);
  auto p2 = NodeBuilder("Pad", 2).attr_ints("pads", {1, 2, 0, 1}).attr_f("value", 1.5f).build();
  expect_matches_reference(p2, {random_tensor(DType::kFloat32, {3, 3}, rng)}, 1, 0, 0);
  auto p18 = NodeBuilder("Pad", 18).attr_s("mode", "reflect").build();
  expect_matches_reference(p18, {random_tensor(DType::kFloat32, {3, 4, 5}, rng), i64({4}, {1, 2, 3, 1}),
                                 Tensor(), i64({2}, {-1, 0})}, 1, 0, 0);
}

TEST(TensorIndexKernels, PadPinnedValues) {
  Tensor x = f32({3}, {1, 2, 3});
  // np.pad([1,2,3], (5,0), mode) for the three non-constant modes.
  auto pad = [&](const char* mode, std::vector<int64_t> p) {
    return run1(NodeBuilder("Pad", 19).attr_s("mode", mode).build(), {x, i64({2}, p)});
  };
  EXPECT_EQ(pad("reflect", {5, 0}), (std::vector<float>{2, 1, 2, 3, 2, 1, 2, 3}));
  EXPECT_EQ(pad("edge", {2, 1}), (std::vector<float>{1, 1, 1, 2, 3, 3}));
  EXPECT_EQ(pad("wrap", {4, 2}), (std::vector<float>{3, 1, 2, 3, 1, 2, 3, 1, 2}));
  Tensor cv = f32({}, {7});
  EXPECT_EQ(run1(NodeBuilder("Pad", 13).build(), {x, i64({2}, {1, -1}), cv}), (std::vector<float>{7, 1, 2}));
  // Strings pad with the given string.
  Tensor s = Tensor::allocate(DType::kString, {2});
  s.data<std::string>()[0] = "a";
  s.data<std::string>()[1] = "b";
  Tensor sv = Tensor::allocate(DType::kString, {});
  sv.data<std::string>()[0] = "z";
  auto out = run_node(Backend::kCpu, NodeBuilder("Pad", 13).build(), {s, i64({2}, {1, 1}), sv}, 1);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].data<std::string>()[0], "z");
  EXPECT_EQ((*out)[0].data<std::string>()[2], "b");
  // Reflect/edge cannot pad an empty axis: an error, not a crash.
  auto bad = run_node(Backend::kCpu, NodeBuilder("Pad", 19).attr_s("mode", "edge").build(),
                      {f32({0}, {}), i64({2}, {1, 1})}, 1);
  EXPECT_FALSE(bad.has_value());
}

TEST(TensorIndexKernels, CenterCropPad) {
  std::mt19937 rng(3);
  auto node = NodeBuilder("CenterCropPad", 18).build();
  expect_matches_reference(node, {random_tensor(DType::kFloat32, {5, 4}, rng), i64({2}, {2, 7})}, 1, 0, 0);
  auto axes = NodeBuilder("CenterCropPad", 18).attr_ints("axes", {-1}).build();
  expect_matches_reference(axes, {random_tensor(DType::kInt64, {3, 6}, rng, -5, 5), i64({1}, {3})}, 1, 0, 0);
  // Crop 5 -> 2 starts at 1; pad 1 -> 4 puts 1 before and 2 after.
  EXPECT_EQ(run1(node, {f32({5, 1}, {0, 1, 2, 3, 4}), i64({2}, {2, 4})}),
            (std::vector<float>{0, 1, 0, 0, 0, 2, 0, 0}));
}

TEST(TensorIndexKernels, GatherElementsAndGatherND) {
  std::mt19937 rng(5);
  for (DType t : kTypes) {
    for (int64_t axis : {0, 1, -1}) {
      auto node = NodeBuilder("GatherElements", 13).attr_i("axis", axis).build();
      Shape xs = {4, 5, 6};
      const int64_t n = xs[static_cast<size_t>(axis < 0 ? axis + 3 : axis)];
      expect_matches_reference(node, {random_tensor(t, xs, rng, -9, 9),
                                      random_tensor(DType::kInt64, {3, 5, 6}, rng, -n, n - 1)}, 1, 0, 0);
      expect_matches_reference(node, {random_tensor(t, xs, rng, -9, 9),
                                      random_tensor(DType::kInt32, {4, 2, 1}, rng, -n, n - 1)}, 1, 0, 0);
    }
    auto nd = NodeBuilder("GatherND", 13).build();
    expect_matches_reference(nd, {random_tensor(t, {4, 5, 6}, rng, -9, 9),
                                  random_tensor(DType::kInt64, {3, 7, 2}, rng, -4, 3)}, 1, 0, 0);
    auto nd_b = NodeBuilder("GatherND", 13).attr_i("batch_dims", 1).build();
    expect_matches_reference(nd_b, {random_tensor(t, {4, 5, 6}, rng, -9, 9),
                                    random_tensor(DType::kInt64, {4, 3, 1}, rng, -5, 4)}, 1, 0, 0);
  }
  auto big = NodeBuilder("GatherElements", 13).attr_i("axis", 0).build();
  expect_matches_reference(big, {random_tensor(DType::kFloat32, {200, 400}, rng),
                                 random_tensor(DType::kInt64, {300, 400}, rng, 0, 199)}, 1, 0, 0);
  // Spec examples.
  EXPECT_EQ(run1(NodeBuilder("GatherElements", 13).attr_i("axis", 1).build(),
                 {f32({2, 2}, {1, 2, 3, 4}), i64({2, 2}, {0, 0, 1, 0})}),
            (std::vector<float>{1, 1, 4, 3}));
  EXPECT_EQ(run1(NodeBuilder("GatherND", 13).attr_i("batch_dims", 1).build(),
                 {f32({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7}), i64({2, 1}, {1, 0})}),
            (std::vector<float>{2, 3, 4, 5}));
  auto oob = run_node(Backend::kCpu, NodeBuilder("GatherND", 13).build(),
                      {f32({2, 2}, {1, 2, 3, 4}), i64({1, 2}, {0, 2})}, 1);
  EXPECT_FALSE(oob.has_value());
}

// GatherElements checks its indices while it gathers: a bad one on the innermost axis (the
// vectorized path, in a group of four and in the tail), on an outer axis and with int32 indices
// is an error naming it, and an empty axis with indices is an error, never a read.
TEST(TensorIndexKernels, GatherElementsRejectsBadIndices) {
  auto node = [](int64_t axis) { return NodeBuilder("GatherElements", 13).attr_i("axis", axis).build(); };
  const Tensor x = f32({2, 6}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  struct Case {
    int64_t axis;
    Tensor ind;
    const char* what;
  };
  const Case cases[] = {
      {1, i64({2, 5}, {0, 1, 2, 3, 4, 5, 6, 0, 1, 2}), "index 6 (at position 6)"},
      {1, i64({2, 5}, {0, 1, 2, 3, 4, 5, 4, 3, 2, -7}), "index -7 (at position 9)"},
      {0, i64({2, 6}, {0, 1, 1, 0, 1, 2, 0, 0, 0, 0, 0, 0}), "index 2 (at position 5)"},
      {-1, make_tensor<int32_t>(DType::kInt32, {1, 3}, {1, 60, 2}), "index 60 (at position 1)"},
  };
  for (const Case& c : cases) {
    auto out = run_node(Backend::kCpu, node(c.axis), {x, c.ind}, 1);
    ASSERT_FALSE(out.has_value()) << c.what;
    EXPECT_NE(out.status().message().find(c.what), std::string::npos) << out.status().message();
  }
  auto empty = run_node(Backend::kCpu, node(1), {f32({2, 0}, {}), i64({2, 1}, {0, 0})}, 1);
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.status().message().find("out of range for a dim of size 0"), std::string::npos)
      << empty.status().message();
  // Negative indices on the innermost axis, across the groups of four.
  EXPECT_EQ(run1(node(-1), {x, i64({2, 5}, {-1, -6, 0, 5, -3, 0, -1, 2, -2, 1})}),
            (std::vector<float>{5, 0, 0, 5, 3, 6, 11, 8, 10, 7}));
}

TEST(TensorIndexKernels, ScattersMatchReference) {
  std::mt19937 rng(9);
  const DType types[] = {DType::kFloat32, DType::kInt32, DType::kFloat16, DType::kBool, DType::kFloat64};
  for (DType t : types)
    for (const char* red : {"none", "add", "mul", "max", "min"}) {
      SCOPED_TRACE(std::string(dtype_name(t)) + " " + red);
      auto nd = NodeBuilder("ScatterND", 18).attr_s("reduction", red).build();
      expect_matches_reference(nd, {random_tensor(t, {5, 4, 3}, rng, -5, 5),
                                    random_tensor(DType::kInt64, {6, 2}, rng, -4, 3),
                                    random_tensor(t, {6, 3}, rng, -5, 5)}, 1, 0, 0);
      for (int64_t axis : {0, -1}) {
        auto el = NodeBuilder("ScatterElements", 18).attr_i("axis", axis).attr_s("reduction", red).build();
        expect_matches_reference(el, {random_tensor(t, {5, 4}, rng, -5, 5),
                                      random_tensor(DType::kInt64, {3, 4}, rng, -4, 3),
                                      random_tensor(t, {3, 4}, rng, -5, 5)}, 1, 0, 0);
      }
    }
  // Wide slices with many duplicate rows (a GNN's index_add): on the 2-thread test pool the
  // column split applies (slice >= 256), and every element must still see its updates in index
  // order.
  for (const char* red : {"none", "add", "max"}) {
      SCOPED_TRACE(std::string("wide ") + red);
      auto nd = NodeBuilder("ScatterND", 18).attr_s("reduction", red).build();
      expect_matches_reference(nd, {random_tensor(DType::kFloat32, {40, 300}, rng),
                                    random_tensor(DType::kInt64, {1000, 1}, rng, -40, 39),
                                    random_tensor(DType::kFloat32, {1000, 300}, rng)}, 1, 0, 0);
      auto el = NodeBuilder("ScatterElements", 18).attr_i("axis", 0).attr_s("reduction", red).build();
      expect_matches_reference(el, {random_tensor(DType::kFloat16, {30, 70}, rng),
                                    random_tensor(DType::kInt32, {90, 70}, rng, -30, 29),
                                    random_tensor(DType::kFloat16, {90, 70}, rng)}, 1, 0, 0);
    }
  // Pinned: duplicate indices accumulate in order; old Scatter has no reduction.
  EXPECT_EQ(run1(NodeBuilder("ScatterElements", 16).attr_i("axis", 1).attr_s("reduction", "add").build(),
                 {f32({1, 5}, {1, 2, 3, 4, 5}), i64({1, 2}, {1, 1}), f32({1, 2}, {1.1f, 2.1f})}),
            (std::vector<float>{1, 5.2f, 3, 4, 5}));
  EXPECT_EQ(run1(NodeBuilder("Scatter", 10).attr_i("axis", 1).build(),
                 {f32({1, 5}, {1, 2, 3, 4, 5}), i64({1, 2}, {1, -2}), f32({1, 2}, {9, 8})}),
            (std::vector<float>{1, 9, 3, 8, 5}));
  EXPECT_EQ(run1(NodeBuilder("ScatterND", 11).build(),
                 {f32({4}, {1, 2, 3, 4}), i64({2, 1}, {3, 0}), f32({2}, {9, 8})}),
            (std::vector<float>{8, 2, 3, 9}));
  auto oob = run_node(Backend::kCpu, NodeBuilder("ScatterElements", 13).build(),
                      {f32({2}, {1, 2}), i64({1}, {2}), f32({1}, {0})}, 1);
  EXPECT_FALSE(oob.has_value());
  auto bad_red = run_node(Backend::kCpu, NodeBuilder("ScatterND", 16).attr_s("reduction", "max").build(),
                          {f32({2}, {1, 2}), i64({1, 1}, {0}), f32({1}, {0})}, 1);
  EXPECT_FALSE(bad_red.has_value());  // max arrives at opset 18
}

TEST(TensorIndexKernels, DepthSpaceMatchReferenceAndInvert) {
  std::mt19937 rng(4);
  for (DType t : {DType::kFloat32, DType::kUInt8, DType::kFloat16})
    for (const char* mode : {"DCR", "CRD"})
      for (Shape s : {Shape{1, 8, 2, 3}, Shape{2, 18, 3, 5}, Shape{0, 4, 1, 1}, Shape{3, 4, 64, 40}}) {
        auto d2s = NodeBuilder("DepthToSpace", 13).attr_i("blocksize", s[1] == 18 ? 3 : 2).attr_s("mode", mode).build();
        Tensor x = random_tensor(t, s, rng, -9, 9);
        expect_matches_reference(d2s, {x}, 1, 0, 0);
        auto y = run_node(Backend::kCpu, d2s, {x}, 1);
        ASSERT_TRUE(y.has_value()) << y.status().to_string();
        auto s2d = NodeBuilder("SpaceToDepth", 28).attr_i("blocksize", s[1] == 18 ? 3 : 2).attr_s("mode", mode).build();
        expect_matches_reference(s2d, {(*y)[0]}, 1, 0, 0);
        auto back = run_node(Backend::kCpu, s2d, {(*y)[0]}, 1);
        ASSERT_TRUE(back.has_value()) << back.status().to_string();
        EXPECT_TRUE(tensors_close((*back)[0], x, 0, 0));
      }
  // ONNX example (DCR, blocksize 2): channels 0..3 of a 1x1 image interleave into a 2x2 block.
  EXPECT_EQ(run1(NodeBuilder("DepthToSpace", 13).attr_i("blocksize", 2).build(), {f32({1, 4, 1, 1}, {0, 1, 2, 3})}),
            (std::vector<float>{0, 1, 2, 3}));
  EXPECT_EQ(run1(NodeBuilder("DepthToSpace", 13).attr_i("blocksize", 2).build(),
                 {f32({1, 8, 1, 1}, {0, 1, 2, 3, 4, 5, 6, 7})}),
            (std::vector<float>{0, 2, 4, 6, 1, 3, 5, 7}));
  EXPECT_EQ(run1(NodeBuilder("DepthToSpace", 13).attr_i("blocksize", 2).attr_s("mode", "CRD").build(),
                 {f32({1, 8, 1, 1}, {0, 1, 2, 3, 4, 5, 6, 7})}),
            (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
}

}  // namespace
}  // namespace onnxrt::testing
