// Shape inference of the signal family: exact with constant lengths, symbolic dims kept or
// replaced by fresh ones where a length is only known at run time, dynamic NMS output, errors.
#include <gtest/gtest.h>

#include "ir/infer.h"
#include "ir/op_families.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using Result = InferResult;

// `values[i]` (undefined: not a constant) gives the known value of input i.
Result infer(const ir::Node& node, std::vector<ir::ValueType> in, std::vector<Tensor> values, SymbolTable* syms) {
  return infer_node(node, in, 1, syms, values);
}

ir::ValueType f32(SymShape s) { return ir::ValueType::tensor(DType::kFloat32, std::move(s)); }
ir::ValueType i64t() { return ir::ValueType::tensor(DType::kInt64, {}); }
Tensor i64(int64_t v) { return make_tensor<int64_t>(DType::kInt64, {}, {v}); }

TEST(SignalInfer, Dft) {
  SymbolTable syms;
  const Dim batch = Dim::symbol(syms.intern("batch")), len = Dim::symbol(syms.intern("len"));
  // Opset 20, default axis -2: the length dim keeps its symbol; real input becomes complex.
  auto r = infer(NodeBuilder("DFT", 20).build(), {f32({batch, len, 1})}, {}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, len, 2}));
  // Onesided with a constant dft_length; axis input 1.
  r = infer(NodeBuilder("DFT", 20).attr_i("onesided", 1).build(), {f32({batch, 10, 7, 1}), i64t(), i64t()},
            {Tensor(), i64(16), i64(1)}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, 9, 7, 2}));
  // Inverse one-sided: 2 * (6 - 1) real samples. Opset 17 axis attribute.
  r = infer(NodeBuilder("DFT", 17).attr_i("onesided", 1).attr_i("inverse", 1).attr_i("axis", 1).build(),
            {f32({1, 6, 10, 2})}, {}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 10, 10, 1}));
  // Axis only known at run time: signal dims fresh.
  r = infer(NodeBuilder("DFT", 20).build(), {f32({batch, 8, 2}), ir::ValueType(), i64t()}, {}, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_TRUE(r.outputs[0].shape[0].is_symbol());
  EXPECT_NE(r.outputs[0].shape[0], batch);
  EXPECT_EQ(r.outputs[0].shape[2], Dim(2));
  // Errors: axis on the complex dim, last dim 3, integer input.
  EXPECT_FALSE(infer(NodeBuilder("DFT", 20).build(), {f32({4, 8, 2}), ir::ValueType(), i64t()}, {Tensor(), Tensor(), i64(2)},
                     &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("DFT", 20).build(), {f32({4, 8, 3})}, {}, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("DFT", 20).build(), {ir::ValueType::tensor(DType::kInt32, {4, 8, 1})}, {}, &syms)
                   .status.is_ok());
}

TEST(SignalInfer, StftWindowsMelNms) {
  SymbolTable syms;
  const Dim batch = Dim::symbol(syms.intern("batch"));
  auto r = infer(NodeBuilder("STFT", 17).build(), {f32({batch, 128, 1}), i64t(), ir::ValueType(), i64t()},
                 {Tensor(), i64(8), Tensor(), i64(16)}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, 15, 9, 2}));
  r = infer(NodeBuilder("STFT", 17).attr_i("onesided", 0).build(), {f32({batch, 128, 2}), i64t(), f32({16})},
            {Tensor(), i64(8)}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, 15, 16, 2}));
  // Frame step unknown: frames fresh.
  r = infer(NodeBuilder("STFT", 17).build(), {f32({batch, 128, 1}), i64t(), f32({16})}, {}, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_TRUE(r.outputs[0].shape[1].is_symbol());
  // Window and frame_length disagree; frame longer than the signal.
  EXPECT_FALSE(infer(NodeBuilder("STFT", 17).build(), {f32({1, 128, 1}), i64t(), f32({16}), i64t()},
                     {Tensor(), i64(8), Tensor(), i64(15)}, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("STFT", 17).build(), {f32({1, 12, 1}), i64t(), f32({16})}, {Tensor(), i64(8)}, &syms)
                   .status.is_ok());

  r = infer(NodeBuilder("HannWindow", 17).attr_i("output_datatype", 11).build(), {i64t()}, {i64(10)}, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kFloat64);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{10}));
  r = infer(NodeBuilder("BlackmanWindow", 17).build(), {i64t()}, {}, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_TRUE(r.outputs[0].shape[0].is_symbol());
  EXPECT_FALSE(infer(NodeBuilder("HammingWindow", 17).attr_i("output_datatype", 8).build(), {i64t()}, {i64(4)}, &syms)
                   .status.is_ok());

  r = infer(NodeBuilder("MelWeightMatrix", 17).build(), {i64t(), i64t(), i64t(), f32({}), f32({})},
            {i64(8), i64(16), i64(8192)}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{9, 8}));

  r = infer(NodeBuilder("NonMaxSuppression", 11).build(), {f32({batch, 6, 4}), f32({batch, 2, 6})}, {}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_TRUE(r.dynamic);
  EXPECT_EQ(r.outputs[0].dtype, DType::kInt64);
  EXPECT_EQ(r.outputs[0].shape[1], Dim(3));
  EXPECT_FALSE(infer(NodeBuilder("NonMaxSuppression", 11).build(), {f32({1, 6, 5}), f32({1, 2, 6})}, {}, &syms)
                   .status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("NonMaxSuppression", 11).build(), {f32({1, 6, 4}), f32({1, 2, 7})}, {}, &syms)
                   .status.is_ok());
}

}  // namespace
}  // namespace onnxrt::testing
