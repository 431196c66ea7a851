// Element-at-a-time conversion between any two element types that Cast accepts: the standard
// numbers, bool, string, float8 (4 kinds + e8m0), float4e2m1, float6 and the packed 2/4-bit
// integers. The reference Cast uses it for every pair; the CPU Cast for the pairs outside its
// typed fast path. Values travel as a `Scalar`: integers keep all 64 bits, floats are doubles
// (every source float is exact in double), so nothing is rounded twice.
#pragma once

#include <cstdint>
#include <string>

#include "base/float8.h"
#include "onnxrt/dtype.h"
#include "onnxrt/status.h"

namespace onnxrt::kernels::cast {

struct Scalar {
  bool is_int = false;   // integer or bool source: `i` holds the value (bit pattern for uint64)
  bool is_unsigned = false;
  bool is_bool = false;
  int float_bits = 64;   // float sources: 32 when the value came from a float of 32 bits or fewer
  int64_t i = 0;
  double f = 0;          // always set: the value as a double
};

struct Options {
  bool saturate = true;                  // float8 targets (opset 19+)
  E8M0Round round_mode = E8M0Round::kUp;  // float8e8m0 targets (opset 24+)
};

// True when Cast can read/write elements of `t`.
bool castable(DType t);

// Reads element i of `data` (storage of type `t`). Strings are parsed ("NaN", "INF", "-inf",
// scientific notation; integers exactly when the text is an integer).
Scalar load(DType t, const void* data, int64_t i);
// Writes `v` as element i of `data` (storage of type `t`). Sub-byte types are read-modify-write.
void store(DType t, void* data, int64_t i, const Scalar& v, const Options& opt);

// Numbers printed the way onnx.reference (numpy's astype(str)) prints them: shortest round-trip
// digits, positional for 1e-4 <= |x| < 1e16 (with ".0" for integral values), else scientific.
std::string format_float(double v, int float_bits);

}  // namespace onnxrt::kernels::cast
