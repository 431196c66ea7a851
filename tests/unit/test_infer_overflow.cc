// Shape inference of ops whose output dims come from data (shape tensors, scales, sizes, declared
// input dims): a product or sum that leaves int64 (undefined behaviour, and a wrapped value can
// size a buffer too small) or a float that has no int64 value is refused with an error that names
// the node, instead of giving a negative or wrapped dim.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ir/infer.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

ir::ValueType f32(SymShape s) { return ir::ValueType::tensor(DType::kFloat32, std::move(s)); }
ir::ValueType i64t(SymShape s) { return ir::ValueType::tensor(DType::kInt64, std::move(s)); }
Tensor i64v(std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, {static_cast<int64_t>(v.size())}, v); }
Tensor f32v(std::vector<float> v) { return make_tensor<float>(DType::kFloat32, {static_cast<int64_t>(v.size())}, v); }

// Expects inference to fail with a message containing `what`.
void expect_refused(const InferResult& r, const std::string& what) {
  ASSERT_FALSE(r.status.is_ok()) << "inferred " << (r.outputs.empty() ? std::string("nothing") : shape_to_string(r.outputs[0].shape));
  EXPECT_NE(r.status.message().find(what), std::string::npos) << r.status.message();
}

TEST(OverflowInfer, ConstantOfShapeAndExpandRefuseElementCountsPastInt64) {
  SymbolTable syms;
  const int64_t big = int64_t{1} << 32;
  Tensor shape = i64v({big, big, 2});
  expect_refused(infer_node(NodeBuilder("ConstantOfShape", 9).build(), {i64t({3})}, 1, &syms, {shape}),
                 "overflows int64");
  expect_refused(infer_node(NodeBuilder("Expand", 13).build(), {f32({1, 1}), i64t({3})}, 1, &syms, {Tensor(), shape}),
                 "overflows int64");
  // The input's own dims take part: [big, 1] expanded by [1, big] is big * big.
  Tensor half = i64v({1, big});
  expect_refused(infer_node(NodeBuilder("Expand", 13).build(), {f32({big, 1}), i64t({2})}, 1, &syms, {Tensor(), half}),
                 "overflows int64");
  // Negative dims stay errors; an empty shape with huge dims is fine (zero elements).
  Tensor neg = i64v({2, -3});
  expect_refused(infer_node(NodeBuilder("ConstantOfShape", 9).build(), {i64t({2})}, 1, &syms, {neg}), "negative");
  Tensor empty = i64v({big, big, 0});
  auto r = infer_node(NodeBuilder("ConstantOfShape", 9).build(), {i64t({3})}, 1, &syms, {empty});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{big, big, 0}));
  Tensor fine = i64v({3, 4});
  r = infer_node(NodeBuilder("Expand", 13).build(), {f32({1, 4}), i64t({2})}, 1, &syms, {Tensor(), fine});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{3, 4}));
}

TEST(OverflowInfer, ConcatRefusesAxisSumsAndCountsPastInt64) {
  SymbolTable syms;
  auto cat = NodeBuilder("Concat", 13).attr_i("axis", 1).build();
  // The sum itself leaves int64 (used to wrap to a negative dim).
  expect_refused(infer_node(cat, {f32({0, kMax}), f32({0, 1})}, 1, &syms), "overflows int64");
  // Three inputs whose sum wraps all the way round to a small positive dim.
  const int64_t third = (int64_t{1} << 62) + 1;
  expect_refused(infer_node(cat, {f32({0, third}), f32({0, third}), f32({0, third}), f32({0, third})}, 1, &syms),
                 "overflows int64");
  // The sum fits but the output's element count does not.
  const int64_t quarter = int64_t{1} << 61;
  expect_refused(infer_node(cat, {f32({4, quarter}), f32({4, quarter})}, 1, &syms), "overflows int64");
  auto r = infer_node(cat, {f32({2, 3}), f32({2, 5})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2, 8}));
}

// Steps, starts and ends at the int64 extremes: counts computed without overflow.
TEST(OverflowInfer, SliceStepsAndBoundsAtInt64Extremes) {
  SymbolTable syms;
  auto slice = [&](int64_t dim, int64_t start, int64_t end, int64_t step) -> int64_t {
    Tensor s = i64v({start}), e = i64v({end}), a = i64v({0}), st = i64v({step});
    auto r = infer_node(NodeBuilder("Slice", 13).build(), {f32({dim}), i64t({1}), i64t({1}), i64t({1}), i64t({1})},
                        1, &syms, {Tensor(), s, e, a, st});
    EXPECT_TRUE(r.status.is_ok()) << r.status.to_string();
    return r.status.is_ok() ? r.outputs[0].shape[0].value() : -100;
  };
  EXPECT_EQ(slice(3, 0, 3, kMax), 1);          // end - start + step - 1 used to overflow
  EXPECT_EQ(slice(3, 0, kMax, kMax), 1);
  EXPECT_EQ(slice(3, kMin, kMax, kMax - 1), 1);
  EXPECT_EQ(slice(3, 2, kMin, kMin), 1);       // -step has no int64 value
  EXPECT_EQ(slice(3, kMax, kMin, kMin), 1);
  EXPECT_EQ(slice(3, kMax, kMin, -1), 3);
  EXPECT_EQ(slice(3, kMax, kMin, kMin + 1), 1);
  EXPECT_EQ(slice(0, kMax, kMin, kMin), 0);
  EXPECT_EQ(slice(7, kMin, kMax, 3), 3);
  EXPECT_EQ(slice(7, 6, kMin, -3), 3);
}

// Range was already guarded (128-bit integer count, NaN / huge checks for floats); locked in here.
TEST(OverflowInfer, RangeCountsThatHaveNoInt64ValueAreRefused) {
  SymbolTable syms;
  auto range = [&](const Tensor& s, const Tensor& l, const Tensor& d) {
    const ir::ValueType t = ir::ValueType::tensor(s.dtype(), SymShape{});
    return infer_node(NodeBuilder("Range", 11).build(), {t, t, t}, 1, &syms, {s, l, d});
  };
  auto i = [](int64_t v) { return make_tensor<int64_t>(DType::kInt64, {}, {v}); };
  auto f = [](float v) { return make_tensor<float>(DType::kFloat32, {}, {v}); };
  expect_refused(range(i(kMin), i(kMax), i(1)), "too large");
  expect_refused(range(i(0), i(5), i(0)), "delta is 0");
  expect_refused(range(f(0), f(INFINITY), f(1)), "too large");
  expect_refused(range(f(0), f(NAN), f(1)), "NaN");
  expect_refused(range(f(0), f(1e30f), f(1e-30f)), "too large");
  auto r = range(i(kMin), i(kMax), i(kMax));  // (2^64 - 1) / (2^63 - 1) rounds up to 3
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{3}));
  r = range(f(0), f(-INFINITY), f(1));
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{0}));
}

TEST(OverflowInfer, ResizeScalesAndSizesWithoutInt64OutputDimsAreRefused) {
  SymbolTable syms;
  const Dim batch = Dim::symbol(syms.intern("batch"));
  const ir::ValueType none;
  auto resize19 = NodeBuilder("Resize", 19).build();
  // Partly symbolic X takes another path than resize_plan: NaN, infinite, negative and huge scales
  // were converted to int64 unchecked.
  for (float bad : {NAN, INFINITY, -2.0f, 1e30f})
    expect_refused(infer_node(resize19, {f32({batch, 3, 4, 5}), none, f32({4})}, 1, &syms,
                              {Tensor(), Tensor(), f32v({1, 1, bad, 1})}),
                   bad == 1e30f ? "too large" : "must be positive");
  // ... and negative sizes became negative dims.
  expect_refused(infer_node(resize19, {f32({batch, 3, 4, 5}), none, none, i64t({4})}, 1, &syms,
                            {Tensor(), Tensor(), Tensor(), i64v({1, 3, -4, 5})}),
                 "negative");
  // keep_aspect_ratio_policy: the scale from one axis's size multiplies the other axis's dim.
  auto not_smaller = NodeBuilder("Resize", 19).attr_ints("axes", {2, 3}).attr_s("keep_aspect_ratio_policy", "not_smaller").build();
  expect_refused(infer_node(not_smaller, {f32({1, 1, 1, 4}), none, none, i64t({2})}, 1, &syms,
                            {Tensor(), Tensor(), Tensor(), i64v({kMax, 1})}),
                 "too large");
  // Every dim fits, their product does not.
  const float s = static_cast<float>(int64_t{1} << 20);
  expect_refused(infer_node(resize19, {f32({1, 1, 1 << 20, 1 << 20}), none, f32({4})}, 1, &syms,
                            {Tensor(), Tensor(), f32v({1, 1, s, s})}),
                 "overflows int64");
  expect_refused(infer_node(resize19, {f32({batch, 1, 1 << 20, 1 << 20}), none, f32({4})}, 1, &syms,
                            {Tensor(), Tensor(), f32v({1, 1, s, s})}),
                 "overflows int64");
  // Ordinary scales still infer.
  auto r = infer_node(resize19, {f32({batch, 3, 4, 5}), none, f32({4})}, 1, &syms, {Tensor(), Tensor(), f32v({1, 1, 2, 0.5f})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, 3, 8, 2}));
}

TEST(OverflowInfer, AttentionPastPlusNewSequenceLengthPastInt64IsRefused) {
  SymbolTable syms;
  auto r = infer_node(NodeBuilder("Attention", 23).build(),
                      {f32({1, 2, 3, 8}), f32({1, 2, 1, 8}), f32({1, 2, 1, 8}), ir::ValueType(), f32({1, 2, kMax, 8}),
                       f32({1, 2, kMax, 8})},
                      4, &syms);
  expect_refused(r, "overflows int64");
  // The largest sum that fits is kept (batch 0: no elements, so any sequence length can exist).
  r = infer_node(NodeBuilder("Attention", 23).build(),
                 {f32({0, 2, 3, 8}), f32({0, 2, 1, 8}), f32({0, 2, 1, 8}), ir::ValueType(), f32({0, 2, kMax - 1, 8}),
                  f32({0, 2, kMax - 1, 8})},
                 2, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[1].shape, (SymShape{0, 2, kMax, 8}));
}

// Sums of model-given sizes: Split's split sizes and FeatureVectorizer's inputdimensions.
TEST(OverflowInfer, SplitSizesAndFeatureVectorizerDimsSummingPastInt64AreRefused) {
  SymbolTable syms;
  expect_refused(infer_node(NodeBuilder("Split", 13).build(), {f32({2, 4}), i64t({2})}, 2, &syms,
                            {Tensor(), i64v({kMax, kMax})}),
                 "sums past int64");
  const ir::Node fv = NodeBuilder("FeatureVectorizer", 1, "ai.onnx.ml").attr_ints("inputdimensions", {kMax, 2}).build();
  expect_refused(infer_node(fv, {f32({1, 3}), f32({1, 2})}, 1, &syms),
                 "sum past int64");
}

}  // namespace
}  // namespace onnxrt::testing
