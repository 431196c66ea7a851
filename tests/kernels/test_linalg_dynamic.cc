// MatMul and Gemm with non-constant B. The harness hands every input to create() as a constant,
// so the packed-weights path is what expect_matches_reference exercises; here create() sees no
// constants and run() must multiply the B it is given.
#include <gtest/gtest.h>

#include <random>

#include "ir/infer.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

// Runs the CPU kernel with no constant inputs; compares with the reference via the harness.
void check_dynamic(const ir::Node& node, const std::vector<Tensor>& inputs, double tol = 1e-4) {
  auto ref = run_node(kernels::Backend::kReference, node, inputs, 1);
  ASSERT_TRUE(ref.has_value()) << ref.status().to_string();
  std::vector<ir::ValueType> types;
  for (const Tensor& t : inputs) types.push_back(ir::ValueType::tensor(t.dtype(), to_sym_shape(t.shape())));
  std::vector<const ir::ValueType*> tp;
  std::vector<const Tensor*> ptrs, no_constants(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    tp.push_back(inputs[i].defined() ? &types[i] : nullptr);
    ptrs.push_back(inputs[i].defined() ? &inputs[i] : nullptr);
  }
  const ir::ValueType out_type = ir::ValueType::tensor((*ref)[0].dtype(), to_sym_shape((*ref)[0].shape()));
  const ir::ValueType* op[] = {&out_type};
  const kernels::KernelEntry* e = kernels::find_kernel(kernels::Backend::kCpu, "", node.op_type,
                                                       node.opset, inputs[0].dtype());
  ASSERT_NE(e, nullptr);
  kernels::KernelInit init{node, tp, no_constants, op};
  auto k = e->factory(init);
  ASSERT_TRUE(k.has_value()) << k.status().to_string();
  FixedKernelContext ctx(node, ptrs, Tensor::allocate((*ref)[0].dtype(), (*ref)[0].shape()));
  ASSERT_TRUE((*k)->run(ctx).is_ok());
  EXPECT_TRUE(tensors_close(ctx.out(), (*ref)[0], tol, tol)) << node.op_type;
}

TEST(LinalgDynamic, MatMulAndGemmWithoutConstants) {
  std::mt19937 rng(5);
  auto mm = NodeBuilder("MatMul", 13).build();
  for (auto [a, b] : std::vector<std::pair<Shape, Shape>>{
           {{3, 4}, {4, 5}}, {{1, 300}, {300, 70}}, {{2, 70, 40}, {40, 33}}, {{5}, {5, 2}}}) {
    check_dynamic(mm, {random_tensor(DType::kFloat32, a, rng), random_tensor(DType::kFloat32, b, rng)});
  }
  for (int t = 0; t < 4; ++t) {
    auto g = NodeBuilder("Gemm", 13).attr_i("transA", t & 1).attr_i("transB", (t >> 1) & 1)
                 .attr_f("alpha", 0.5f).attr_f("beta", 2.f).build();
    const int64_t M = 37, N = 45, K = 300;
    check_dynamic(g, {random_tensor(DType::kFloat32, t & 1 ? Shape{K, M} : Shape{M, K}, rng),
                      random_tensor(DType::kFloat32, t & 2 ? Shape{N, K} : Shape{K, N}, rng),
                      random_tensor(DType::kFloat32, {N}, rng)});
  }
}

TEST(LinalgDynamic, HalfPrecisionWithoutConstants) {
  std::mt19937 rng(6);
  auto mm = NodeBuilder("MatMul", 13).build();
  auto g = NodeBuilder("Gemm", 13).attr_i("transB", 1).build();
  for (DType dt : {DType::kFloat16, DType::kBFloat16}) {
    const double tol = dt == DType::kFloat16 ? 2e-2 : 1e-1;
    check_dynamic(mm, {random_tensor(dt, {2, 9, 40}, rng), random_tensor(dt, {40, 13}, rng)}, tol);
    check_dynamic(g, {random_tensor(dt, {9, 40}, rng), random_tensor(dt, {13, 40}, rng),
                      random_tensor(dt, {13}, rng)}, tol);
  }
}

}  // namespace
}  // namespace onnxrt::testing
