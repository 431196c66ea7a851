// The float16 / bfloat16 row conversions (ukernels/elementwise/convert_16bit.h) on every variant
// this CPU has, bit for bit against base/half.h: every 16-bit pattern widened, and float32
// patterns narrowed (random bits, ties, subnormal results, overflow to infinity, NaN payloads),
// over lengths around the vector widths with guard values past the end.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "base/cpu_features.h"
#include "base/half.h"
#include "kernels/ukernels/elementwise/convert_16bit.h"

namespace onnxrt::testing {
namespace {

namespace ew = kernels::ew;

struct Variant {
  const char* name;
  ew::Convert16Fns fns;
};

std::vector<Variant> variants() {
  std::vector<Variant> v{{"scalar", {&ew::widen_f16_scalar, &ew::narrow_f16_scalar, &ew::widen_bf16_scalar,
                                     &ew::narrow_bf16_scalar}}};
  if (cpu_features().has_avx2_fma() && cpu_features().f16c)
    v.push_back({"avx2", {&ew::widen_f16_avx2, &ew::narrow_f16_avx2, &ew::widen_bf16_avx2, &ew::narrow_bf16_avx2}});
  return v;
}

std::vector<float> narrowing_inputs() {
  std::vector<float> x;
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) x.push_back(std::bit_cast<float>(static_cast<uint32_t>(rng())));
  for (uint32_t h = 0; h < 65536; h += 7) {  // halfway between neighbouring halves, and just off it
    const float a = half_to_float(static_cast<uint16_t>(h)), b = half_to_float(static_cast<uint16_t>(h + 1));
    if (!std::isfinite(a) || !std::isfinite(b)) continue;
    const float mid = a + (b - a) / 2;
    x.insert(x.end(), {mid, std::nextafter(mid, a), std::nextafter(mid, b)});
  }
  for (uint32_t b = 0; b < 65536; b += 5) {  // bfloat16 ties: the 16 dropped bits exactly 0x8000
    const uint32_t bits = (b << 16) | 0x8000u;
    x.insert(x.end(), {std::bit_cast<float>(bits), std::bit_cast<float>(bits - 1), std::bit_cast<float>(bits + 1)});
  }
  x.insert(x.end(), {0.f, -0.f, 65504.f, 65519.f, 65520.f, -65520.f, 1e-8f, -3e-8f, 6e-8f, INFINITY, -INFINITY,
                     std::bit_cast<float>(0x7f800001u), std::bit_cast<float>(0xffc12345u),
                     std::bit_cast<float>(0x7fbfffffu), std::bit_cast<float>(0x7f7fffffu)});
  return x;
}

TEST(Convert16Bit, WidenEveryPattern) {
  std::vector<uint16_t> h(65536);
  for (uint32_t i = 0; i < 65536; ++i) h[i] = static_cast<uint16_t>(i);
  for (const Variant& v : variants()) {
    for (int bf = 0; bf < 2; ++bf) {
      std::vector<float> y(h.size() + 1, 12345.f);
      (bf ? v.fns.widen_bf16 : v.fns.widen_f16)(h.data(), y.data(), static_cast<int64_t>(h.size()));
      EXPECT_EQ(y.back(), 12345.f) << v.name << ": wrote past the end";
      for (uint32_t i = 0; i < 65536; ++i) {
        const float want = bf ? bfloat16_to_float(h[i]) : half_to_float(h[i]);
        if (std::isnan(want)) {
          ASSERT_TRUE(std::isnan(y[i])) << v.name << " bf16=" << bf << " bits " << i;
          continue;
        }
        ASSERT_EQ(std::bit_cast<uint32_t>(y[i]), std::bit_cast<uint32_t>(want)) << v.name << " bf16=" << bf << " bits " << i;
      }
    }
  }
}

TEST(Convert16Bit, NarrowMatchesScalarBits) {
  const std::vector<float> x = narrowing_inputs();
  for (const Variant& v : variants()) {
    for (int bf = 0; bf < 2; ++bf) {
      std::vector<uint16_t> y(x.size() + 1, 0xabcd);
      (bf ? v.fns.narrow_bf16 : v.fns.narrow_f16)(x.data(), y.data(), static_cast<int64_t>(x.size()));
      EXPECT_EQ(y.back(), 0xabcd) << v.name << ": wrote past the end";
      for (size_t i = 0; i < x.size(); ++i) {
        const uint16_t want = bf ? float_to_bfloat16(x[i]) : float_to_half(x[i]);
        ASSERT_EQ(y[i], want) << v.name << " bf16=" << bf << " x bits " << std::hex << std::bit_cast<uint32_t>(x[i]);
      }
    }
  }
}

TEST(Convert16Bit, EveryLengthAndOffset) {
  const std::vector<float> x = narrowing_inputs();
  for (const Variant& v : variants()) {
    for (int64_t n = 0; n <= 40; ++n) {
      for (int64_t off = 0; off < 3; ++off) {
        std::vector<uint16_t> h(static_cast<size_t>(n + off + 2), 0x5555);
        std::vector<float> w(static_cast<size_t>(n + off + 2), -7.f);
        v.fns.narrow_f16(x.data() + off, h.data() + off, n);
        v.fns.widen_f16(h.data() + off, w.data() + off, n);
        for (int64_t i = 0; i < off; ++i) ASSERT_EQ(h[i], 0x5555);
        ASSERT_EQ(h[n + off], 0x5555) << v.name << " n=" << n;
        ASSERT_EQ(w[n + off], -7.f) << v.name << " n=" << n;
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(h[i + off], float_to_half(x[i + off]));
        v.fns.narrow_bf16(x.data() + off, h.data() + off, n);
        ASSERT_EQ(h[n + off], 0x5555) << v.name << " n=" << n;
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(h[i + off], float_to_bfloat16(x[i + off]));
      }
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
