// Tensor-family inference: symbolic dims through the shape-computation chains exporters emit,
// opset-dependent attribute/input forms, and errors.
#include <gtest/gtest.h>

#include <limits>

#include "ir/infer.h"
#include "kernels/harness.h"

namespace onnxrt::ir {
namespace {

using onnxrt::testing::NodeBuilder;

struct Ctx {
  SymbolTable symbols;
  Dim sym(const char* n) { return Dim::symbol(symbols.intern(n)); }

  // Runs op inference; values[i] may be null (not constant).
  Expected<std::vector<ValueType>> run(const Node& n, std::vector<ValueType> types,
                                       std::vector<const Tensor*> values = {},
                                       size_t num_outputs = 1) {
    std::vector<Tensor> known;
    for (const Tensor* v : values) known.push_back(v ? *v : Tensor());
    onnxrt::testing::InferResult r = onnxrt::testing::infer_node(n, types, num_outputs, &symbols, known);
    if (!r.status.is_ok()) return r.status;
    return r.outputs;
  }
};

Tensor i64(Shape s, std::vector<int64_t> v) {
  return onnxrt::testing::make_tensor<int64_t>(DType::kInt64, s, v);
}
ValueType f32(SymShape s) { return ValueType::tensor(DType::kFloat32, std::move(s)); }
ValueType i64t(SymShape s) { return ValueType::tensor(DType::kInt64, std::move(s)); }

TEST(TensorOpsInfer, ReshapeCopiesSymbolForZeroAndSolvesMinusOne) {
  Ctx c;
  Dim b = c.sym("batch"), s = c.sym("seq");
  Tensor shape = i64({3}, {0, 0, -1});
  auto out = c.run(NodeBuilder("Reshape", 14).build(), {f32({b, s, 4, 8}), i64t({3})}, {nullptr, &shape});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{b, s, 32}));
  // -1 that absorbs a symbol: [batch, 12] -> [-1, 3, 4] gives batch.
  Tensor shape2 = i64({3}, {-1, 3, 4});
  out = c.run(NodeBuilder("Reshape", 13).build(), {f32({b, 12}), i64t({3})}, {nullptr, &shape2});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 3, 4}));
  // Concrete: exact, and errors on mismatch.
  Tensor shape3 = i64({2}, {5, -1});
  EXPECT_FALSE(c.run(NodeBuilder("Reshape", 13).build(), {f32({2, 6}), i64t({2})}, {nullptr, &shape3}).has_value());
  Tensor shape4 = i64({2}, {-1, -1});
  EXPECT_FALSE(c.run(NodeBuilder("Reshape", 13).build(), {f32({2, 6}), i64t({2})}, {nullptr, &shape4}).has_value());
  // allowzero keeps a literal 0.
  Tensor shape5 = i64({2}, {0, 4});
  out = c.run(NodeBuilder("Reshape", 14).attr_i("allowzero", 1).build(), {f32({0, 4}), i64t({2})}, {nullptr, &shape5});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{0, 4}));
  // Opset 1-4: shape attribute.
  out = c.run(NodeBuilder("Reshape", 1).attr_ints("shape", {-1}).build(), {f32({3, 4})});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{12}));
}

TEST(TensorOpsInfer, ReshapeWithUnknownShapeKeepsRank) {
  Ctx c;
  auto out = c.run(NodeBuilder("Reshape", 13).build(), {f32({2, 3}), i64t({4})});
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE((*out)[0].has_shape);
  EXPECT_EQ((*out)[0].rank(), 4);
  out = c.run(NodeBuilder("Reshape", 13).build(), {f32({2, 3}), ValueType::tensor_unknown_rank(DType::kInt64)});
  ASSERT_TRUE(out.has_value());
  EXPECT_FALSE((*out)[0].has_shape);
}

// Found by fuzz_session (tests/data/fuzz_regressions/session/reshape_element_count_overflows and
// tile_repeat_overflows): dims computed from shape, repeats or pads inputs were multiplied or added
// as signed int64 (undefined on overflow). Each is now refused with an error that says so.
TEST(TensorOpsInfer, DimsComputedFromDataThatOverflowInt64AreRefused) {
  Ctx c;
  const int64_t huge = (int64_t{1} << 57) - 1;
  auto expect_overflow_error = [](const Expected<std::vector<ValueType>>& out) {
    ASSERT_FALSE(out.has_value());
    EXPECT_NE(out.status().to_string().find("overflows int64"), std::string::npos) << out.status().to_string();
  };
  for (const std::vector<int64_t>& target : {std::vector<int64_t>{0, 127, huge},    // 3 * 127 * huge
                                             std::vector<int64_t>{huge, 1024, -1}}) {  // with -1
    Tensor shape = i64({3}, target);
    expect_overflow_error(c.run(NodeBuilder("Reshape", 13).build(), {f32({3, 5}), i64t({3})}, {nullptr, &shape}));
  }
  Tensor reps = i64({2}, {33, (int64_t{1} << 62) + 1});
  expect_overflow_error(c.run(NodeBuilder("Tile", 13).build(), {f32({3, 5}), i64t({2})}, {nullptr, &reps}));
  const int64_t max = std::numeric_limits<int64_t>::max();
  for (const std::vector<int64_t>& pads : {std::vector<int64_t>{0, max, 0, 1},     // pad sum
                                           std::vector<int64_t>{0, max - 1, 0, 0}}) {  // dim + pads
    Tensor p = i64({4}, pads);
    expect_overflow_error(c.run(NodeBuilder("Pad", 13).build(), {f32({3, 5}), i64t({4})}, {nullptr, &p}));
  }
}

// The exporter chain: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])).
TEST(TensorOpsInfer, SymbolsFlowThroughShapeGatherUnsqueezeConcatReshape) {
  Ctx c;
  Dim b = c.sym("batch"), s = c.sym("seq");
  ValueType x = f32({b, s, 16});
  auto shape = c.run(NodeBuilder("Shape", 13).build(), {x});
  ASSERT_TRUE(shape.has_value());
  EXPECT_EQ((*shape)[0].shape, (SymShape{3}));
  ASSERT_TRUE((*shape)[0].sym_value.has_value());

  Tensor zero = i64({}, {0});
  auto g = c.run(NodeBuilder("Gather", 13).attr_i("axis", 0).build(), {(*shape)[0], i64t({})}, {nullptr, &zero});
  ASSERT_TRUE(g.has_value()) << g.status().to_string();
  EXPECT_EQ((*g)[0].rank(), 0);
  ASSERT_TRUE((*g)[0].sym_value.has_value());
  EXPECT_EQ(*(*g)[0].sym_value, (SymShape{b}));

  Tensor axes0 = i64({1}, {0});
  auto u = c.run(NodeBuilder("Unsqueeze", 13).build(), {(*g)[0], i64t({1})}, {nullptr, &axes0});
  ASSERT_TRUE(u.has_value()) << u.status().to_string();
  EXPECT_EQ((*u)[0].shape, (SymShape{1}));
  ASSERT_TRUE((*u)[0].sym_value.has_value());

  Tensor minus1 = i64({1}, {-1});
  auto cat = c.run(NodeBuilder("Concat", 13).attr_i("axis", 0).build(), {(*u)[0], i64t({1})},
                   {nullptr, &minus1});
  ASSERT_TRUE(cat.has_value()) << cat.status().to_string();
  EXPECT_EQ((*cat)[0].shape, (SymShape{2}));
  ASSERT_TRUE((*cat)[0].sym_value.has_value());
  EXPECT_EQ(*(*cat)[0].sym_value, (SymShape{b, Dim(-1)}));

  auto r = c.run(NodeBuilder("Reshape", 14).build(), {x, (*cat)[0]});
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  ASSERT_EQ((*r)[0].rank(), 2);
  EXPECT_EQ((*r)[0].shape[0], b);
  EXPECT_TRUE((*r)[0].shape[1].is_symbol());  // seq*16: unknown statically

  // Slice of Shape keeps symbols too: Shape(x)[1:] -> [seq, 16].
  Tensor st = i64({1}, {1}), en = i64({1}, {INT64_MAX});
  auto sl = c.run(NodeBuilder("Slice", 13).build(), {(*shape)[0], i64t({1}), i64t({1})},
                  {nullptr, &st, &en});
  ASSERT_TRUE(sl.has_value()) << sl.status().to_string();
  EXPECT_EQ((*sl)[0].shape, (SymShape{2}));
  ASSERT_TRUE((*sl)[0].sym_value.has_value());
  EXPECT_EQ(*(*sl)[0].sym_value, (SymShape{s, 16}));
  // ...and Expand / ConstantOfShape read them.
  auto e = c.run(NodeBuilder("Expand", 13).build(), {f32({1, 1}), (*sl)[0]});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ((*e)[0].shape, (SymShape{s, 16}));
  auto cs = c.run(NodeBuilder("ConstantOfShape", 9).build(), {(*sl)[0]});
  ASSERT_TRUE(cs.has_value());
  EXPECT_EQ((*cs)[0].shape, (SymShape{s, 16}));
}

// A dim that inference cannot know but that is a function of other dims (the broadcast of two
// symbols, the -1 of a Reshape, a product) is the same symbol wherever the same function of the
// same dims gives it, and a different one otherwise: Q, K and V of a dynamic-shape attention,
// reshaped by one shape tensor, must agree on their heads dim for the attention to fuse.
TEST(TensorOpsInfer, DimsDerivedFromTheSameDimsAreTheSameSymbol) {
  Ctx c;
  Dim b = c.sym("batch"), s = c.sym("seq"), t = c.sym("t");
  auto add = [&](Dim x, Dim y) {
    auto out = c.run(NodeBuilder("Add", 14).build(), {f32({b, x, 8}), f32({1, y, 8})});
    EXPECT_TRUE(out.has_value()) << out.status().to_string();
    return (*out)[0].shape[1];
  };
  const Dim st = add(s, t);
  EXPECT_TRUE(st.is_symbol());
  EXPECT_NE(st, s);
  EXPECT_NE(st, t);
  EXPECT_EQ(add(t, s), st);  // broadcasting is symmetric
  EXPECT_NE(add(s, b), st);

  // [batch, st, 64] -> [batch, seq, -1, 16]: -1 = st * 4 / seq, unknown, the same twice.
  auto reshape = [&](Dim x, int64_t inner) {
    auto shape_value = i64t({4});
    shape_value.sym_value = SymShape{b, s, Dim(-1), Dim(16)};
    auto out = c.run(NodeBuilder("Reshape", 14).build(), {f32({b, x, inner}), shape_value});
    EXPECT_TRUE(out.has_value()) << out.status().to_string();
    return (*out)[0].shape;
  };
  const SymShape q = reshape(st, 64);
  EXPECT_EQ(q[1], s);
  EXPECT_TRUE(q[2].is_symbol());
  EXPECT_EQ(reshape(st, 64)[2], q[2]);
  EXPECT_NE(reshape(st, 128)[2], q[2]);  // twice the elements: another dim
  EXPECT_NE(reshape(t, 64)[2], q[2]);
  // With the sequence dim the same on both sides the -1 is known.
  EXPECT_EQ(reshape(s, 64)[2], Dim(4));

  // Range(0, n, 1) over a dim n has n elements; other starts or steps stay unknown.
  ValueType limit = i64t({});
  limit.sym_value = SymShape{s};
  Tensor zero = i64({}, {0}), one = i64({}, {1}), two = i64({}, {2});
  auto range = [&](const Tensor& start, const Tensor& delta) {
    auto out = c.run(NodeBuilder("Range", 11).build(), {i64t({}), limit, i64t({})}, {&start, nullptr, &delta});
    EXPECT_TRUE(out.has_value()) << out.status().to_string();
    return (*out)[0].shape[0];
  };
  EXPECT_EQ(range(zero, one), s);
  EXPECT_NE(range(one, one), s);
  EXPECT_NE(range(zero, two), s);
}

TEST(TensorOpsInfer, ShapeStartEndAndSize) {
  Ctx c;
  Dim b = c.sym("b");
  auto out = c.run(NodeBuilder("Shape", 15).attr_i("start", 1).attr_i("end", -1).build(), {f32({b, 3, 4, 5})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{2}));
  EXPECT_EQ(*(*out)[0].sym_value, (SymShape{3, 4}));
  out = c.run(NodeBuilder("Size", 13).build(), {f32({2, 3})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].rank(), 0);
  EXPECT_EQ(*(*out)[0].sym_value, (SymShape{6}));
}

TEST(TensorOpsInfer, SqueezeUnsqueezeAcrossOpsets) {
  Ctx c;
  Dim b = c.sym("b");
  auto out = c.run(NodeBuilder("Squeeze", 11).attr_ints("axes", {-1}).build(), {f32({b, 3, 1})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 3}));
  Tensor ax = i64({1}, {1});
  EXPECT_FALSE(c.run(NodeBuilder("Squeeze", 13).build(), {f32({b, 3, 1}), i64t({1})}, {nullptr, &ax}).has_value());
  out = c.run(NodeBuilder("Squeeze", 13).build(), {f32({1, 3, 1})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{3}));
  out = c.run(NodeBuilder("Squeeze", 13).build(), {f32({b, 3, 1})});  // b may be 1
  ASSERT_TRUE(out.has_value());
  EXPECT_FALSE((*out)[0].has_shape);
  out = c.run(NodeBuilder("Unsqueeze", 1).attr_ints("axes", {0, 3}).build(), {f32({b, 3})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{1, b, 3, 1}));
  Tensor ax2 = i64({2}, {-1, 1});
  out = c.run(NodeBuilder("Unsqueeze", 13).build(), {f32({b, 3}), i64t({2})}, {nullptr, &ax2});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 1, 3, 1}));
  out = c.run(NodeBuilder("Unsqueeze", 13).build(), {f32({b, 3}), i64t({2})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].rank(), 4);
}

TEST(TensorOpsInfer, FlattenTransposeConcatGather) {
  Ctx c;
  Dim b = c.sym("b");
  auto out = c.run(NodeBuilder("Flatten", 13).attr_i("axis", 1).build(), {f32({b, 3, 4})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 12}));
  out = c.run(NodeBuilder("Transpose", 13).attr_ints("perm", {0, 2, 1}).build(), {f32({b, 3, 4})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 4, 3}));
  EXPECT_FALSE(c.run(NodeBuilder("Transpose", 13).attr_ints("perm", {0, 0, 1}).build(), {f32({b, 3, 4})}).has_value());
  out = c.run(NodeBuilder("Concat", 13).attr_i("axis", -1).build(), {f32({b, 3}), f32({b, 5})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 8}));
  EXPECT_FALSE(c.run(NodeBuilder("Concat", 13).attr_i("axis", 0).build(), {f32({2, 3}), f32({2, 4})}).has_value());
  out = c.run(NodeBuilder("Gather", 13).attr_i("axis", 1).build(), {f32({b, 10, 4}), i64t({2, 3})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 2, 3, 4}));
  Tensor bad = i64({1}, {10});
  auto err = c.run(NodeBuilder("Gather", 13).attr_i("axis", 1).build(), {f32({b, 10, 4}), i64t({1})}, {nullptr, &bad});
  ASSERT_FALSE(err.has_value());
  EXPECT_NE(err.status().message().find("index 10"), std::string::npos) << err.status().message();
}

TEST(TensorOpsInfer, SliceExpandSplitTileOthers) {
  Ctx c;
  Dim b = c.sym("b");
  // Opset 1: attributes.
  auto out = c.run(NodeBuilder("Slice", 1).attr_ints("starts", {1}).attr_ints("ends", {-1}).attr_ints("axes", {1}).build(), {f32({b, 10})});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 8}));
  Tensor st = i64({1}, {-1}), en = i64({1}, {INT64_MIN}), ax = i64({1}, {1}), sp = i64({1}, {-2});
  out = c.run(NodeBuilder("Slice", 13).build(), {f32({b, 10}), i64t({1}), i64t({1}), i64t({1}), i64t({1})},
              {nullptr, &st, &en, &ax, &sp});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 5}));
  Tensor to = i64({3}, {2, 1, 6});
  out = c.run(NodeBuilder("Expand", 13).build(), {f32({3, 1}), i64t({3})}, {nullptr, &to});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{2, 3, 6}));
  EXPECT_FALSE(c.run(NodeBuilder("Expand", 13).build(), {f32({3, 2}), i64t({3})}, {nullptr, &to}).has_value());
  out = c.run(NodeBuilder("Split", 18).attr_i("num_outputs", 3).attr_i("axis", 1).build(), {f32({b, 7})}, {}, 3);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 3}));
  EXPECT_EQ((*out)[2].shape, (SymShape{b, 1}));
  out = c.run(NodeBuilder("Split", 2).attr_ints("split", {2, 4}).build(), {f32({6})}, {}, 2);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[1].shape, (SymShape{4}));
  Tensor reps = i64({2}, {1, 3});
  out = c.run(NodeBuilder("Tile", 13).build(), {f32({b, 2}), i64t({2})}, {nullptr, &reps});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 6}));
  Tensor pads = i64({4}, {0, 1, 0, 2});
  out = c.run(NodeBuilder("Pad", 13).build(), {f32({b, 2}), i64t({4})}, {nullptr, &pads});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 5}));
  out = c.run(NodeBuilder("ReduceSum", 13).attr_i("keepdims", 0).build(), {f32({b, 2, 3}), i64t({1})}, {nullptr, &ax});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 3}));
  out = c.run(NodeBuilder("ReduceMean", 13).attr_ints("axes", {-1}).build(), {f32({b, 2, 3})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 2, 1}));
  Tensor k = i64({1}, {2});
  out = c.run(NodeBuilder("TopK", 11).build(), {f32({b, 5}), i64t({1})}, {nullptr, &k}, 2);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[1].shape, (SymShape{b, 2}));
  EXPECT_EQ((*out)[1].dtype, DType::kInt64);
  Tensor s0 = i64({}, {0}), l = i64({}, {10}), d = i64({}, {3});
  out = c.run(NodeBuilder("Range", 11).build(), {i64t({}), i64t({}), i64t({})}, {&s0, &l, &d});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{4}));
}

TEST(TensorOpsInfer, ConstantOutputs) {
  Ctx c;
  auto out = c.run(NodeBuilder("Constant", 13).attr_ints("value_ints", {1, -1}).build(), {});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{2}));
  EXPECT_EQ((*out)[0].dtype, DType::kInt64);
  EXPECT_EQ(*(*out)[0].sym_value, (SymShape{1, -1}));
  out = c.run(NodeBuilder("Constant", 13).attr_s("value_string", "x").build(), {});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].dtype, DType::kString);
  EXPECT_FALSE(c.run(NodeBuilder("Constant", 13).build(), {}).has_value());
}

}  // namespace
}  // namespace onnxrt::ir
