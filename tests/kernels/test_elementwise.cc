// CPU element-wise kernels vs the reference kernels over swept shapes and dtypes, plus a few
// hand-computed values so that a bug shared by both cannot hide.
//
// Tolerances (float32, measured max error vs the double reference, vectorized path):
//   Add/Sub/Mul/Div/Min/Max/Relu/Neg/Abs/Clip: exact up to the final rounding (rtol 1e-6)
//   Exp, Sigmoid: <= 2 ulp (Exp results below 1e-37 are subnormal and lose bits in the
//   two-step 2^n scaling, hence atol 1e-37); Tanh, Erf: <= 3 ulp relative plus 1e-7 absolute near 0;
//   Gelu: 1e-6 relative + 1e-7 absolute (the left tail is computed via erfc, not 1 + erf).
//   Other float ops use std:: float functions (<= 1-2 ulp): atol 1e-6, rtol 1e-5.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "kernels/broadcast.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

const std::vector<std::pair<Shape, Shape>> kBinaryShapes = {
    {{}, {}},           {{0}, {0}},          {{1}, {1}},        {{7}, {7}},
    {{17}, {}},         {{}, {33}},          {{3, 0, 2}, {1}},  {{2, 3, 5}, {5}},
    {{2, 3, 5}, {3, 1}}, {{4, 1, 6}, {1, 5, 1}}, {{2, 3, 4, 5}, {1, 3, 1, 1}},
    {{5, 1}, {1, 19}},  {{70000}, {70000}},  {{300, 301}, {301}}, {{257, 300}, {257, 1}},
};

TEST(ElementwiseBroadcaster, MergesAndStrides) {
  auto bc = kernels::Broadcaster::make({Shape{2, 3, 4, 5}, Shape{1, 3, 1, 1}}, Shape{2, 3, 4, 5});
  ASSERT_TRUE(bc.has_value());
  EXPECT_EQ(bc->dims(), (std::vector<int64_t>{2, 3, 20}));
  EXPECT_EQ(bc->inner_stride(0), 1);
  EXPECT_EQ(bc->inner_stride(1), 0);
  EXPECT_FALSE(bc->all_same_shape());
  // Visit [7, 50): runs must cover exactly that range with the right offsets.
  std::vector<int64_t> seen;
  bc->for_each_run(7, 50, [&](const int64_t* off, int64_t o, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(off[0] + i, o + i);
      EXPECT_EQ(off[1], ((o + i) / 20) % 3);
      seen.push_back(o + i);
    }
  });
  ASSERT_EQ(seen.size(), 43u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<int64_t>(7 + i));
  auto same = kernels::Broadcaster::make({Shape{4, 5}, Shape{4, 5}}, Shape{4, 5});
  ASSERT_TRUE(same.has_value());
  EXPECT_TRUE(same->all_same_shape());
  EXPECT_EQ(same->dims(), (std::vector<int64_t>{20}));
  EXPECT_FALSE(kernels::Broadcaster::make({Shape{3}, Shape{4}}, Shape{4}).has_value());
  EXPECT_FALSE(kernels::Broadcaster::make({Shape{1, 4}}, Shape{4}).has_value());
}

TEST(ElementwiseBinary, ArithmeticMatchesReference) {
  std::mt19937 rng(1);
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Mod", "PRelu"}) {
    for (DType t : {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kFloat16,
                    DType::kUInt8}) {
      if (std::string(op) == "PRelu" && !dtype_is_float(t)) continue;
      auto b = NodeBuilder(op, 14);
      if (std::string(op) == "Mod") b = NodeBuilder(op, 13).attr_i("fmod", dtype_is_float(t) ? 1 : 0);
      const ir::Node node = b.build();
      for (const auto& [sa, sb] : kBinaryShapes) {
        if (std::string(op) == "PRelu") {  // slope must broadcast to X (unidirectional)
          bool uni = sb.size() <= sa.size();
          for (size_t k = 0; uni && k < sb.size(); ++k)
            uni = sb[sb.size() - 1 - k] == 1 || sb[sb.size() - 1 - k] == sa[sa.size() - 1 - k];
          if (!uni) continue;
        }
        Tensor a = random_tensor(t, sa, rng, -50, 50);
        Tensor c = random_tensor(t, sb, rng, 1, 20);  // positive divisors
        SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(t)));
        const double tol = t == DType::kFloat16 ? 1e-2 : 1e-6;
        expect_matches_reference(node, {a, c}, 1, tol, tol);
      }
    }
  }
}

// A short row repeated along the next dim, either operand (the channel-blocked squeeze-excite
// gate [N, C/8, H, W, 8] * [N, C/8, 1, 1, 8]): the repeated-row path, its span remainders, and
// the shapes just outside it (rows of 65, fewer than 4 repeats).
TEST(ElementwiseBinary, RepeatedShortRowsMatchReference) {
  std::mt19937 rng(4);
  const std::pair<Shape, Shape> shapes[] = {
      {{1, 3, 56, 56, 8}, {1, 3, 1, 1, 8}}, {{2, 5, 7, 7, 8}, {2, 5, 1, 1, 8}}, {{1, 2, 100, 64}, {1, 2, 1, 64}},
      {{3, 70, 5}, {3, 1, 5}},              {{2, 9, 65}, {2, 1, 65}},           {{2, 3, 8}, {2, 1, 8}},
      {{4, 1000, 1}, {4, 1, 1}}};
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    const ir::Node node = NodeBuilder(op, 14).build();
    for (const auto& [big, row] : shapes) {
      const Tensor a = random_tensor(DType::kFloat32, big, rng, -5, 5);
      const Tensor r = random_tensor(DType::kFloat32, row, rng, 1, 3);
      SCOPED_TRACE(std::string(op) + " " + shape_to_string(big));
      expect_matches_reference(node, {a, r}, 1, 1e-6, 1e-6);
      expect_matches_reference(node, {r, a}, 1, 1e-6, 1e-6);
    }
  }
}

// One value per row against rows of the other operand, either order ([.., M, I] op [.., M, 1]):
// the column path, in blocks of leading dims (broadcast or not), with thread chunks that start
// and end mid-block; and the shapes just outside it (fewer than 4 rows, rows of 1).
TEST(ElementwiseBinary, ColumnAgainstRowsMatchReference) {
  std::mt19937 rng(5);
  const std::pair<Shape, Shape> shapes[] = {
      {{1, 4800, 80}, {1, 4800, 1}}, {{2, 5, 7}, {2, 5, 1}},       {{3, 5, 9}, {5, 1}},  {{6, 33}, {6, 1}},
      {{4, 3, 300, 17}, {4, 1, 300, 1}}, {{2, 3, 8}, {2, 3, 1}}, {{9, 1}, {9, 1}},     {{3, 700, 2}, {3, 700, 1}}};
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    const ir::Node node = NodeBuilder(op, 14).build();
    for (const auto& [big, column] : shapes) {
      const Tensor a = random_tensor(DType::kFloat32, big, rng, -5, 5);
      const Tensor c = random_tensor(DType::kFloat32, column, rng, 1, 3);
      SCOPED_TRACE(std::string(op) + " " + shape_to_string(big) + " and " + shape_to_string(column));
      expect_matches_reference(node, {a, c}, 1, 1e-6, 1e-6);
      expect_matches_reference(node, {c, a}, 1, 1e-6, 1e-6);
    }
  }
}

TEST(ElementwiseBinary, CompareAndLogicMatchReference) {
  std::mt19937 rng(2);
  for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
    for (DType t : {DType::kFloat32, DType::kInt64, DType::kInt32}) {
      const ir::Node node = NodeBuilder(op, 16).build();
      for (const auto& [sa, sb] : kBinaryShapes) {
        Tensor a = random_tensor(t, sa, rng, -3, 3);
        Tensor c = random_tensor(t, sb, rng, -3, 3);
        expect_matches_reference(node, {a, c}, 1, 0, 0);
      }
    }
  }
  for (const char* op : {"And", "Or", "Xor"}) {
    const ir::Node node = NodeBuilder(op, 7).build();
    for (const auto& [sa, sb] : kBinaryShapes)
      expect_matches_reference(node, {random_tensor(DType::kBool, sa, rng), random_tensor(DType::kBool, sb, rng)}, 1, 0, 0);
  }
  for (const char* op : {"BitwiseAnd", "BitwiseOr", "BitwiseXor"}) {
    const ir::Node node = NodeBuilder(op, 18).build();
    expect_matches_reference(node, {random_tensor(DType::kInt32, {4, 5}, rng, -100, 100),
                                    random_tensor(DType::kInt32, {5}, rng, -100, 100)}, 1, 0, 0);
  }
  for (const char* dir : {"LEFT", "RIGHT"}) {
    const ir::Node node = NodeBuilder("BitShift", 11).attr_s("direction", dir).build();
    expect_matches_reference(node, {random_tensor(DType::kUInt32, {4, 5}, rng, 0, 1000),
                                    random_tensor(DType::kUInt32, {5}, rng, 0, 40)}, 1, 0, 0);
  }
}

TEST(ElementwiseBinary, PowMatchesReference) {
  std::mt19937 rng(3);
  const ir::Node node = NodeBuilder("Pow", 15).build();
  for (const auto& [sa, sb] : kBinaryShapes) {
    expect_matches_reference(node, {random_tensor(DType::kFloat32, sa, rng, 0.1, 3),
                                    random_tensor(DType::kFloat32, sb, rng, -3, 3)}, 1, 1e-6, 1e-5);
    expect_matches_reference(node, {random_tensor(DType::kFloat32, sa, rng, -3, 3),
                                    random_tensor(DType::kInt64, sb, rng, 0, 4)}, 1, 1e-6, 1e-5);
    expect_matches_reference(node, {random_tensor(DType::kInt64, sa, rng, -9, 9),
                                    random_tensor(DType::kInt64, sb, rng, 0, 5)}, 1, 0, 0);
  }
}

// Pow by one constant exponent runs as multiplies (elementwise_binary.cc): x^1, x^2, x^-1 and
// x^0.5 must equal the correctly rounded power exactly (including -0, infinities, NaN and subnormals); x^3 and x^4
// round twice and are held to 2 ulp. Exponents of every accepted dtype, and a [1, 1, 1]
// exponent that lifts the output's rank.
TEST(ElementwiseBinary, PowByConstantExponentIsCorrectlyRounded) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = {0.0f, -0.0f, 1.0f, -1.0f, 2.5f, -3.75f, inf, -inf,
                          std::numeric_limits<float>::quiet_NaN(), 1e-40f, -1e-40f, 3e38f, 1e-20f};
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-50.0f, 50.0f);
  for (int i = 0; i < 1000; ++i) x.push_back(u(rng));
  const int64_t n = static_cast<int64_t>(x.size());
  const ir::Node node = NodeBuilder("Pow", 15).build();
  const Tensor xt = make_tensor<float>(DType::kFloat32, {n}, x);
  for (double e : {1.0, 2.0, 3.0, 4.0, -1.0, 0.5}) {
    std::vector<Tensor> exps = {
        make_tensor<float>(DType::kFloat32, {}, {static_cast<float>(e)}),
        make_tensor<double>(DType::kFloat64, {1, 1, 1}, {e}),
    };
    if (e == std::floor(e)) {
      exps.push_back(make_tensor<int64_t>(DType::kInt64, {1}, {static_cast<int64_t>(e)}));
      exps.push_back(make_tensor<int32_t>(DType::kInt32, {}, {static_cast<int32_t>(e)}));
    }
    for (const Tensor& et : exps) {
      auto out = run_node(kernels::Backend::kCpu, node, {xt, et}, 1);
      ASSERT_TRUE(out.has_value()) << out.status().to_string();
      const Tensor& y = (*out)[0];
      ASSERT_EQ(y.size(), n);
      EXPECT_EQ(y.rank(), std::max<int64_t>(1, et.rank()));
      const bool exact = e == 1.0 || e == 2.0 || e == -1.0 || e == 0.5;
      for (int64_t i = 0; i < n; ++i) {
        // Correctly rounded: the double result rounded once to float.
        const float want = static_cast<float>(std::pow(static_cast<double>(x[i]), e));
        const float got = y.data<float>()[i];
        if (std::isnan(want)) {
          EXPECT_TRUE(std::isnan(got)) << "x=" << x[i] << " e=" << e;
        } else if (exact || std::isinf(want) || want == 0.0f) {
          EXPECT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(want))
              << "x=" << x[i] << " e=" << e << " got " << got << " want " << want;
        } else {
          EXPECT_LE(std::fabs(got - want), 2 * std::fabs(std::nextafter(want, 2 * want) - want))
              << "x=" << x[i] << " e=" << e;
        }
      }
    }
  }
}

TEST(ElementwiseBinary, HandComputed) {
  auto f = [](Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, s, v); };
  auto out = run_node(kernels::Backend::kCpu, NodeBuilder("Add", 14).build(),
                      {f({2, 3}, {1, 2, 3, 4, 5, 6}), f({3}, {10, 20, 30})}, 1);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_TRUE(tensors_close((*out)[0], f({2, 3}, {11, 22, 33, 14, 25, 36}), 0, 0));
  // Integer Div truncates toward zero; Mod fmod=0 takes the divisor's sign.
  auto i64 = [](std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, {static_cast<int64_t>(v.size())}, v); };
  out = run_node(kernels::Backend::kCpu, NodeBuilder("Div", 14).build(), {i64({7, -7, 7, -7}), i64({2, 2, -2, -2})}, 1);
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(tensors_close((*out)[0], i64({3, -3, -3, 3}), 0, 0));
  out = run_node(kernels::Backend::kCpu, NodeBuilder("Mod", 13).build(), {i64({7, -7, 7, -7}), i64({3, 3, -3, -3})}, 1);
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(tensors_close((*out)[0], i64({1, 2, -2, -1}), 0, 0));
  // Legacy (opset 6) broadcast with axis.
  out = run_node(kernels::Backend::kCpu, NodeBuilder("Mul", 6).attr_i("broadcast", 1).attr_i("axis", 0).build(),
                 {f({2, 3}, {1, 2, 3, 4, 5, 6}), f({2}, {10, 100})}, 1);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_TRUE(tensors_close((*out)[0], f({2, 3}, {10, 20, 30, 400, 500, 600}), 0, 0));
  // Max propagates NaN.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  out = run_node(kernels::Backend::kCpu, NodeBuilder("Max", 13).build(), {f({2}, {nan, 1}), f({2}, {1, nan})}, 1);
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(std::isnan((*out)[0].data<float>()[0]) && std::isnan((*out)[0].data<float>()[1]));
}

TEST(ElementwiseBinary, BadShapesAreErrors) {
  auto a = Tensor::allocate(DType::kFloat32, {3});
  auto b = Tensor::allocate(DType::kFloat32, {4});
  auto out = run_node(kernels::Backend::kCpu, NodeBuilder("Add", 14).build(), {a, b}, 1);
  EXPECT_FALSE(out.has_value());
}

TEST(ElementwiseVariadic, MatchesReference) {
  std::mt19937 rng(4);
  for (const char* op : {"Min", "Max", "Sum", "Mean"}) {
    for (DType t : {DType::kFloat32, DType::kInt64}) {
      const ir::Node node = NodeBuilder(op, 13).build();
      expect_matches_reference(node, {random_tensor(t, {3, 4}, rng, -9, 9)}, 1, 1e-6, 1e-6);
      expect_matches_reference(node, {random_tensor(t, {3, 4}, rng, -9, 9), random_tensor(t, {4}, rng, -9, 9),
                                      random_tensor(t, {2, 1, 1}, rng, -9, 9)}, 1, 1e-6, 1e-6);
    }
  }
}

TEST(ElementwiseUnary, FloatMatchesReference) {
  std::mt19937 rng(5);
  struct Case { const char* op; int opset; double lo, hi, atol, rtol; };
  const Case cases[] = {
      {"Relu", 14, -5, 5, 0, 0},         {"Neg", 13, -5, 5, 0, 0},
      {"Abs", 13, -5, 5, 0, 0},          {"Sqrt", 13, 0, 100, 0, 1e-6},
      {"Exp", 13, -90, 90, 1e-37, 3e-7},     {"Sigmoid", 13, -30, 30, 1e-7, 3e-7},
      {"Tanh", 13, -10, 10, 1e-7, 4e-7}, {"Erf", 13, -5, 5, 1e-7, 4e-7},
      {"Log", 13, 0.01, 100, 1e-6, 1e-6}, {"Gelu", 20, -12, 12, 1e-7, 1e-6},
      {"LeakyRelu", 16, -5, 5, 0, 1e-7}, {"Elu", 22, -5, 5, 1e-6, 1e-5},
      {"Selu", 22, -5, 5, 1e-6, 1e-5},   {"Celu", 12, -5, 5, 1e-6, 1e-5},
      {"HardSigmoid", 22, -5, 5, 1e-6, 1e-6}, {"HardSwish", 22, -5, 5, 1e-6, 1e-5},
      {"Softplus", 22, -30, 30, 1e-6, 1e-5}, {"Softsign", 22, -5, 5, 1e-6, 1e-5},
      {"Mish", 22, -10, 30, 1e-6, 1e-5}, {"ThresholdedRelu", 22, -3, 3, 0, 0},
      {"Floor", 13, -5, 5, 0, 0},        {"Ceil", 13, -5, 5, 0, 0},
      {"Round", 22, -5, 5, 0, 0},        {"Reciprocal", 13, 0.5, 5, 1e-6, 1e-6},
      {"Sign", 13, -5, 5, 0, 0},         {"Sin", 22, -5, 5, 1e-6, 1e-5},
      {"Cos", 22, -5, 5, 1e-6, 1e-5},    {"Tan", 22, -1, 1, 1e-6, 1e-5},
      {"Asin", 22, -1, 1, 1e-6, 1e-5},   {"Acos", 22, -1, 1, 1e-6, 1e-5},
      {"Atan", 22, -5, 5, 1e-6, 1e-5},   {"Sinh", 22, -5, 5, 1e-6, 1e-5},
      {"Cosh", 22, -5, 5, 1e-6, 1e-5},   {"Asinh", 22, -5, 5, 1e-6, 1e-5},
      {"Acosh", 22, 1, 5, 1e-6, 1e-5},   {"Atanh", 22, -0.9, 0.9, 1e-6, 1e-5},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    const ir::Node node = NodeBuilder(c.op, c.opset).build();
    for (Shape s : {Shape{}, Shape{0}, Shape{1}, Shape{15}, Shape{3, 17}, Shape{100003}}) {
      expect_matches_reference(node, {random_tensor(DType::kFloat32, s, rng, c.lo, c.hi)}, 1, c.atol, c.rtol);
    }
    expect_matches_reference(node, {random_tensor(DType::kFloat64, {33}, rng, c.lo, c.hi)}, 1,
                             c.atol, std::max(c.rtol, 1e-12));
    expect_matches_reference(node, {random_tensor(DType::kFloat16, {33}, rng, c.lo, c.hi)}, 1,
                             1e-3, 2e-3);
  }
  const ir::Node gt = NodeBuilder("Gelu", 20).attr_s("approximate", "tanh").build();
  expect_matches_reference(gt, {random_tensor(DType::kFloat32, {1001}, rng, -10, 10)}, 1, 1e-7, 1e-6);
}

TEST(ElementwiseUnary, IntegerAndBool) {
  std::mt19937 rng(6);
  for (const char* op : {"Neg", "Abs", "Relu", "Sign"})
    for (DType t : {DType::kInt32, DType::kInt64, DType::kInt8})
      expect_matches_reference(NodeBuilder(op, 14).build(), {random_tensor(t, {37}, rng, -50, 50)}, 1, 0, 0);
  expect_matches_reference(NodeBuilder("Not", 1).build(), {random_tensor(DType::kBool, {37}, rng)}, 1, 0, 0);
  expect_matches_reference(NodeBuilder("BitwiseNot", 18).build(), {random_tensor(DType::kUInt16, {37}, rng, 0, 1000)}, 1, 0, 0);
}

TEST(ElementwiseUnary, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> v = {0.0f, -0.0f, inf, -inf, nan, 1e-30f, -1e-30f, 88.7f, 89.0f, -87.0f, -104.0f, -120.0f, 4.0f, -4.0f, 0.625f, 1.0f, -1.0f};
  const Tensor x = make_tensor<float>(DType::kFloat32, {static_cast<int64_t>(v.size())}, v);
  for (const char* op : {"Relu", "Exp", "Sigmoid", "Tanh", "Erf", "Gelu", "Abs", "Neg", "Sqrt"}) {
    SCOPED_TRACE(op);
    expect_matches_reference(NodeBuilder(op, op == std::string("Gelu") ? 20 : 13).build(), {x}, 1, 1e-7, 4e-7);
  }
  expect_matches_reference(NodeBuilder("IsNaN", 20).build(), {x}, 1, 0, 0);
  expect_matches_reference(NodeBuilder("IsInf", 20).attr_i("detect_negative", 0).build(), {x}, 1, 0, 0);
}

TEST(ElementwiseUnary, HandComputed) {
  const Tensor x = make_tensor<float>(DType::kFloat32, {4}, {-1.0f, 0.0f, 1.0f, 2.0f});
  auto check = [&](const ir::Node& node, std::vector<float> want, double tol) {
    auto out = run_node(kernels::Backend::kCpu, node, {x}, 1);
    ASSERT_TRUE(out.has_value()) << out.status().to_string();
    EXPECT_TRUE(tensors_close((*out)[0], make_tensor<float>(DType::kFloat32, {4}, want), tol, tol)) << node.op_type;
  };
  check(NodeBuilder("Sigmoid", 13).build(), {0.26894142f, 0.5f, 0.73105858f, 0.88079708f}, 1e-7);
  check(NodeBuilder("Tanh", 13).build(), {-0.76159416f, 0.0f, 0.76159416f, 0.96402758f}, 1e-7);
  check(NodeBuilder("Erf", 13).build(), {-0.84270079f, 0.0f, 0.84270079f, 0.99532227f}, 1e-7);
  check(NodeBuilder("Gelu", 20).build(), {-0.15865525f, 0.0f, 0.84134475f, 1.95449974f}, 1e-7);
  check(NodeBuilder("Exp", 13).build(), {0.36787944f, 1.0f, 2.71828183f, 7.3890561f}, 1e-7);
  check(NodeBuilder("LeakyRelu", 16).attr_f("alpha", 0.1f).build(), {-0.1f, 0, 1, 2}, 0);
  check(NodeBuilder("Clip", 6).attr_f("min", -0.5f).attr_f("max", 1.5f).build(), {-0.5f, 0, 1, 1.5f}, 0);
}

TEST(ElementwiseClip, MatchesReference) {
  std::mt19937 rng(7);
  for (DType t : {DType::kFloat32, DType::kInt64, DType::kFloat64}) {
    Tensor lo = random_tensor(t, {}, rng, -2, -1), hi = random_tensor(t, {}, rng, 1, 2);
    const ir::Node node = NodeBuilder("Clip", 13).build();
    for (Shape s : {Shape{0}, Shape{19}, Shape{70001}}) {
      Tensor x = random_tensor(t, s, rng, -3, 3);
      expect_matches_reference(node, {x, lo, hi}, 1, 0, 0);
      expect_matches_reference(node, {x, Tensor(), hi}, 1, 0, 0);
      expect_matches_reference(node, {x}, 1, 0, 0);
    }
  }
}

TEST(ElementwiseWhere, MatchesReference) {
  std::mt19937 rng(8);
  const ir::Node node = NodeBuilder("Where", 16).build();
  for (DType t : {DType::kFloat32, DType::kInt64, DType::kUInt8, DType::kFloat16, DType::kBool}) {
    for (const auto& [sa, sb] : kBinaryShapes) {
      expect_matches_reference(node, {random_tensor(DType::kBool, sb, rng), random_tensor(t, sa, rng, -9, 9),
                                      random_tensor(t, {1}, rng, -9, 9)}, 1, 0, 0);
    }
  }
  // 32-bit elements take the vector select when the condition runs contiguously: X and Y each a
  // full tensor or one value, runs with and without an 8-lane tail, the condition broadcast.
  for (DType t : {DType::kFloat32, DType::kInt32}) {
    for (const Shape& s : {Shape{3, 37}, Shape{2, 1, 64}, Shape{1029}}) {
      const Tensor one = random_tensor(t, {1}, rng, -9, 9), full = random_tensor(t, s, rng, -9, 9);
      Shape cs = s;
      cs[0] = 1;
      for (const Shape& c : {s, cs}) {
        const Tensor cond = random_tensor(DType::kBool, c, rng);
        expect_matches_reference(node, {cond, full, random_tensor(t, s, rng, -9, 9)}, 1, 0, 0);
        expect_matches_reference(node, {cond, one, full}, 1, 0, 0);
        expect_matches_reference(node, {cond, full, one}, 1, 0, 0);
        expect_matches_reference(node, {cond, one, random_tensor(t, {1}, rng, -9, 9)}, 1, 0, 0);
      }
    }
  }
}

TEST(ElementwiseCast, AllNumericPairs) {
  std::mt19937 rng(9);
  const DType types[] = {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16,
                         DType::kInt8,    DType::kInt16,   DType::kInt32,   DType::kInt64,
                         DType::kUInt8,   DType::kUInt16,  DType::kUInt32,  DType::kUInt64,
                         DType::kBool};
  for (DType from : types) {
    Tensor x = random_tensor(from, {5, 13}, rng, dtype_is_signed(from) || dtype_is_float(from) ? -100 : 0, 100);
    for (DType to : types) {
      const ir::Node node = NodeBuilder("Cast", 21).attr_i("to", static_cast<int64_t>(to)).build();
      SCOPED_TRACE(std::string(dtype_name(from)) + "->" + std::string(dtype_name(to)));
      expect_matches_reference(node, {x}, 1, 0, 0);
    }
  }
  // Hand-computed: float -> int truncates toward zero; wraps when narrowing ints; half rounds.
  auto out = run_node(kernels::Backend::kCpu, NodeBuilder("Cast", 21).attr_i("to", 6).build(),
                      {make_tensor<float>(DType::kFloat32, {3}, {2.7f, -2.7f, 0.5f})}, 1);
  ASSERT_TRUE(out.has_value()) << out.status().to_string();
  EXPECT_TRUE(tensors_close((*out)[0], make_tensor<int32_t>(DType::kInt32, {3}, {2, -2, 0}), 0, 0));
  out = run_node(kernels::Backend::kCpu, NodeBuilder("Cast", 21).attr_i("to", 3).build(),
                 {make_tensor<int32_t>(DType::kInt32, {2}, {300, -129})}, 1);
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(tensors_close((*out)[0], make_tensor<int8_t>(DType::kInt8, {2}, {44, 127}), 0, 0));
}

}  // namespace
}  // namespace onnxrt::testing
