// libFuzzer target: load a model and run it on small random inputs, so kernels see the values
// that break them (NaN, infinities, zero and negative integers, out-of-range indices, empty dims),
// not only zeros as in fuzz_session.
//
// Input layout: model bytes, then an 8-byte trailer that seeds the inputs. The trailer sits at the
// end so the fuzzer mutates it independently of the model; fuzz/make_corpus.py --trailer writes
// seeds in this layout. The trailer's first 4 bytes pick how unknown dims are bound (0..4, so empty
// tensors are covered) and all 8 seed the generator for the element values.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "fuzz_targets.h"
#include "onnxrt/onnxrt.h"

namespace {

constexpr size_t kTrailerBytes = 8;
// Bounded so a run cannot exhaust memory through the inputs alone: 4096 elements per input and
// 16384 over all inputs.
constexpr int64_t kMaxElementsPerInput = 4096;
constexpr int64_t kMaxElementsTotal = 16384;

// splitmix64: small, good enough, and the same on every platform (runs replay exactly).
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int64_t range(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
};

// Mostly small numbers (indices, axes, shapes stay plausible), sometimes the edges of the type.
double pick_number(Rng& rng, bool is_float) {
  const uint64_t r = rng.next() % 32;
  if (is_float) {
    switch (r) {
      case 0: return std::numeric_limits<double>::quiet_NaN();
      case 1: return std::numeric_limits<double>::infinity();
      case 2: return -std::numeric_limits<double>::infinity();
      case 3: return 0.0;
      case 4: return -0.0;
      case 5: return 1e30;
      case 6: return -1e-30;
      default: return static_cast<double>(rng.range(-4000, 4000)) / 1000.0;
    }
  }
  switch (r) {
    case 0: return -1e18;
    case 1: return 1e18;
    case 2: return -1;
    default: return static_cast<double>(rng.range(-3, 8));
  }
}

template <typename T>
void fill_as(onnxrt::Tensor& t, Rng& rng, bool is_float) {
  T* p = t.data<T>();
  for (int64_t i = 0; i < t.size(); ++i) {
    const double v = pick_number(rng, is_float);
    if constexpr (std::is_integral_v<T>) {
      // Saturate: a double outside T's range would make the conversion undefined.
      const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
      const double hi = static_cast<double>(std::numeric_limits<T>::max());
      p[i] = v <= lo ? std::numeric_limits<T>::lowest()
                     : v >= hi ? std::numeric_limits<T>::max() : static_cast<T>(v);
    } else {
      p[i] = static_cast<T>(v);
    }
  }
}

void fill(onnxrt::Tensor& t, Rng& rng) {
  using onnxrt::DType;
  switch (t.dtype()) {
    case DType::kFloat32: fill_as<float>(t, rng, true); break;
    case DType::kFloat64: fill_as<double>(t, rng, true); break;
    case DType::kInt8: fill_as<int8_t>(t, rng, false); break;
    case DType::kUInt8: fill_as<uint8_t>(t, rng, false); break;
    case DType::kInt16: fill_as<int16_t>(t, rng, false); break;
    case DType::kUInt16: fill_as<uint16_t>(t, rng, false); break;
    case DType::kInt32: fill_as<int32_t>(t, rng, false); break;
    case DType::kUInt32: fill_as<uint32_t>(t, rng, false); break;
    case DType::kInt64: fill_as<int64_t>(t, rng, false); break;
    case DType::kUInt64: fill_as<uint64_t>(t, rng, false); break;
    case DType::kBool: {
      auto* p = t.data<bool>();
      for (int64_t i = 0; i < t.size(); ++i) p[i] = (rng.next() & 1) != 0;
      break;
    }
    case DType::kString: {
      auto* p = t.data<std::string>();
      for (int64_t i = 0; i < t.size(); ++i) p[i] = std::string(rng.range(0, 5), 'a' + static_cast<char>(rng.range(0, 25)));
      break;
    }
    default: {
      // Half, bfloat16, float8 and packed types: random bytes cover every bit pattern.
      auto* p = static_cast<uint8_t*>(t.raw());
      for (size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<uint8_t>(rng.next());
      break;
    }
  }
}

}  // namespace

namespace onnxrt::fuzz {

int run_one_input(const uint8_t* data, size_t size) {
  if (size < kTrailerBytes) return 0;
  const size_t model_size = size - kTrailerBytes;
  const uint8_t* trailer = data + model_size;
  onnxrt::SessionOptions options;
  options.intra_op_num_threads = 1;
  auto session = onnxrt::Session::load_bytes(data, model_size, options);
  if (!session) {
    check_not_internal(session.status());
    return 0;
  }

  uint64_t seed = 0;
  std::memcpy(&seed, trailer, sizeof(seed));
  Rng rng{seed};

  std::vector<std::pair<std::string, onnxrt::Value>> feeds;
  int64_t total = 0;
  for (const onnxrt::ValueInfo& in : (*session)->inputs()) {
    if (in.type.rfind("tensor(", 0) != 0 || in.dtype == onnxrt::DType::kUndefined) return 0;
    onnxrt::Shape shape;
    int64_t n = 1;
    for (size_t i = 0; i < in.shape.size(); ++i) {
      // Unknown dims: 0..4 chosen by the trailer, per dim position, so empty tensors are covered.
      const int64_t d = in.shape[i].value >= 0 ? in.shape[i].value : trailer[i % 4] % 5;
      if (d > kMaxElementsPerInput) return 0;
      shape.push_back(d);
      n *= d;
      if (n > kMaxElementsPerInput) return 0;
    }
    total += n;
    if (total > kMaxElementsTotal) return 0;
    onnxrt::Tensor t = onnxrt::Tensor::allocate(in.dtype, shape);
    fill(t, rng);
    feeds.emplace_back(in.name, std::move(t));
  }
  auto outputs = (*session)->run(feeds, {});
  if (!outputs) check_not_internal(outputs.status());
  return 0;
}

}  // namespace onnxrt::fuzz

#ifndef ONNXRT_FUZZ_NO_ENTRY_POINT
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return onnxrt::fuzz::run_one_input(data, size);
}
#endif
