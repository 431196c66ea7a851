// Shape inference of the ai.onnx.ml family: batch dims kept (symbolic too), widths from the
// attributes, map/sequence output types, errors on bad input.
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

ir::ValueType t(DType d, SymShape s) { return ir::ValueType::tensor(d, std::move(s)); }
::testing::AssertionResult same(const ir::ValueType& a, const ir::ValueType& b) {
  if (a.kind == b.kind && a.dtype == b.dtype && a.has_shape == b.has_shape && a.shape == b.shape)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << ir::type_string(a) << " vs " << ir::type_string(b);
}
NodeBuilder ml(const char* op, int opset = 1) { return NodeBuilder(op, opset, "ai.onnx.ml"); }

TEST(MlInfer, ClassifiersAndRegressors) {
  SymbolTable syms;
  const Dim n = Dim::symbol(syms.intern("n"));
  auto r = infer(ml("LinearClassifier").attr_floats("coefficients", {1, 2, 3, 4, 5, 6}).attr_floats("intercepts", {0, 0})
                     .attr_ints("classlabels_ints", {0, 1}).build(),
                 {t(DType::kFloat32, {n, 3})}, 2, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{n}));
  EXPECT_EQ(r.outputs[0].dtype, DType::kInt64);
  EXPECT_EQ(r.outputs[1].shape, (SymShape{n, 2}));
  // One coefficient row for two string labels widens to two score columns.
  r = infer(ml("LinearClassifier").attr_floats("coefficients", {1, 2}).attr_floats("intercepts", {0})
                .attr_strings("classlabels_strings", {"a", "b"}).build(),
            {t(DType::kFloat64, {4, 2})}, 2, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kString);
  EXPECT_EQ(r.outputs[1].shape, (SymShape{4, 2}));
  // Coefficients that do not fit the features are an error.
  r = infer(ml("LinearClassifier").attr_floats("coefficients", {1, 2, 3}).attr_floats("intercepts", {0, 0})
                .attr_ints("classlabels_ints", {0, 1}).build(),
            {t(DType::kFloat32, {n, 2})}, 2, &syms);
  EXPECT_FALSE(r.status.is_ok());
  r = infer(ml("TreeEnsembleRegressor", 3).attr_i("n_targets", 3).build(), {t(DType::kFloat32, {n, 7})}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{n, 3}));
  r = infer(ml("TreeEnsembleClassifier", 3).attr_ints("classlabels_int64s", {4, 5, 6}).build(), {t(DType::kInt32, {9})}, 2, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1}));
  EXPECT_EQ(r.outputs[1].shape, (SymShape{1, 3}));
  r = infer(ml("TreeEnsemble", 5).attr_ints("leaf_targetids", {0, 4}).build(), {t(DType::kFloat64, {n, 2})}, 1, &syms);
  EXPECT_TRUE(same(r.outputs[0], t(DType::kFloat64, {n, 5})));
  EXPECT_FALSE(infer(ml("TreeEnsemble", 5).build(), {t(DType::kInt64, {n, 2})}, 1, &syms).status.is_ok());
  r = infer(ml("SVMClassifier").attr_ints("vectors_per_class", {1, 1, 1}).attr_ints("classlabels_ints", {0, 1, 2}).build(),
            {t(DType::kFloat32, {n, 2})}, 2, &syms);
  EXPECT_EQ(r.outputs[1].shape, (SymShape{n, 3}));
  r = infer(ml("SVMRegressor").build(), {t(DType::kFloat32, {n, 2})}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{n, 1}));
}

TEST(MlInfer, ElementwiseAndMapping) {
  SymbolTable syms;
  const Dim n = Dim::symbol(syms.intern("n"));
  auto r = infer(ml("Scaler").build(), {t(DType::kInt64, {n, 3})}, 1, &syms);
  EXPECT_TRUE(same(r.outputs[0], t(DType::kFloat32, {n, 3})));
  r = infer(ml("OneHotEncoder").attr_strings("cats_strings", {"a", "b"}).build(), {t(DType::kString, {n, 1})}, 1, &syms);
  EXPECT_TRUE(same(r.outputs[0], t(DType::kFloat32, {n, 1, 2})));
  r = infer(ml("ArrayFeatureExtractor").build(), {t(DType::kString, {n, 5}), t(DType::kInt64, {2})}, 1, &syms);
  EXPECT_TRUE(same(r.outputs[0], t(DType::kString, {n, 2})));
  r = infer(ml("ArrayFeatureExtractor").build(), {t(DType::kFloat32, {5}), t(DType::kInt64, {3})}, 1, &syms);
  EXPECT_TRUE(same(r.outputs[0], t(DType::kFloat32, {1, 3})));
  r = infer(ml("LabelEncoder", 2).attr_strings("keys_strings", {"a"}).attr_floats("values_floats", {1}).build(),
            {t(DType::kString, {n})}, 1, &syms);
  EXPECT_TRUE(same(r.outputs[0], t(DType::kFloat32, {n})));
  EXPECT_FALSE(infer(ml("LabelEncoder", 2).attr_strings("keys_strings", {"a"}).build(), {t(DType::kString, {n})}, 1, &syms).status.is_ok());
  r = infer(ml("FeatureVectorizer").attr_ints("inputdimensions", {2, 3}).build(),
            {t(DType::kFloat32, {n, 2}), t(DType::kInt32, {n, 3})}, 1, &syms);
  EXPECT_TRUE(same(r.outputs[0], t(DType::kFloat32, {n, 5})));
  EXPECT_FALSE(infer(ml("Normalizer").attr_s("norm", "L9").build(), {t(DType::kFloat32, {n, 2})}, 1, &syms).status.is_ok());
  EXPECT_FALSE(infer(ml("Binarizer").build(), {t(DType::kString, {n})}, 1, &syms).status.is_ok());
  EXPECT_FALSE(infer(ml("CategoryMapper").attr_ints("cats_int64s", {1}).build(), {t(DType::kString, {n})}, 1, &syms).status.is_ok());
}

TEST(MlInfer, MapsAndSequences) {
  SymbolTable syms;
  auto r = infer(ml("ZipMap").attr_ints("classlabels_int64s", {1, 2}).build(), {t(DType::kFloat32, {4, 2})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(ir::type_string(r.outputs[0]).rfind("seq(map(int64", 0), 0u) << ir::type_string(r.outputs[0]);
  EXPECT_TRUE(r.dynamic);
  EXPECT_FALSE(infer(ml("ZipMap").build(), {t(DType::kFloat32, {4, 2})}, 1, &syms).status.is_ok());
  ir::ValueType map;
  map.kind = ir::TypeKind::kMap;
  map.dtype = DType::kString;
  map.elem = std::make_shared<ir::ValueType>(ir::ValueType::tensor_unknown_rank(DType::kFloat64));
  r = infer(ml("DictVectorizer").attr_strings("string_vocabulary", {"a", "b", "c"}).build(), {map}, 1, &syms);
  EXPECT_TRUE(same(r.outputs[0], t(DType::kFloat64, {1, 3})));
  r = infer(ml("CastMap").attr_s("map_form", "SPARSE").attr_i("max_map", 4).attr_s("cast_to", "TO_STRING").build(), {map}, 1, &syms);
  EXPECT_TRUE(same(r.outputs[0], t(DType::kString, {1, 4})));
  EXPECT_FALSE(infer(ml("CastMap").attr_s("cast_to", "TO_X").build(), {map}, 1, &syms).status.is_ok());
}

}  // namespace
}  // namespace onnxrt::testing
