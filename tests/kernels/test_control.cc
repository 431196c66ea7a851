// Sequence and optional kernels, run through eval_node_values on both backends (they share one
// kernel, so pinned values carry the weight), plus their error paths.
#include <gtest/gtest.h>

#include <random>

#include "kernels/eval_node.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

Expected<std::vector<Value>> eval(const ir::Node& node, const std::vector<Value>& inputs, size_t num_outputs,
                                  std::vector<bool> omitted = {}) {
  std::vector<const Value*> ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) ptrs.push_back(i < omitted.size() && omitted[i] ? nullptr : &inputs[i]);
  auto cpu = kernels::eval_node_values(kernels::Backend::kCpu, node, ptrs, num_outputs, test_pool());
  auto ref = kernels::eval_node_values(kernels::Backend::kReference, node, ptrs, num_outputs, test_pool());
  EXPECT_EQ(cpu.has_value(), ref.has_value());
  return cpu;
}

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }
Tensor i64(Shape s, std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, std::move(s), v); }

std::vector<float> floats(const Value& v) {
  EXPECT_TRUE(v.is_tensor()) << v.describe();
  if (!v.is_tensor()) return {};
  return {v.tensor().data<float>(), v.tensor().data<float>() + v.tensor().size()};
}

Value seq3() { return Value::sequence({f32({1}, {1}), f32({2}, {2, 3}), f32({1}, {4})}); }

TEST(ControlKernels, ConstructAtInsertEraseLength) {
  auto r = eval(NodeBuilder("SequenceConstruct", 11).build(), {f32({1}, {1}), f32({2}, {2, 3})}, 1);
  ASSERT_TRUE(r) << r.status().to_string();
  ASSERT_TRUE((*r)[0].is_sequence());
  EXPECT_EQ((*r)[0].sequence().size(), 2u);

  r = eval(NodeBuilder("SequenceAt", 11).build(), {seq3(), i64({}, {-2})}, 1);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(floats((*r)[0]), (std::vector<float>{2, 3}));
  r = eval(NodeBuilder("SequenceAt", 11).build(), {seq3(), i64({}, {3})}, 1);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("out of range"), std::string::npos);

  // Insert at the front, at the back (default), and at -1 (before the last).
  r = eval(NodeBuilder("SequenceInsert", 11).build(), {seq3(), f32({1}, {9}), i64({}, {0})}, 1);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(floats((*r)[0].sequence()[0]), (std::vector<float>{9}));
  r = eval(NodeBuilder("SequenceInsert", 11).build(), {seq3(), f32({1}, {9})}, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(floats((*r)[0].sequence()[3]), (std::vector<float>{9}));
  r = eval(NodeBuilder("SequenceInsert", 11).build(), {seq3(), f32({1}, {9}), i64({}, {-1})}, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(floats((*r)[0].sequence()[2]), (std::vector<float>{9}));
  r = eval(NodeBuilder("SequenceInsert", 11).build(), {seq3(), i64({1}, {9})}, 1);
  ASSERT_FALSE(r);  // int64 into a float sequence

  r = eval(NodeBuilder("SequenceErase", 11).build(), {seq3()}, 1);
  ASSERT_TRUE(r);
  ASSERT_EQ((*r)[0].sequence().size(), 2u);
  EXPECT_EQ(floats((*r)[0].sequence()[1]), (std::vector<float>{2, 3}));
  r = eval(NodeBuilder("SequenceErase", 11).build(), {seq3(), i64({}, {0})}, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(floats((*r)[0].sequence()[0]), (std::vector<float>{2, 3}));
  r = eval(NodeBuilder("SequenceErase", 11).build(), {Value::sequence({})}, 1);
  ASSERT_FALSE(r);

  r = eval(NodeBuilder("SequenceLength", 11).build(), {seq3()}, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].tensor().data<int64_t>()[0], 3);
  r = eval(NodeBuilder("SequenceEmpty", 11).attr_i("dtype", 7).build(), {}, 1);
  ASSERT_TRUE(r);
  EXPECT_TRUE((*r)[0].is_sequence());
  EXPECT_TRUE((*r)[0].sequence().empty());
}

TEST(ControlKernels, SplitToSequence) {
  const Tensor x = f32({2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  // Scalar split: chunks of 2 along axis 1, the last one of 1.
  auto r = eval(NodeBuilder("SplitToSequence", 11).attr_i("axis", -1).build(), {x, i64({}, {2})}, 1);
  ASSERT_TRUE(r) << r.status().to_string();
  ASSERT_EQ((*r)[0].sequence().size(), 3u);
  EXPECT_EQ(floats((*r)[0].sequence()[0]), (std::vector<float>{0, 1, 5, 6}));
  EXPECT_EQ((*r)[0].sequence()[2].tensor().shape(), (Shape{2, 1}));
  // 1-D split sizes, including a zero-size piece.
  r = eval(NodeBuilder("SplitToSequence", 11).attr_i("axis", 1).build(), {x, i64({3}, {3, 0, 2})}, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].sequence()[1].tensor().shape(), (Shape{2, 0}));
  EXPECT_EQ(floats((*r)[0].sequence()[2]), (std::vector<float>{3, 4, 8, 9}));
  r = eval(NodeBuilder("SplitToSequence", 11).attr_i("axis", 1).build(), {x, i64({2}, {3, 3})}, 1);
  ASSERT_FALSE(r);
  // No split, keepdims=0: one piece per row, the axis dropped.
  r = eval(NodeBuilder("SplitToSequence", 11).attr_i("keepdims", 0).build(), {x}, 1);
  ASSERT_TRUE(r);
  ASSERT_EQ((*r)[0].sequence().size(), 2u);
  EXPECT_EQ((*r)[0].sequence()[1].tensor().shape(), (Shape{5}));
  EXPECT_EQ(floats((*r)[0].sequence()[1]), (std::vector<float>{5, 6, 7, 8, 9}));
  // Zero-size axis: an empty sequence.
  r = eval(NodeBuilder("SplitToSequence", 11).build(), {f32({0, 3}, {})}, 1);
  ASSERT_TRUE(r);
  EXPECT_TRUE((*r)[0].sequence().empty());
}

TEST(ControlKernels, ConcatFromSequenceMatchesSplitRoundTrip) {
  std::mt19937 rng(3);
  for (DType dt : {DType::kFloat32, DType::kInt64, DType::kFloat16, DType::kBool}) {
    for (Shape shape : {Shape{4, 3}, Shape{1, 7, 2}, Shape{5}}) {
      const Tensor x = random_tensor(dt, shape, rng, -5, 5);
      for (int64_t axis = -static_cast<int64_t>(shape.size()); axis < static_cast<int64_t>(shape.size()); ++axis) {
        auto parts = eval(NodeBuilder("SplitToSequence", 11).attr_i("axis", axis).build(), {x, i64({}, {2})}, 1);
        ASSERT_TRUE(parts) << parts.status().to_string();
        auto back = eval(NodeBuilder("ConcatFromSequence", 11).attr_i("axis", axis).build(), {(*parts)[0]}, 1);
        ASSERT_TRUE(back) << back.status().to_string();
        EXPECT_TRUE(tensors_close((*back)[0].tensor(), x, 0, 0));
      }
    }
  }
  // new_axis=1 stacks; axis may be rank (append a last axis).
  auto r = eval(NodeBuilder("ConcatFromSequence", 11).attr_i("axis", 1).attr_i("new_axis", 1).build(),
                {Value::sequence({f32({2}, {1, 2}), f32({2}, {3, 4})})}, 1);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ((*r)[0].tensor().shape(), (Shape{2, 2}));
  EXPECT_EQ(floats((*r)[0]), (std::vector<float>{1, 3, 2, 4}));
  r = eval(NodeBuilder("ConcatFromSequence", 11).attr_i("axis", 0).build(),
           {Value::sequence({f32({2}, {1, 2}), f32({1, 2}, {3, 4})})}, 1);
  ASSERT_FALSE(r);
  r = eval(NodeBuilder("ConcatFromSequence", 11).attr_i("axis", 0).build(), {Value::sequence({})}, 1);
  ASSERT_FALSE(r);
}

TEST(ControlKernels, Optionals) {
  const Tensor t = f32({2}, {1, 2});
  auto r = eval(NodeBuilder("Optional", 15).build(), {t}, 1);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(floats((*r)[0]), (std::vector<float>{1, 2}));
  r = eval(NodeBuilder("OptionalHasElement", 18).build(), {Value::none()}, 1);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ((*r)[0].tensor().data<uint8_t>()[0], 0);
  r = eval(NodeBuilder("OptionalHasElement", 18).build(), {seq3()}, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].tensor().data<uint8_t>()[0], 1);
  r = eval(NodeBuilder("OptionalHasElement", 18).build(), {Value::none()}, 1, {true});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].tensor().data<uint8_t>()[0], 0);
  r = eval(NodeBuilder("OptionalGetElement", 18).build(), {seq3()}, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].sequence().size(), 3u);
  r = eval(NodeBuilder("OptionalGetElement", 18).build(), {Value::none()}, 1);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("empty optional"), std::string::npos);
  // Identity on a sequence passes the value on.
  r = eval(NodeBuilder("Identity", 16).build(), {seq3()}, 1);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ((*r)[0].sequence().size(), 3u);
}

TEST(ControlKernels, SubgraphOpsNeedAPlan) {
  // Outside a plan run_subgraph is NotImplemented: constant folding leaves such nodes alone.
  auto r = eval(NodeBuilder("SequenceMap", 17).build(), {seq3()}, 1);
  ASSERT_FALSE(r);
}

}  // namespace
}  // namespace onnxrt::testing
