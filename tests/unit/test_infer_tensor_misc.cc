// Tensor-family inference for the indexing and miscellaneous ops: symbolic dims kept, exact
// shapes from constant inputs, data-dependent outputs flagged, errors on bad input.
#include <gtest/gtest.h>

#include "ir/infer.h"
#include "kernels/harness.h"

namespace onnxrt::ir {
namespace {

using onnxrt::testing::NodeBuilder;

struct Ctx {
  SymbolTable symbols;
  bool dynamic = false;
  Dim sym(const char* n) { return Dim::symbol(symbols.intern(n)); }

  // Runs op inference; values[i] may be null (not constant).
  Expected<std::vector<ValueType>> run(const Node& n, std::vector<ValueType> types,
                                       std::vector<const Tensor*> values = {},
                                       size_t num_outputs = 1) {
    std::vector<Tensor> known;
    for (const Tensor* v : values) known.push_back(v ? *v : Tensor());
    onnxrt::testing::InferResult r = onnxrt::testing::infer_node(n, types, num_outputs, &symbols, known);
    dynamic = r.dynamic;
    if (!r.status.is_ok()) return r.status;
    return r.outputs;
  }
};

Tensor i64(Shape s, std::vector<int64_t> v) {
  return onnxrt::testing::make_tensor<int64_t>(DType::kInt64, s, v);
}
ValueType f32(SymShape s) { return ValueType::tensor(DType::kFloat32, std::move(s)); }
ValueType i64t(SymShape s) { return ValueType::tensor(DType::kInt64, std::move(s)); }
ValueType boolt(SymShape s) { return ValueType::tensor(DType::kBool, std::move(s)); }

TEST(TensorMiscInfer, PadKeepsUnpaddedSymbols) {
  Ctx c;
  Dim b = c.sym("batch");
  Tensor pads = i64({4}, {0, 1, 0, 2});
  auto out = c.run(NodeBuilder("Pad", 19).build(), {f32({b, 5}), i64t({4})}, {nullptr, &pads});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 8}));
  Tensor axes = i64({1}, {-1});
  Tensor pads2 = i64({2}, {-2, 1});
  out = c.run(NodeBuilder("Pad", 18).build(), {f32({b, 5}), i64t({2}), f32({}), i64t({1})},
              {nullptr, &pads2, nullptr, &axes});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 4}));
  // Wrong pads length and unknown mode are errors.
  Tensor bad = i64({3}, {1, 1, 1});
  EXPECT_FALSE(c.run(NodeBuilder("Pad", 19).build(), {f32({2, 5}), i64t({3})}, {nullptr, &bad}).has_value());
  EXPECT_FALSE(c.run(NodeBuilder("Pad", 19).attr_s("mode", "mirror").build(), {f32({2, 5}), i64t({4})},
                     {nullptr, &pads}).has_value());
  EXPECT_FALSE(c.run(NodeBuilder("Pad", 2).attr_s("mode", "wrap").attr_ints("pads", {0, 0}).build(),
                     {f32({2})}).has_value());
}

TEST(TensorMiscInfer, CompressIsExactWhenConditionIsKnown) {
  Ctx c;
  Dim b = c.sym("batch");
  Tensor cond = onnxrt::testing::make_tensor<bool>(DType::kBool, {3}, {true, false, true});
  auto out = c.run(NodeBuilder("Compress", 11).attr_i("axis", 1).build(), {f32({b, 3}), boolt({3})},
                   {nullptr, &cond});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 2}));
  EXPECT_FALSE(c.dynamic);
  out = c.run(NodeBuilder("Compress", 11).build(), {f32({b, 3}), boolt({3})});
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ((*out)[0].rank(), 1);
  EXPECT_TRUE((*out)[0].shape[0].is_symbol());
  EXPECT_FALSE(c.run(NodeBuilder("Compress", 11).attr_i("axis", 0).build(), {f32({2, 3}), boolt({3})},
                     {nullptr, &cond}).has_value());  // condition longer than the axis
  EXPECT_FALSE(c.run(NodeBuilder("Compress", 11).build(), {f32({2, 3}), f32({3})}).has_value());
}

TEST(TensorMiscInfer, UniqueAndNonZeroAreDataDependent) {
  Ctx c;
  Dim b = c.sym("batch");
  auto out = c.run(NodeBuilder("Unique", 11).attr_i("axis", 1).build(), {f32({b, 6, 2})}, {}, 4);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_TRUE(c.dynamic);
  EXPECT_EQ((*out)[0].shape[0], b);
  EXPECT_EQ((*out)[0].shape[2], Dim(2));
  EXPECT_EQ((*out)[2].shape, (SymShape{6}));  // inverse indices: one per slice
  EXPECT_EQ((*out)[1].shape, (*out)[3].shape);
  out = c.run(NodeBuilder("NonZero", 13).build(), {f32({b, 6})});
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(c.dynamic);
  EXPECT_EQ((*out)[0].shape[0], Dim(2));
}

TEST(TensorMiscInfer, EyeLikeCenterCropPadCol2ImDet) {
  Ctx c;
  Dim b = c.sym("batch");
  auto out = c.run(NodeBuilder("EyeLike", 9).attr_i("dtype", 7).build(), {f32({3, 4})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].dtype, DType::kInt64);
  EXPECT_FALSE(c.run(NodeBuilder("EyeLike", 9).build(), {f32({3})}).has_value());

  Tensor shape = i64({2}, {5, 6});
  out = c.run(NodeBuilder("CenterCropPad", 18).attr_ints("axes", {1, 2}).build(), {f32({b, 3, 9}), i64t({2})},
              {nullptr, &shape});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 5, 6}));

  Tensor img = i64({2}, {5, 5}), blk = i64({2}, {2, 2});
  out = c.run(NodeBuilder("Col2Im", 18).build(), {f32({b, 12, 16}), i64t({2}), i64t({2})},
              {nullptr, &img, &blk});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 3, 5, 5}));
  EXPECT_FALSE(c.run(NodeBuilder("Col2Im", 18).build(), {f32({1, 10, 16}), i64t({2}), i64t({2})},
                     {nullptr, &img, &blk}).has_value());  // 10 channels not divisible by 4

  out = c.run(NodeBuilder("Det", 11).build(), {f32({b, 3, 3})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b}));
  EXPECT_FALSE(c.run(NodeBuilder("Det", 11).build(), {f32({3, 4})}).has_value());
  EXPECT_FALSE(c.run(NodeBuilder("Det", 11).build(), {i64t({3, 3})}).has_value());
}

TEST(TensorMiscInfer, EinsumShapes) {
  Ctx c;
  Dim b = c.sym("batch"), s = c.sym("seq");
  auto eq = [](const char* e) { return NodeBuilder("Einsum", 12).attr_s("equation", e).build(); };
  auto out = c.run(eq("bij,bjk->bik"), {f32({b, s, 4}), f32({b, 4, 5})});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{b, s, 5}));
  out = c.run(eq("ij,jk"), {f32({2, 3}), f32({3, 4})});  // implicit: alphabetical "ik"
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{2, 4}));
  out = c.run(eq("...ij,...jk->...ik"), {f32({7, 1, 2, 3}), f32({5, 3, 4})});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{7, 5, 2, 4}));
  out = c.run(eq("ba"), {f32({2, 3})});  // implicit output sorts: transpose
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{3, 2}));
  out = c.run(eq("ii->i"), {f32({s, s})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{s}));
  EXPECT_FALSE(c.run(eq("ij,jk->ik"), {f32({2, 3}), f32({4, 5})}).has_value());  // j: 3 vs 4
  EXPECT_FALSE(c.run(eq("ij,jk->ik"), {f32({2, 3})}).has_value());                // one input short
  EXPECT_FALSE(c.run(eq("ijk->ik"), {f32({2, 3})}).has_value());                  // rank mismatch
  EXPECT_FALSE(c.run(eq("ij->q"), {f32({2, 3})}).has_value());                    // unknown label
  EXPECT_FALSE(c.run(eq("i1->i"), {f32({2, 3})}).has_value());                    // bad character
}

TEST(TensorMiscInfer, IndexOpsShapes) {
  Ctx c;
  Dim b = c.sym("batch");
  auto out = c.run(NodeBuilder("GatherND", 13).attr_i("batch_dims", 1).build(), {f32({b, 5, 6}), i64t({b, 3, 1})});
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 3, 6}));
  EXPECT_FALSE(c.run(NodeBuilder("GatherND", 13).build(), {f32({2, 2}), i64t({1, 3})}).has_value());
  out = c.run(NodeBuilder("ScatterElements", 18).build(), {f32({b, 4}), i64t({1, 4}), f32({1, 4})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 4}));
  out = c.run(NodeBuilder("Scatter", 10).build(), {f32({b, 4}), i64t({1, 4}), f32({1, 4})});
  ASSERT_TRUE(out.has_value());
  Tensor depth = i64({}, {10});
  out = c.run(NodeBuilder("OneHot", 11).attr_i("axis", 1).build(), {i64t({b, 3}), i64t({}), f32({2})},
              {nullptr, &depth});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 10, 3}));
  out = c.run(NodeBuilder("SpaceToDepth", 28).attr_i("blocksize", 2).attr_s("mode", "CRD").build(), {f32({b, 3, 4, 6})});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[0].shape, (SymShape{b, 12, 2, 3}));
  EXPECT_FALSE(c.run(NodeBuilder("SpaceToDepth", 28).attr_i("blocksize", 2).attr_s("mode", "XYZ").build(),
                     {f32({1, 3, 4, 6})}).has_value());
  EXPECT_FALSE(c.run(NodeBuilder("DepthToSpace", 13).attr_i("blocksize", 2).build(), {f32({1, 3, 4, 6})}).has_value());
  // blocksize is an attribute: blocksize^2 and dim * blocksize can leave int64 (UB before the guard).
  for (const auto& [op, blocksize, shape] : {std::tuple{"DepthToSpace", int64_t{1} << 32, SymShape{1, 3, 4, 6}},
                                             std::tuple{"SpaceToDepth", int64_t{1} << 32, SymShape{1, 3, 0, 0}},
                                             std::tuple{"DepthToSpace", int64_t{1} << 31, SymShape{1, 0, int64_t{1} << 33, 6}},
                                             std::tuple{"SpaceToDepth", int64_t{1} << 31, SymShape{1, 2, 0, 0}}}) {
    auto r = c.run(NodeBuilder(op, 13).attr_i("blocksize", blocksize).build(), {f32(shape)});
    ASSERT_FALSE(r.has_value()) << op;
    EXPECT_NE(r.status().to_string().find("overflows int64"), std::string::npos) << r.status().to_string();
  }
}

}  // namespace
}  // namespace onnxrt::ir
