// Shape inference of the strings family: exact shapes where attributes fix them, symbolic dims
// kept, fresh dims and dynamic outputs for data-dependent shapes, errors on bad input.
#include <gtest/gtest.h>

#include "ir/infer.h"
#include "ir/op_families.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using Result = InferResult;

Result infer(const ir::Node& node, std::vector<ir::ValueType> in, size_t num_outputs, SymbolTable* syms) {
  return infer_node(node, in, num_outputs, syms);
}

ir::ValueType str(SymShape s) { return ir::ValueType::tensor(DType::kString, std::move(s)); }

TEST(StringsInfer, NormalizerShapes) {
  SymbolTable syms;
  Dim c = Dim::symbol(syms.intern("C"));
  auto plain = NodeBuilder("StringNormalizer", 10).attr_s("case_change_action", "LOWER").build();
  auto r = infer(plain, {str({c})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_FALSE(r.dynamic);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{c}));

  auto stops = NodeBuilder("StringNormalizer", 10).attr_strings("stopwords", {"a"}).build();
  r = infer(stops, {str({Dim(1), Dim(4)})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_TRUE(r.dynamic);
  ASSERT_EQ(r.outputs[0].rank(), 2);
  EXPECT_EQ(r.outputs[0].shape[0], Dim(1));
  EXPECT_FALSE(r.outputs[0].shape[1].is_known());

  EXPECT_FALSE(infer(plain, {str({Dim(2), Dim(3)})}, 1, &syms).status.is_ok());
  EXPECT_FALSE(infer(plain, {str({Dim(1), Dim(2), Dim(3)})}, 1, &syms).status.is_ok());
  EXPECT_FALSE(infer(plain, {ir::ValueType::tensor(DType::kFloat32, {Dim(3)})}, 1, &syms).status.is_ok());
  auto bad = NodeBuilder("StringNormalizer", 10).attr_s("case_change_action", "TITLE").build();
  EXPECT_FALSE(infer(bad, {str({Dim(3)})}, 1, &syms).status.is_ok());
}

TEST(StringsInfer, ConcatBroadcasts) {
  SymbolTable syms;
  Dim n = Dim::symbol(syms.intern("N"));
  auto node = NodeBuilder("StringConcat", 20).build();
  auto r = infer(node, {str({n, Dim(1)}), str({Dim(3)})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{n, Dim(3)}));
  EXPECT_EQ(r.outputs[0].dtype, DType::kString);
  EXPECT_FALSE(infer(node, {str({Dim(2)}), str({Dim(3)})}, 1, &syms).status.is_ok());
}

TEST(StringsInfer, SplitIsDynamic) {
  SymbolTable syms;
  Dim n = Dim::symbol(syms.intern("N"));
  auto node = NodeBuilder("StringSplit", 20).attr_s("delimiter", ",").build();
  auto r = infer(node, {str({n, Dim(2)})}, 2, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_TRUE(r.dynamic);
  ASSERT_EQ(r.outputs[0].rank(), 3);
  EXPECT_EQ(r.outputs[0].shape[0], n);
  EXPECT_EQ(r.outputs[1].shape, (SymShape{n, Dim(2)}));
  EXPECT_EQ(r.outputs[1].dtype, DType::kInt64);
}

TEST(StringsInfer, RegexKeepsShape) {
  SymbolTable syms;
  Dim n = Dim::symbol(syms.intern("N"));
  auto node = NodeBuilder("RegexFullMatch", 20).attr_s("pattern", "a+").build();
  auto r = infer(node, {str({n})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kBool);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{n}));
}

TEST(StringsInfer, TfIdfShapes) {
  SymbolTable syms;
  Dim b = Dim::symbol(syms.intern("B"));
  auto node = NodeBuilder("TfIdfVectorizer", 9)
                  .attr_ints("ngram_counts", {0})
                  .attr_ints("ngram_indexes", {0, 4, 2})
                  .attr_ints("pool_int64s", {1, 2, 3})
                  .build();
  auto r = infer(node, {ir::ValueType::tensor(DType::kInt64, {b, Dim(7)})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, Dim(5)}));
  EXPECT_EQ(r.outputs[0].dtype, DType::kFloat32);
  r = infer(node, {ir::ValueType::tensor(DType::kInt32, {Dim(7)})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (SymShape{Dim(5)}));
  EXPECT_FALSE(infer(node, {ir::ValueType::tensor(DType::kFloat32, {Dim(7)})}, 1, &syms).status.is_ok());
  EXPECT_FALSE(infer(node, {ir::ValueType::tensor(DType::kInt64, {Dim(1), Dim(2), Dim(3)})}, 1, &syms).status.is_ok());
}

}  // namespace
}  // namespace onnxrt::testing
