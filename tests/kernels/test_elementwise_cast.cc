// Cast / CastLike / BitCast and the low-precision codecs (base/float8.h): the CPU Cast (typed
// loops for the standard types) against the reference Cast (element by element through
// cast::load/store), plus codes pinned from ml_dtypes / onnx.numpy_helper, which onnx.reference
// uses. Also signed BitShift (opset 28) and Equal on strings.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "base/float8.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

const DType kSmallFloats[] = {DType::kFloat8E4M3FN, DType::kFloat8E4M3FNUZ, DType::kFloat8E5M2,
                              DType::kFloat8E5M2FNUZ, DType::kFloat4E2M1, DType::kFloat6E2M3,
                              DType::kFloat6E3M2};

TEST(ElementwiseCastCodec, PinnedAgainstMlDtypes) {
  // x.astype(ml_dtypes type) for these inputs (the non-saturating conversion).
  const double x[] = {NAN, -NAN, INFINITY, -INFINITY, 1e6, -1e6, -0.0, 1e-7, -1e-7, 470, 464, 0.48f};
  const std::vector<std::vector<int>> want = {
      {0x7f, 0xff, 0x7f, 0xff, 0x7f, 0xff, 0x80, 0x0, 0x80, 0x7f, 0x7e, 0x2f},
      {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x0, 0x0, 0x0, 0x80, 0x80, 0x37},
      {0x7e, 0xfe, 0x7c, 0xfc, 0x7c, 0xfc, 0x80, 0x0, 0x80, 0x5f, 0x5f, 0x38},
      {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x0, 0x0, 0x0, 0x63, 0x63, 0x3c},
      {0x8, 0x0, 0x7, 0xf, 0x7, 0xf, 0x8, 0x0, 0x8, 0x7, 0x7, 0x1},
      {0x20, 0x0, 0x1f, 0x3f, 0x1f, 0x3f, 0x20, 0x0, 0x20, 0x1f, 0x1f, 0x4},
      {0x20, 0x0, 0x1f, 0x3f, 0x1f, 0x3f, 0x20, 0x0, 0x20, 0x1f, 0x1f, 0x8},
  };
  for (size_t t = 0; t < std::size(kSmallFloats); ++t)
    for (size_t i = 0; i < std::size(x); ++i)
      EXPECT_EQ(float_to_small(x[i], kSmallFloats[t], false), want[t][i])
          << dtype_name(kSmallFloats[t]) << " x=" << x[i];
  // Saturation: out-of-range values and infinities clamp to the largest finite value.
  EXPECT_EQ(float_to_small(INFINITY, DType::kFloat8E4M3FN, true), 0x7E);
  EXPECT_EQ(float_to_small(-1e6, DType::kFloat8E5M2, true), 0xFB);
  EXPECT_EQ(float_to_small(1e6, DType::kFloat8E4M3FNUZ, true), 0x7F);
  EXPECT_EQ(float_to_small(-INFINITY, DType::kFloat8E5M2FNUZ, true), 0xFF);
  EXPECT_EQ(small_to_float(0x7E, DType::kFloat8E4M3FN), 448.0f);
  EXPECT_EQ(small_to_float(0x7B, DType::kFloat8E5M2), 57344.0f);
  EXPECT_EQ(small_to_float(0x7F, DType::kFloat8E4M3FNUZ), 240.0f);
  EXPECT_EQ(small_to_float(0x01, DType::kFloat8E4M3FN), std::ldexp(1.0f, -9));
  EXPECT_EQ(small_to_float(0x7, DType::kFloat4E2M1), 6.0f);
  EXPECT_TRUE(std::isnan(small_to_float(0x80, DType::kFloat8E5M2FNUZ)));
  EXPECT_TRUE(std::isinf(small_to_float(0xFC, DType::kFloat8E5M2)));
}

TEST(ElementwiseCastCodec, EveryCodeRoundTrips) {
  for (DType t : kSmallFloats) {
    const int n = 1 << dtype_bits(t);
    for (int c = 0; c < n; ++c) {
      const float v = small_to_float(static_cast<uint8_t>(c), t);
      if (std::isnan(v)) continue;
      EXPECT_EQ(float_to_small(v, t, false), c) << dtype_name(t) << " code " << c;
    }
  }
}

TEST(ElementwiseCastCodec, E8M0MatchesNumpyHelper) {
  // onnx.numpy_helper.to_float8e8m0 on these inputs, per (round_mode, saturate).
  const float x[] = {1.0f, 1.5f, 3.0f, 0.75f, 1e-40f, 3e38f, INFINITY, -2.0f, 1.25f, 0.0f};
  struct Case { E8M0Round mode; bool sat; std::vector<int> want; };
  const Case cases[] = {
      {E8M0Round::kUp, true, {127, 128, 129, 127, 1, 254, 255, 128, 128, 0}},
      {E8M0Round::kUp, false, {127, 128, 129, 127, 1, 255, 255, 128, 128, 0}},
      {E8M0Round::kDown, true, {127, 127, 128, 126, 0, 254, 255, 128, 127, 0}},
      {E8M0Round::kNearest, true, {127, 128, 129, 127, 0, 254, 255, 128, 127, 0}},
      {E8M0Round::kNearest, false, {127, 128, 129, 127, 0, 255, 255, 128, 127, 0}},
  };
  for (const Case& c : cases)
    for (size_t i = 0; i < std::size(x); ++i)
      EXPECT_EQ(float_to_e8m0(x[i], c.sat, c.mode), c.want[i]) << "x=" << x[i];
  EXPECT_EQ(e8m0_to_float(127), 1.0f);
  EXPECT_EQ(e8m0_to_float(0), std::ldexp(1.0f, -127));
  EXPECT_TRUE(std::isnan(e8m0_to_float(255)));
}

TEST(ElementwiseCastCodec, SubBytePacking) {
  // Low nibble first, as raw_data (and onnx.numpy_helper._pack_4bitx2) stores them.
  const uint8_t codes[] = {1, 2, 3, 0xF, 5};
  uint8_t packed[3] = {0xAA, 0xAA, 0xAA};
  pack_codes(DType::kInt4, codes, 5, packed);
  EXPECT_EQ(packed[0], 0x21);
  EXPECT_EQ(packed[1], 0xF3);
  EXPECT_EQ(packed[2], 0x05);
  EXPECT_EQ(small_to_int(load_code(packed, 3, 4), DType::kInt4), -1);
  EXPECT_EQ(small_to_int(load_code(packed, 3, 4), DType::kUInt4), 15);
  uint8_t two = 0;
  pack_codes(DType::kInt2, codes, 4, &two);  // 1, 2, 3, 3
  EXPECT_EQ(two, 0xF9);
  // 6-bit: LSB-first bit stream across byte boundaries.
  const uint8_t six[] = {0x3F, 0x01, 0x2A, 0x15};
  uint8_t buf[3] = {};
  pack_codes(DType::kFloat6E2M3, six, 4, buf);
  uint8_t back[4];
  unpack_codes(DType::kFloat6E2M3, buf, 4, back);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(back[i], six[i]);
}

// CPU and reference outputs identical bit for bit (the harness compares low-precision types
// through doubles it cannot form for them).
void expect_same_bits(const ir::Node& node, const std::vector<Tensor>& inputs) {
  auto cpu = run_node(kernels::Backend::kCpu, node, inputs, 1);
  auto ref = run_node(kernels::Backend::kReference, node, inputs, 1);
  ASSERT_TRUE(cpu.has_value()) << cpu.status().to_string();
  ASSERT_TRUE(ref.has_value()) << ref.status().to_string();
  const Tensor& a = (*cpu)[0];
  const Tensor& b = (*ref)[0];
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.shape(), b.shape());
  if (a.dtype() == DType::kString) {
    for (int64_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.data<std::string>()[i], b.data<std::string>()[i]);
    return;
  }
  if (a.dtype() == DType::kBool) {  // any nonzero byte is true
    for (int64_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data<bool>()[i], b.data<bool>()[i]) << "element " << i;
    return;
  }
  const int bits = dtype_bits(a.dtype());
  if (bits < 8) {
    for (int64_t i = 0; i < a.size(); ++i)
      ASSERT_EQ(load_code(a.raw(), i, bits), load_code(b.raw(), i, bits)) << "element " << i;
    return;
  }
  const auto* pa = static_cast<const uint8_t*>(a.raw());
  const auto* pb = static_cast<const uint8_t*>(b.raw());
  for (size_t i = 0; i < a.nbytes(); ++i) {
    // NaN payloads may differ between paths; compare NaN-ness for float outputs.
    if (pa[i] != pb[i]) {
      const size_t el = i / static_cast<size_t>(bits / 8);
      double x = 0, y = 0;
      load_element_as_double(a.dtype(), a.raw(), static_cast<int64_t>(el), &x);
      load_element_as_double(b.dtype(), b.raw(), static_cast<int64_t>(el), &y);
      ASSERT_TRUE(std::isnan(x) && std::isnan(y)) << "element " << el << ": " << x << " vs " << y;
    }
  }
}

Tensor random_for(DType t, Shape s, std::mt19937& rng) {
  double lo = -300, hi = 300;
  if (t == DType::kInt8) lo = -128, hi = 127;
  if (t == DType::kUInt8) lo = 0, hi = 255;
  if (t == DType::kUInt64) lo = 0;
  return random_tensor(t, std::move(s), rng, lo, hi);
}

Tensor codes_tensor(DType t, Shape s, const std::vector<uint8_t>& codes) {
  Tensor x = Tensor::allocate(t, std::move(s));
  pack_codes(t, codes.data(), x.size(), x.raw());
  return x;
}

TEST(ElementwiseCast, MatchesReferenceStandardTypes) {
  std::mt19937 rng(5);
  const DType types[] = {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16,
                         DType::kInt8,    DType::kUInt8,   DType::kInt32,   DType::kInt64,
                         DType::kUInt64,  DType::kBool};
  for (DType from : types)
    for (DType to : types)
      for (Shape s : {Shape{0}, Shape{1}, Shape{3, 7}, Shape{from == to ? 70001 : 2001}}) {
        SCOPED_TRACE(std::string(dtype_name(from)) + " -> " + std::string(dtype_name(to)));
        auto node = NodeBuilder("Cast", 21).attr_i("to", static_cast<int64_t>(to)).build();
        expect_same_bits(node, {random_for(from, s, rng)});
      }
}

TEST(ElementwiseCast, MatchesReferenceLowPrecision) {
  std::mt19937 rng(6);
  const DType low[] = {DType::kFloat8E4M3FN, DType::kFloat8E4M3FNUZ, DType::kFloat8E5M2,
                       DType::kFloat8E5M2FNUZ, DType::kFloat8E8M0, DType::kFloat4E2M1,
                       DType::kInt4, DType::kUInt4, DType::kInt2, DType::kUInt2,
                       DType::kFloat6E2M3, DType::kFloat6E3M2};
  for (DType t : low)
    for (DType std_t : {DType::kFloat32, DType::kFloat16, DType::kInt8, DType::kFloat64})
      for (int64_t sat : {0, 1})
        for (Shape s : {Shape{0}, Shape{1}, Shape{5, 3}, Shape{1001}, Shape{sat ? 70003 : 9}}) {
          SCOPED_TRACE(std::string(dtype_name(std_t)) + " <-> " + std::string(dtype_name(t)));
          auto to_low = NodeBuilder("Cast", 25).attr_i("to", static_cast<int64_t>(t)).attr_i("saturate", sat).build();
          expect_same_bits(to_low, {random_for(std_t, s, rng)});
          std::vector<uint8_t> codes(static_cast<size_t>(shape_size(s)));
          for (auto& c : codes) c = static_cast<uint8_t>(rng() & ((1u << dtype_bits(t)) - 1));
          auto from_low = NodeBuilder("Cast", 25).attr_i("to", static_cast<int64_t>(std_t)).build();
          expect_same_bits(from_low, {codes_tensor(t, s, codes)});
        }
}

TEST(ElementwiseCast, PinnedFloatToInt4AndBack) {
  // np.arange(-9, 16).astype(ml_dtypes.int4): values wrap.
  std::vector<float> xs;
  for (int v = -9; v < 16; ++v) xs.push_back(static_cast<float>(v));
  Tensor x = make_tensor<float>(DType::kFloat32, {25}, xs);
  auto r = run_node(kernels::Backend::kCpu, NodeBuilder("Cast", 21).attr_i("to", 22).build(), {x}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  const int want[] = {7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1};
  for (int i = 0; i < 25; ++i) EXPECT_EQ(small_to_int(load_code((*r)[0].raw(), i, 4), DType::kInt4), want[i]);
  auto back = run_node(kernels::Backend::kCpu, NodeBuilder("Cast", 21).attr_i("to", 3).build(), {(*r)[0]}, 1);
  ASSERT_TRUE(back.has_value());
  for (int i = 0; i < 25; ++i) EXPECT_EQ((*back)[0].data<int8_t>()[i], want[i]);
}

TEST(ElementwiseCast, Strings) {
  Tensor s = make_tensor<std::string>(DType::kString, {7},
                                      {"NaN", "INF", "-INF", "+inf", "1e-5", "100", " 2.5 "});
  auto r = run_node(kernels::Backend::kCpu, NodeBuilder("Cast", 13).attr_i("to", 1).build(), {s}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  const float* f = (*r)[0].data<float>();
  EXPECT_TRUE(std::isnan(f[0]));
  EXPECT_EQ(f[1], INFINITY);
  EXPECT_EQ(f[2], -INFINITY);
  EXPECT_EQ(f[3], INFINITY);
  EXPECT_EQ(f[4], 1e-5f);
  EXPECT_EQ(f[5], 100.0f);
  EXPECT_EQ(f[6], 2.5f);
  Tensor big = make_tensor<std::string>(DType::kString, {1}, {"9007199254740993"});
  r = run_node(kernels::Backend::kCpu, NodeBuilder("Cast", 13).attr_i("to", 7).build(), {big}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)[0].data<int64_t>()[0], 9007199254740993);  // exact, not through double
  // Numbers print as numpy's astype(str) does.
  Tensor x = make_tensor<float>(DType::kFloat32, {6}, {0.5f, 1e-7f, 1000000.0f, -0.0f, NAN, -INFINITY});
  r = run_node(kernels::Backend::kCpu, NodeBuilder("Cast", 13).attr_i("to", 8).build(), {x}, 1);
  ASSERT_TRUE(r.has_value());
  const std::string want[] = {"0.5", "1e-07", "1000000.0", "-0.0", "nan", "-inf"};
  for (int i = 0; i < 6; ++i) EXPECT_EQ((*r)[0].data<std::string>()[i], want[i]);
  Tensor xi = make_tensor<int64_t>(DType::kInt64, {2}, {-42, 7});
  r = run_node(kernels::Backend::kCpu, NodeBuilder("Cast", 13).attr_i("to", 8).build(), {xi}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)[0].data<std::string>()[0], "-42");
  expect_same_bits(NodeBuilder("Cast", 13).attr_i("to", 8).build(), {x});
  expect_same_bits(NodeBuilder("Cast", 13).attr_i("to", 11).build(), {s});
}

TEST(ElementwiseCast, CastLikeAndBadRoundMode) {
  Tensor x = make_tensor<float>(DType::kFloat32, {3}, {1.5f, 3.0f, 448.0f});
  Tensor like = codes_tensor(DType::kFloat8E4M3FN, {1}, {0});
  auto r = run_node(kernels::Backend::kCpu, NodeBuilder("CastLike", 19).build(), {x, like}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_EQ((*r)[0].dtype(), DType::kFloat8E4M3FN);
  EXPECT_EQ((*r)[0].data<uint8_t>()[2], 0x7E);
  auto bad = run_node(kernels::Backend::kCpu,
                      NodeBuilder("Cast", 24).attr_i("to", 24).attr_s("round_mode", "sideways").build(), {x}, 1);
  EXPECT_FALSE(bad.has_value());
}

TEST(ElementwiseBitCast, KeepsBits) {
  Tensor x = make_tensor<float>(DType::kFloat32, {2}, {1.0f, -2.0f});
  auto node = NodeBuilder("BitCast", 26).attr_i("to", 6).build();
  auto r = run_node(kernels::Backend::kCpu, node, {x}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_EQ((*r)[0].data<int32_t>()[0], 0x3f800000);
  EXPECT_EQ((*r)[0].data<uint32_t>()[1], 0xc0000000u);
  expect_matches_reference(node, {x}, 1, 0, 0);
  // Different widths are an error.
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, NodeBuilder("BitCast", 26).attr_i("to", 7).build(), {x}, 1).has_value());
}

TEST(ElementwiseBitShift, SignedAndUnsigned) {
  std::mt19937 rng(9);
  for (DType t : {DType::kInt8, DType::kInt16, DType::kInt32, DType::kInt64, DType::kUInt8,
                  DType::kUInt16, DType::kUInt32, DType::kUInt64})
    for (const char* dir : {"LEFT", "RIGHT"}) {
      SCOPED_TRACE(std::string(dtype_name(t)) + " " + dir);
      auto node = NodeBuilder("BitShift", 28).attr_s("direction", dir).build();
      expect_matches_reference(node, {random_tensor(t, {4, 33}, rng, dtype_is_signed(t) ? -100 : 0, 100),
                                      random_tensor(t, {33}, rng, dtype_is_signed(t) ? -3 : 0, 70)}, 1, 0, 0);
    }
  auto right = NodeBuilder("BitShift", 28).attr_s("direction", "RIGHT").build();
  Tensor x = make_tensor<int8_t>(DType::kInt8, {5}, {-16, -16, 16, -1, -128});
  Tensor s = make_tensor<int8_t>(DType::kInt8, {5}, {2, 9, -1, 3, 7});
  auto r = run_node(kernels::Backend::kCpu, right, {x, s}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  const int8_t want[] = {-4, -1, 0, -1, -1};
  for (int i = 0; i < 5; ++i) EXPECT_EQ((*r)[0].data<int8_t>()[i], want[i]);
  auto left = NodeBuilder("BitShift", 28).attr_s("direction", "LEFT").build();
  Tensor l = make_tensor<int8_t>(DType::kInt8, {3}, {64, 3, -1});
  Tensor ls = make_tensor<int8_t>(DType::kInt8, {3}, {1, 8, 7});
  r = run_node(kernels::Backend::kCpu, left, {l, ls}, 1);
  ASSERT_TRUE(r.has_value());
  const int8_t want_l[] = {-128, 0, -128};
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*r)[0].data<int8_t>()[i], want_l[i]);
}

TEST(ElementwiseEqual, Strings) {
  Tensor a = make_tensor<std::string>(DType::kString, {2, 2}, {"a", "b", "c", "a"});
  Tensor b = make_tensor<std::string>(DType::kString, {2}, {"a", "b"});
  auto node = NodeBuilder("Equal", 19).build();
  auto r = run_node(kernels::Backend::kCpu, node, {a, b}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  const bool want[] = {true, true, false, false};
  for (int i = 0; i < 4; ++i) EXPECT_EQ((*r)[0].data<bool>()[i], want[i]);
  expect_matches_reference(node, {a, b}, 1, 0, 0);
}

TEST(ElementwiseShrinkSwish, MatchReferenceAndPinned) {
  std::mt19937 rng(10);
  for (DType t : {DType::kFloat32, DType::kFloat64, DType::kFloat16})
    for (Shape s : {Shape{0}, Shape{7}, Shape{3, 1001}}) {
      expect_matches_reference(NodeBuilder("Shrink", 9).attr_f("lambd", 1.5f).attr_f("bias", 0.5f).build(),
                               {random_tensor(t, s, rng, -3, 3)}, 1, 1e-6, 1e-3);
      expect_matches_reference(NodeBuilder("Swish", 24).attr_f("alpha", 0.7f).build(),
                               {random_tensor(t, s, rng, -6, 6)}, 1, 1e-6, 1e-3);
    }
  Tensor x = make_tensor<float>(DType::kFloat32, {5}, {-2, -1, 0, 1, 2});
  auto r = run_node(kernels::Backend::kCpu, NodeBuilder("Shrink", 9).attr_f("lambd", 1.5f).attr_f("bias", 0.5f).build(), {x}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], make_tensor<float>(DType::kFloat32, {5}, {-1.5f, 0, 0, 0, 1.5f}), 0, 0));
  r = run_node(kernels::Backend::kCpu, NodeBuilder("Swish", 24).build(), {x}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR((*r)[0].data<float>()[4], 2 / (1 + std::exp(-2.0)), 1e-6);
}

}  // namespace
}  // namespace onnxrt::testing
